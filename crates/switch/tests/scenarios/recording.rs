//! Which calls the core asks to record, and when: every call from the answer by default
//! policy `All`, from the start with `from_start`, only selected queues or extensions with
//! `Selected`, never a feature-code call; pause and resume only for a call being recorded.

use super::harness::{answered_call, config, phone, TestSwitch};
use super::ivr_support::{call_of, support_queue};
use std::collections::HashSet;
use switch::{Action, AgentCommand, RecordMode, RecordPolicy};

fn starts(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::StartRecording { .. }))
        .count()
}

fn switch_with(policy: RecordPolicy) -> TestSwitch {
    let mut cfg = config();
    cfg.recording = policy;
    cfg.acd = support_queue();
    let mut ts = TestSwitch::with(cfg);
    let now = ts.now;
    ts.sw
        .agent_command(now, "a1003", AgentCommand::Login { extension: None })
        .expect("login");
    ts
}

#[test]
fn all_calls_are_recorded_from_the_answer() {
    let mut ts = switch_with(RecordPolicy {
        mode: RecordMode::All,
        from_start: false,
        ..Default::default()
    });
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    ts.take_actions();
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1002", Some(&sdp));
    let inv = ts.expect_request(&b, "INVITE");
    assert_eq!(starts(&ts.take_actions()), 0, "not while ringing");
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("bt"), Some(&b.sdp("sendrecv"))),
    );
    let actions = ts.take_actions();
    assert_eq!(starts(&actions), 1, "{actions:?}");
    let (call, cdr_id) = actions
        .iter()
        .find_map(|x| match x {
            Action::StartRecording { call, cdr_id } => Some((*call, cdr_id.clone())),
            _ => None,
        })
        .expect("start");
    ts.sw.pause_recording(&cdr_id, true).expect("pause");
    ts.sw.pause_recording(&cdr_id, false).expect("resume");
    assert!(ts.sw.pause_recording("no-such-call", true).is_err());
    ts.pump();
    let actions = ts.take_actions();
    assert_eq!(
        actions,
        [
            Action::PauseRecording { call, paused: true },
            Action::PauseRecording {
                call,
                paused: false
            }
        ]
    );
}

#[test]
fn nothing_is_recorded_with_mode_none_and_pause_is_refused() {
    let mut ts = switch_with(RecordPolicy::default());
    let (mut a, mut b) = (phone(1001), phone(1002));
    let call = answered_call(&mut ts, &mut a, &mut b);
    let actions = ts.take_actions();
    assert_eq!(starts(&actions), 0);
    let cdr_id = ts.sw.cdr_id_of(call.call).expect("call in progress");
    let err = ts
        .sw
        .pause_recording(&cdr_id, true)
        .expect_err("nothing to pause");
    assert!(err.contains("not being recorded"), "{err}");
}

#[test]
fn from_start_records_at_media_ready_once() {
    let mut ts = switch_with(RecordPolicy {
        mode: RecordMode::All,
        from_start: true,
        ..Default::default()
    });
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    ts.take_actions();
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1002", Some(&sdp));
    let inv = ts.expect_request(&b, "INVITE");
    assert_eq!(starts(&ts.take_actions()), 1, "from the start");
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("bt"), Some(&b.sdp("sendrecv"))),
    );
    assert_eq!(starts(&ts.take_actions()), 0, "not a second time");
}

#[test]
fn selected_queue_is_recorded_when_the_agent_answers_and_feature_codes_never() {
    let mut ts = switch_with(RecordPolicy {
        mode: RecordMode::Selected {
            queues: HashSet::from(["support".to_string()]),
            extensions: HashSet::new(),
        },
        from_start: false,
        ..Default::default()
    });
    let (mut a, mut agent, mut b) = (phone(1001), phone(1003), phone(1002));
    ts.register(&mut agent, 3600);
    // A direct call between unselected extensions: not recorded.
    answered_call(&mut ts, &mut a, &mut b);
    assert_eq!(starts(&ts.take_actions()), 0);
    // The queue's number: recorded once the agent answers.
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(&mut a, "7000", Some(&sdp));
    ts.expect_status(&a, 100);
    let ok = ts.expect_status(&a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let inv = ts.expect_request(&agent, "INVITE");
    assert_eq!(starts(&ts.take_actions()), 0, "not while waiting");
    ts.send(
        agent.peer,
        &agent.respond(&inv, 200, "OK", Some("ag"), Some(&agent.sdp("sendrecv"))),
    );
    assert_eq!(starts(&ts.take_actions()), 1);

    // A feature code is never recorded, even with everything selected from the start.
    let mut ts = switch_with(RecordPolicy {
        mode: RecordMode::All,
        from_start: true,
        ..Default::default()
    });
    let mut p = phone(1003);
    let sdp = p.sdp("sendrecv");
    ts.invite(&mut p, "*94", Some(&sdp));
    let actions = ts.take_actions();
    let _ = call_of(&actions);
    assert_eq!(starts(&actions), 0);
}
