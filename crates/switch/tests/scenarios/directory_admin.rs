//! Extensions and agents changed while the switch runs (the admin API's core side): a new
//! extension registers and calls at once, a new password refuses the old one, a removed
//! extension loses its registrations while its call goes on, and agents are added, changed and
//! removed (only when logged out) without a restart.

use super::harness::{answered_call, config, phone, TestSwitch};
use super::ivr_support::support_queue;
use super::phone::Phone;
use switch::{AgentCommand, AgentSetup, QueueChange, QueueChangeError, UserChange};

fn put(ext: &str, password: &str) -> UserChange {
    UserChange::Put {
        extension: ext.into(),
        password: password.into(),
        name: Some("New Desk".into()),
    }
}

fn remove(ext: &str) -> UserChange {
    UserChange::Remove {
        extension: ext.into(),
    }
}

/// `p` answers the challenge and is refused (403), as an unknown user or a wrong password is.
fn register_refused(ts: &mut TestSwitch, p: &mut Phone) {
    let mut d = p.registration();
    ts.send(p.peer, &p.register(&mut d, 3600, None));
    let challenge = ts.expect_status(p, 401);
    let auth = p.authorization(&challenge, "REGISTER", &d.target, 1);
    ts.send(p.peer, &p.register(&mut d, 3600, Some(auth)));
    ts.expect_status(p, 403);
}

#[test]
fn an_extension_added_live_registers_and_calls_then_its_removal_drops_registrations() {
    let mut ts = TestSwitch::new();
    let mut callee = phone(1001);
    ts.register(&mut callee, 3600);
    let media = phone(1002).media;
    let mut new = Phone::udp("2001", "pw-2001-secret", 7201, media);
    // Unknown before the change: the digest answer is refused.
    register_refused(&mut ts, &mut new);

    ts.sw.change_users(put("2001", "pw-2001-secret")).unwrap();
    ts.register(&mut new, 3600);
    assert_eq!(ts.sw.registered_contacts(), 2);
    let listed = ts.sw.users(ts.now);
    let row = listed
        .iter()
        .find(|u| u.extension == "2001")
        .expect("listed");
    assert_eq!((row.name.as_deref(), row.registered), (Some("New Desk"), 1));

    // The new extension calls 1001; while the call is up the extension is removed.
    let mut call = answered_call(&mut ts, &mut new, &mut callee);
    ts.sw.change_users(remove("2001")).unwrap();
    assert_eq!(ts.sw.registered_contacts(), 1, "2001's binding dropped");
    assert!(ts.sw.users(ts.now).iter().all(|u| u.extension != "2001"));
    // The call goes on: 1001 hangs up and 2001 gets the BYE.
    let bye = callee.request(&mut call.b, "BYE", &[], None);
    ts.send(callee.peer, &bye);
    ts.expect_status(&callee, 200);
    let a_bye = ts.expect_request(&new, "BYE");
    ts.send(new.peer, &new.respond(&a_bye, 200, "OK", None, None));
    // Its next REGISTER is refused like any unknown user's.
    register_refused(&mut ts, &mut new);
    assert_eq!(
        ts.sw.change_users(remove("2001")),
        Err(QueueChangeError::NotFound("no extension 2001".into()))
    );
    ts.finish();
}

#[test]
fn a_new_password_refuses_the_old_one() {
    let mut ts = TestSwitch::new();
    ts.sw.change_users(put("1002", "pw-1002-changed")).unwrap();
    let mut old = phone(1002);
    register_refused(&mut ts, &mut old);
    let mut new = Phone::udp("1002", "pw-1002-changed", 6102, old.media);
    ts.register(&mut new, 3600);
    ts.finish();
}

fn agent(id: &str, extension: &str, queues: &[&str]) -> AgentSetup {
    let mut cfg = acd::AgentConfig::new(id).skill("loans", 3);
    for (i, q) in queues.iter().enumerate() {
        cfg = cfg.member_of(q, i as u32);
    }
    AgentSetup {
        cfg,
        name: Some("Agent Lee".into()),
        extension: Some(extension.into()),
        pin: None,
    }
}

#[test]
fn agents_are_added_changed_and_removed_live() {
    let mut cfg = config();
    cfg.acd = support_queue();
    let mut ts = TestSwitch::with(cfg);
    let now = ts.now;
    let put = |a: AgentSetup| QueueChange::PutAgent(Box::new(a));
    let invalid = |field: &str, r: Result<Vec<String>, QueueChangeError>| match r {
        Err(QueueChangeError::Invalid { field: f, .. }) => f == field,
        _ => false,
    };
    assert!(invalid(
        "extension",
        ts.sw
            .change_queues(now, put(agent("a1004", "9999", &["support"])))
    ));
    assert!(invalid(
        "queues",
        ts.sw
            .change_queues(now, put(agent("a1004", "1004", &["nope"])))
    ));
    assert!(invalid(
        "queues",
        ts.sw
            .change_queues(now, put(agent("a1004", "1004", &["support", "support"])))
    ));
    ts.sw
        .change_queues(now, put(agent("a1004", "1004", &["support"])))
        .unwrap();
    let snapshot = ts.sw.acd_snapshot(now);
    assert!(snapshot.agents.iter().any(|a| a.id == "a1004"));
    // The new agent logs in at its extension like a configured one.
    ts.sw
        .agent_command(now, "a1004", AgentCommand::Login { extension: None })
        .unwrap();
    // Its extension cannot go while it is the agent's, nor can a logged-in agent.
    assert!(matches!(
        ts.sw.change_users(remove("1004")),
        Err(QueueChangeError::Conflict(m)) if m.contains("a1004")
    ));
    assert!(matches!(
        ts.sw.change_queues(now, QueueChange::RemoveAgent("a1004".into())),
        Err(QueueChangeError::Conflict(m)) if m.contains("log the agent out")
    ));
    // A change keeps the agent logged in.
    ts.sw
        .change_queues(now, put(agent("a1004", "1004", &[])))
        .unwrap();
    let state = |ts: &TestSwitch| {
        (ts.sw.acd_snapshot(ts.now).agents.into_iter())
            .find(|a| a.id == "a1004")
            .map(|a| a.state)
    };
    assert_eq!(state(&ts), Some("available"));
    ts.sw
        .agent_command(now, "a1004", AgentCommand::Logout)
        .unwrap();
    ts.sw
        .change_queues(now, QueueChange::RemoveAgent("a1004".into()))
        .unwrap();
    assert_eq!(state(&ts), None);
    ts.sw.change_users(remove("1004")).unwrap();
    ts.finish();
}
