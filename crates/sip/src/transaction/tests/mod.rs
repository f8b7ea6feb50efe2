//! Transaction scenarios: a UAC and a UAS, each with its own `Transactions`, over a lossy
//! in-memory network under a virtual clock. Each test asserts events (with their times and timer
//! reasons), what went on the wire, and that both sides end with no transaction and no timer.

mod bench;
mod cancel;
mod harness;
mod invite;
mod misc;
mod msgs;
mod non_invite;

use super::{ClientTxId, ServerTxId, Timer, TransactionEvent};
use harness::{Pair, Side};
use rsip::Request;
use std::time::Duration;

type Events = [(Duration, TransactionEvent)];

/// Status codes of the Response events on client transaction `tx`, in order.
fn codes(events: &Events, tx: ClientTxId) -> Vec<u16> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            TransactionEvent::Response { tx: t, response } if *t == tx => {
                Some(response.status_code.code())
            }
            _ => None,
        })
        .collect()
}

/// The Request events (new server transactions).
fn requests(events: &Events) -> Vec<(ServerTxId, Request)> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            TransactionEvent::Request { tx, request, .. } => Some((*tx, request.clone())),
            _ => None,
        })
        .collect()
}

/// When `tx` timed out, and by which timer.
fn timeouts(events: &Events) -> Vec<(Duration, ClientTxId, Timer)> {
    events
        .iter()
        .filter_map(|(at, e)| match e {
            TransactionEvent::Timeout { tx, timer } => Some((*at, *tx, *timer)),
            _ => None,
        })
        .collect()
}

fn terminated(events: &Events) -> Vec<(Duration, ClientTxId)> {
    events
        .iter()
        .filter_map(|(at, e)| match e {
            TransactionEvent::Terminated { tx } => Some((*at, *tx)),
            _ => None,
        })
        .collect()
}

/// The UAC sends `request` and the UAS sees exactly one new server transaction for it.
fn start(p: &mut Pair, request: Request) -> (ClientTxId, ServerTxId, Request) {
    let to = p.uas.peer;
    let c = p
        .uac
        .tx
        .send_request(p.now, to, request)
        .expect("request accepted");
    p.drive();
    let reqs = requests(&p.take_events(Side::Uas));
    assert_eq!(reqs.len(), 1, "one new server transaction");
    let (s, req) = reqs.into_iter().next().expect("one");
    (c, s, req)
}
