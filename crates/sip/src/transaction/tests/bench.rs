//! Rough cost per message through two `Transactions` (rsip parse and print included, as the
//! driver would pay them). Ignored by default; run with
//! `cargo test --release -p switchboard-sip transaction::tests::bench -- --ignored --nocapture`.

use super::super::{TimerConfig, TransactionEvent, Transactions};
use super::msgs::{ack_for_2xx, invite, request, respond};
use crate::{Peer, Transport::Udp};
use rsip::SipMessage;
use std::time::{Duration, Instant};

fn pump(now: Instant, from: &mut Transactions, from_peer: Peer, to: &mut Transactions) -> usize {
    let mut n = 0;
    while let Some(t) = from.poll_transmit() {
        let msg = SipMessage::try_from(t.bytes.as_ref()).expect("parses");
        to.handle_message(now, from_peer, msg);
        n += 1;
    }
    n
}

#[test]
#[ignore = "timing, not behaviour"]
fn cost_per_message() {
    let calls = 20_000;
    let uac_peer = Peer::udp("10.0.0.1:5060".parse().expect("addr"));
    let uas_peer = Peer::udp("10.0.0.2:5060".parse().expect("addr"));
    let mut uac = Transactions::new(TimerConfig::default());
    let mut uas = Transactions::new(TimerConfig::default());
    let t0 = Instant::now();
    let mut now = t0;
    let mut messages = 0;
    for i in 0..calls {
        now += Duration::from_micros(500);
        let c = uac
            .send_request(
                now,
                uas_peer,
                invite(Udp, &format!("z9hG4bKb{i}"), &format!("b{i}")),
            )
            .expect("sent");
        messages += pump(now, &mut uac, uac_peer, &mut uas);
        while let Some(e) = uas.poll_event() {
            if let TransactionEvent::Request { tx, request, .. } = e {
                uas.send_response(now, tx, respond(&request, 180))
                    .expect("180");
                uas.send_response(now, tx, respond(&request, 200))
                    .expect("200");
            }
        }
        messages += pump(now, &mut uas, uas_peer, &mut uac);
        while let Some(e) = uac.poll_event() {
            if let TransactionEvent::Response { response, .. } = e {
                if response.status_code.code() == 200 {
                    let ack = ack_for_2xx(Udp, &response, &format!("z9hG4bKba{i}"));
                    uac.ack_2xx(now, c, uas_peer, ack).expect("ack");
                }
            }
        }
        let bye = request(Udp, "BYE", &format!("z9hG4bKbb{i}"), &format!("b{i}"));
        uac.send_request(now, uas_peer, bye).expect("bye");
        messages += pump(now, &mut uac, uac_peer, &mut uas);
        while let Some(e) = uas.poll_event() {
            if let TransactionEvent::Request { tx, request, .. } = e {
                uas.send_response(now, tx, respond(&request, 200))
                    .expect("200");
            }
        }
        messages += pump(now, &mut uas, uas_peer, &mut uac);
        while uac.poll_event().is_some() {}
        uac.handle_timeout(now);
        uas.handle_timeout(now);
    }
    let elapsed = t0.elapsed();
    now += Duration::from_secs(64);
    uac.handle_timeout(now);
    uas.handle_timeout(now);
    assert_eq!(uac.len() + uas.len(), 0);
    println!(
        "{calls} calls, {messages} messages in {elapsed:?}: {:.2} µs/message incl. parse+print",
        elapsed.as_secs_f64() * 1e6 / messages as f64
    );
}
