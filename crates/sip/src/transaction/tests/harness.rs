//! Two endpoints (UAC and UAS), each with its own `Transactions`, joined by an in-memory network
//! that can drop chosen messages and delay delivery, under a virtual clock (quinn's
//! `Pair::drive()` style). Every transmit is re-parsed with rsip on delivery, so serialization
//! is exercised too.

use super::super::{TimerConfig, TransactionEvent, Transactions};
use crate::{Peer, Transmit, Transport};
use rsip::headers::UntypedHeader;
use rsip::{Header, SipMessage};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Uac,
    Uas,
}

/// One message seen on the wire.
#[derive(Clone, Debug)]
pub struct Wire {
    pub at: Duration,
    pub from: Side,
    /// `INVITE`, `ACK`... for requests; `180 INVITE`, `200 CANCEL`... for responses.
    pub summary: String,
    pub dropped: bool,
    pub msg: SipMessage,
}

struct DropRule {
    from: Side,
    pattern: String,
    remaining: usize,
}

struct InFlight {
    deliver_at: Instant,
    to: Side,
    from: Peer,
    msg: SipMessage,
}

pub struct Endpoint {
    pub tx: Transactions,
    /// How the other side sees this endpoint.
    pub peer: Peer,
    pub events: Vec<(Duration, TransactionEvent)>,
}

pub struct Pair {
    pub start: Instant,
    pub now: Instant,
    pub uac: Endpoint,
    pub uas: Endpoint,
    pub delay: Duration,
    pub wire: Vec<Wire>,
    rules: Vec<DropRule>,
    in_flight: Vec<InFlight>,
    /// Percentage of messages lost at random, and the generator state (deterministic).
    loss: Option<(u64, u64)>,
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

/// `INVITE` or `180 INVITE`: what drop rules and assertions match on.
pub fn summary(msg: &SipMessage) -> String {
    match msg {
        SipMessage::Request(r) => r.method.to_string(),
        SipMessage::Response(r) => {
            let method = r
                .headers
                .iter()
                .find_map(|h| match h {
                    Header::CSeq(c) => c.value().split_whitespace().nth(1).map(str::to_owned),
                    _ => None,
                })
                .unwrap_or_default();
            format!("{} {}", r.status_code.code(), method)
        }
    }
}

fn matches(summary: &str, pattern: &str) -> bool {
    summary == pattern || summary.starts_with(&format!("{pattern} "))
}

impl Pair {
    pub fn new(transport: Transport) -> Pair {
        let start = Instant::now();
        let peer = |a| Peer {
            transport,
            addr: addr(a),
        };
        Pair {
            start,
            now: start,
            uac: Endpoint {
                tx: Transactions::new(TimerConfig::default()),
                peer: peer("10.0.0.1:5060"),
                events: Vec::new(),
            },
            uas: Endpoint {
                tx: Transactions::new(TimerConfig::default()),
                peer: peer("10.0.0.2:5060"),
                events: Vec::new(),
            },
            delay: Duration::ZERO,
            wire: Vec::new(),
            rules: Vec::new(),
            in_flight: Vec::new(),
            loss: None,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Drops the next `count` messages sent by `from` whose summary matches `pattern`
    /// (`"INVITE"`, `"200"`, `"200 INVITE"`...).
    pub fn drop_next(&mut self, from: Side, pattern: &str, count: usize) {
        self.rules.push(DropRule {
            from,
            pattern: pattern.to_owned(),
            remaining: count,
        });
    }

    /// Loses `percent` % of all messages, chosen by a seeded generator.
    pub fn random_loss(&mut self, percent: u64, seed: u64) {
        self.loss = Some((percent, seed));
    }

    fn lose_at_random(&mut self) -> bool {
        let Some((percent, state)) = self.loss.as_mut() else {
            return false;
        };
        // 64-bit LCG (Knuth's MMIX constants): plenty for picking victims.
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*state >> 33) % 100 < *percent
    }

    pub fn endpoint(&mut self, side: Side) -> &mut Endpoint {
        match side {
            Side::Uac => &mut self.uac,
            Side::Uas => &mut self.uas,
        }
    }

    fn collect(&mut self) -> bool {
        let mut progressed = false;
        for side in [Side::Uac, Side::Uas] {
            let elapsed = self.elapsed();
            let now = self.now;
            let delay = self.delay;
            let mut sent: Vec<Transmit> = Vec::new();
            {
                let ep = self.endpoint(side);
                while let Some(t) = ep.tx.poll_transmit() {
                    sent.push(t);
                }
                while let Some(e) = ep.tx.poll_event() {
                    ep.events.push((elapsed, e));
                    progressed = true;
                }
            }
            let from = self.endpoint(side).peer;
            for t in sent {
                progressed = true;
                let text = std::str::from_utf8(&t.bytes).expect("utf-8 on the wire");
                let msg = SipMessage::try_from(text).expect("layer output must parse");
                let s = summary(&msg);
                let other = match side {
                    Side::Uac => Side::Uas,
                    Side::Uas => Side::Uac,
                };
                assert_eq!(
                    t.to,
                    self.endpoint(other).peer,
                    "{s} from {side:?} sent to the wrong peer"
                );
                let rule = self
                    .rules
                    .iter_mut()
                    .find(|r| r.from == side && r.remaining > 0 && matches(&s, &r.pattern));
                let dropped = match rule {
                    Some(r) => {
                        r.remaining -= 1;
                        true
                    }
                    None => self.lose_at_random(),
                };
                if !dropped {
                    self.in_flight.push(InFlight {
                        deliver_at: now + delay,
                        to: other,
                        from,
                        msg: msg.clone(),
                    });
                }
                self.wire.push(Wire {
                    at: elapsed,
                    from: side,
                    summary: s,
                    dropped,
                    msg,
                });
            }
        }
        progressed
    }

    fn deliver_due(&mut self) -> bool {
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|p| p.deliver_at <= now);
        self.in_flight = later;
        let any = !due.is_empty();
        for p in due {
            self.endpoint(p.to).tx.handle_message(now, p.from, p.msg);
        }
        any
    }

