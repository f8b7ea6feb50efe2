//! Shutdown with calls in progress: answered calls get BYE, ringing ones 503 and CANCEL.

use super::harness::{answered_call, phone, ringing_call, TestSwitch};
use switch::{CdrEvent, Disposition};

#[test]
fn shutdown_ends_answered_and_ringing_calls() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (mut c, mut d) = (phone(1003), phone(1004));
    answered_call(&mut ts, &mut a, &mut b);
    let (cd, d_inv) = ringing_call(&mut ts, &mut c, &mut d);
    assert_eq!(ts.sw.stats().calls_active, 2);

    let now = ts.now;
    ts.sw.shutdown(now);
    ts.pump();
    for p in [&a, &b] {
        let bye = ts.expect_request(p, "BYE");
        ts.send(p.peer, &p.respond(&bye, 200, "OK", None, None));
    }
    let r = ts.expect_status(&c, 503);
    ts.send(c.peer, &c.ack_non2xx(&cd, &r));
    let cancel = ts.expect_request(&d, "CANCEL");
    ts.send(d.peer, &d.respond(&cancel, 200, "OK", Some("btag"), None));
    ts.send(
        d.peer,
        &d.respond(&d_inv, 487, "Request Terminated", Some("btag"), None),
    );
    ts.expect_request(&d, "ACK");

    let ends: Vec<_> = ts
        .take_cdrs()
        .into_iter()
        .filter_map(|e| match e {
            CdrEvent::End(end) => Some(end),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 2, "{ends:?}");
    assert!(ends.iter().all(|e| e.hangup_cause == "switch shutdown"));
    assert!(ends
        .iter()
        .all(|e| e.hangup_side == Some(switch::HangupSide::Switch)));
    let mut dispositions: Vec<_> = ends.iter().map(|e| e.disposition).collect();
    dispositions.sort_by_key(|d| format!("{d:?}"));
    assert_eq!(dispositions, [Disposition::Answered, Disposition::Failed]);
    for p in [&a, &b, &c, &d] {
        ts.assert_quiet(p);
    }
    ts.finish();
}