    /// Moves messages and events until nothing more happens at the current instant.
    pub fn drive(&mut self) {
        loop {
            let a = self.collect();
            let b = self.deliver_due();
            if !a && !b {
                break;
            }
        }
    }

    pub fn next_wakeup(&self) -> Option<Instant> {
        [
            self.uac.tx.poll_timeout(),
            self.uas.tx.poll_timeout(),
            self.in_flight.iter().map(|p| p.deliver_at).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Advances the clock by `d`, firing every timer and delivery on the way.
    pub fn advance(&mut self, d: Duration) {
        let until = self.now + d;
        self.drive();
        while let Some(at) = self.next_wakeup().filter(|&at| at <= until) {
            assert!(at >= self.now, "a deadline in the past was reported");
            self.now = at;
            self.uac.tx.handle_timeout(at);
            self.uas.tx.handle_timeout(at);
            self.drive();
        }
        self.now = until;
        self.drive();
    }

    /// Runs until no timers and no messages are left (bounded, so a leak fails instead of hangs).
    pub fn run_to_idle(&mut self) {
        for _ in 0..100_000 {
            self.drive();
            match self.next_wakeup() {
                Some(at) => {
                    let step = at.saturating_duration_since(self.now);
                    self.advance(step);
                }
                None => return,
            }
        }
        panic!("did not go idle");
    }

    /// Both sides hold no transaction and no queued deadline.
    pub fn assert_clean(&self) {
        assert_eq!(self.uac.tx.len(), 0, "UAC leaked transactions");
        assert_eq!(self.uas.tx.len(), 0, "UAS leaked transactions");
        assert_eq!(self.uac.tx.queued_timers(), 0, "UAC leaked timers");
        assert_eq!(self.uas.tx.queued_timers(), 0, "UAS leaked timers");
        assert!(self.uac.tx.poll_timeout().is_none());
        assert!(self.uas.tx.poll_timeout().is_none());
    }

    /// Times (since start) at which `from` put a message matching `pattern` on the wire.
    pub fn sent_at(&self, from: Side, pattern: &str) -> Vec<Duration> {
        self.wire
            .iter()
            .filter(|w| w.from == from && matches(&w.summary, pattern))
            .map(|w| w.at)
            .collect()
    }

    /// Messages `from` sent that match `pattern`.
    pub fn sent(&self, from: Side, pattern: &str) -> Vec<&SipMessage> {
        self.wire
            .iter()
            .filter(|w| w.from == from && matches(&w.summary, pattern))
            .map(|w| &w.msg)
            .collect()
    }

    /// How many messages the network lost.
    pub fn lost(&self) -> usize {
        self.wire.iter().filter(|w| w.dropped).count()
    }

    /// Takes the events `side`'s TU has not looked at yet.
    pub fn take_events(&mut self, side: Side) -> Vec<(Duration, TransactionEvent)> {
        std::mem::take(&mut self.endpoint(side).events)
    }
}

pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}
