//! Server transactions (§17.2): INVITE (Proceeding → Accepted (RFC 6026) | Completed →
//! Confirmed) and non-INVITE (Trying → Proceeding → Completed), with ACK and CANCEL routing.

use super::build;
use super::key::{self, AckKey, ServerKey};
use super::timers::{TimerSlots, TxRef};
use super::{Next, ServerTxId, Timer, TransactionError, TransactionEvent, Transactions};
use crate::Peer;
use bytes::Bytes;
use rsip::{Method, Request, Response};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerState {
    /// Non-INVITE received, TU has not answered.
    Trying,
    Proceeding,
    /// INVITE answered with 2xx (RFC 6026): retransmit it until the ACK, absorb INVITE copies.
    Accepted,
    Completed,
    /// INVITE failure ACKed: absorb ACK copies until Timer I.
    Confirmed,
}

#[derive(Debug)]
pub(super) struct ServerTx {
    key: ServerKey,
    invite: bool,
    state: ServerState,
    /// Responses go back where the request came from.
    from: Peer,
    last_response: Option<Bytes>,
    /// Current Timer G interval.
    interval: Duration,
    pub(super) timers: TimerSlots,
    /// To tag of our final, checked against ACKs from RFC 2543 peers.
    final_to_tag: Option<Box<str>>,
    /// Registered in `Transactions::accepted` while in Accepted.
    ack_key: Option<AckKey>,
    acked: bool,
}

impl Transactions {
    /// Responds on server transaction `tx`; the response goes to the peer the request came
    /// from. INVITE: 1xx keeps Proceeding; 2xx enters Accepted (retransmitted at T1, 2T1, … T2
    /// on unreliable transports until ACKed; Timer L ends it and raises `AckTimeout` without an
    /// ACK); 3xx–6xx enters Completed (G retransmits on UDP, H waits for the ACK, then I).
    /// Non-INVITE: a final enters Completed for Timer J (zero on TCP).
    pub fn send_response(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        response: Response,
    ) -> Result<(), TransactionError> {
        let code = response.status_code.code();
        if !(100..=699).contains(&code) {
            return Err(TransactionError::InvalidStatus(code));
        }
        let t = self
            .servers
            .get_mut(&tx)
            .ok_or(TransactionError::UnknownServer(tx))?;
        if !matches!(t.state, ServerState::Trying | ServerState::Proceeding) {
            return Err(TransactionError::FinalAlreadySent(tx));
        }
        let bytes = build::response_bytes(&response);
        self.out.send(t.from, bytes.clone());
        t.last_response = Some(bytes);
        let r = TxRef::Server(tx);
        let unreliable = !t.from.transport.is_reliable();
        let next = if code < 200 {
            t.state = ServerState::Proceeding;
            Next::Keep
        } else if !t.invite {
            t.state = ServerState::Completed;
            let j = self.cfg.timer_j(t.from.transport);
            if j.is_zero() {
                Next::Terminate
            } else {
                self.out.arm(&mut t.timers, r, Timer::J, now + j);
                Next::Keep
            }
        } else {
            if code < 300 {
                t.state = ServerState::Accepted;
                self.out
                    .arm(&mut t.timers, r, Timer::L, now + self.cfg.t1x64());
                if let Some(k) = AckKey::of(&response.headers) {
                    self.accepted.insert(k.clone(), tx);
                    t.ack_key = Some(k);
                }
            } else {
                t.state = ServerState::Completed;
                t.final_to_tag = key::to_tag(&response.headers).map(Into::into);
                self.out
                    .arm(&mut t.timers, r, Timer::H, now + self.cfg.t1x64());
            }
            if unreliable {
                t.interval = self.cfg.t1;
                self.out.arm(&mut t.timers, r, Timer::G, now + self.cfg.t1);
            }
            Next::Keep
        };
        if next == Next::Terminate {
            self.terminate_server(tx);
        }
        self.drop_stale_timers();
        Ok(())
    }

    pub(super) fn on_request(&mut self, now: Instant, from: Peer, request: Request) {
        if request.method == Method::Ack {
            self.on_ack(now, from, request);
            return;
        }
        let Some(key) = key::server_key(&request, request.method, from.transport) else {
            self.out.stats.unmatchable += 1;
            return;
        };
        if let Some(&id) = self.server_keys.get(&key) {
            self.out.stats.retransmissions_absorbed += 1;
            if let Some(t) = self.servers.get(&id) {
                // Once ACKed, the caller already has our final: absorb silently (RFC 6026 §7.1).
                let acked = t.state == ServerState::Confirmed || t.acked;
                if !acked {
                    if let Some(b) = &t.last_response {
                        self.out.send(t.from, b.clone());
                    }
                }
            }
            return;
        }
        if request.method == Method::Cancel {
            self.on_cancel(now, from, request, key);
            return;
        }
        let id = ServerTxId(self.next_id());
        let invite = request.method == Method::Invite;
        let mut tx = ServerTx {
            key: key.clone(),
            invite,
            state: if invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            from,
            last_response: None,
            interval: self.cfg.t1,
            timers: TimerSlots::default(),
            final_to_tag: None,
            ack_key: None,
            acked: false,
        };
        if invite {
            // Sent at once rather than after 200 ms (§17.2.1 allows both): it stops the
            // caller's Timer A and costs one small datagram.
            let trying = build::response_to(&request, 100, "Trying", None);
            let bytes = build::response_bytes(&trying);
            self.out.send(from, bytes.clone());
            tx.last_response = Some(bytes);
        }
        self.server_keys.insert(key, id);
        self.servers.insert(id, tx);
        self.out.event(TransactionEvent::Request {
            tx: id,
            from,
            request,
        });
    }

    /// CANCEL is its own non-INVITE transaction, answered by the layer: 200 if it matches an
    /// INVITE server transaction, 481 otherwise (§9.2).
    fn on_cancel(&mut self, now: Instant, from: Peer, request: Request, key: ServerKey) {
        let invite = key::server_key(&request, Method::Invite, from.transport)
            .and_then(|k| self.server_keys.get(&k).copied());
        let (code, reason) = match invite {
            Some(_) => (200, "OK"),
            None => (481, "Call/Transaction Does Not Exist"),
        };
        let seed = key::top_via(&request.headers).map_or("", |v| v.value);
        let tag = build::derived_tag(seed);
        let response = build::response_to(&request, code, reason, Some(&tag));
        let bytes = build::response_bytes(&response);
        self.out.send(from, bytes.clone());
        let id = ServerTxId(self.next_id());
        let j = self.cfg.timer_j(from.transport);
        if !j.is_zero() {
            let mut tx = ServerTx {
                key: key.clone(),
                invite: false,
                state: ServerState::Completed,
                from,
                last_response: Some(bytes),
                interval: self.cfg.t1,
                timers: TimerSlots::default(),
                final_to_tag: None,
                ack_key: None,
                acked: false,
            };
            self.out
                .arm(&mut tx.timers, TxRef::Server(id), Timer::J, now + j);
            self.server_keys.insert(key, id);
            self.servers.insert(id, tx);
        }
        if let Some(inv) = invite {
            let pending = self
                .servers
                .get(&inv)
                .is_some_and(|t| t.state == ServerState::Proceeding);
            if pending {
                self.out
                    .event(TransactionEvent::Cancelled { tx: inv, request });
            }
        }
    }

    /// An ACK either ends a failed INVITE (same branch), confirms a 2xx (dialog identifiers), or
    /// matches nothing and goes to the TU as is.
    fn on_ack(&mut self, now: Instant, from: Peer, request: Request) {
        let same_branch = key::server_key(&request, Method::Invite, from.transport)
            .and_then(|k| self.server_keys.get(&k).copied());
        if let Some(id) = same_branch {
            if let Some(t) = self.servers.get_mut(&id) {
                match t.state {
                    ServerState::Completed => {
                        let tag_ok = !t.key.is_rfc2543()
                            || key::to_tag(&request.headers) == t.final_to_tag.as_deref();
                        if tag_ok {
                            t.state = ServerState::Confirmed;
                            t.timers.cancel(Timer::G);
                            t.timers.cancel(Timer::H);
                            let i = self.cfg.t4_unless_reliable(t.from.transport);
                            if i.is_zero() {
                                self.terminate_server(id);
                            } else {
                                self.out
                                    .arm(&mut t.timers, TxRef::Server(id), Timer::I, now + i);
                            }
                            return;
                        }
                    }
                    ServerState::Confirmed => {
                        self.out.stats.retransmissions_absorbed += 1;
                        return;
                    }
                    // Some UAs reuse the INVITE's branch in the 2xx ACK.
                    ServerState::Accepted => {
                        self.ack_accepted(id, from, request);
                        return;
                    }
                    ServerState::Trying | ServerState::Proceeding => {}
                }
            }
        }
        let accepted = AckKey::of(&request.headers).and_then(|k| self.accepted.get(&k).copied());
        match accepted {
            Some(id) => self.ack_accepted(id, from, request),
            None => self.out.event(TransactionEvent::Ack {
                tx: None,
                from,
                request,
            }),
        }
    }

    fn ack_accepted(&mut self, id: ServerTxId, from: Peer, request: Request) {
        let Some(t) = self.servers.get_mut(&id) else {
            return;
        };
        if t.acked {
            self.out.stats.retransmissions_absorbed += 1;
            return;
        }
        t.acked = true;
        t.timers.cancel(Timer::G);
        self.out.event(TransactionEvent::Ack {
            tx: Some(id),
            from,
            request,
        });
    }

    pub(super) fn on_server_timer(&mut self, now: Instant, id: ServerTxId, timer: Timer, gen: u64) {
        let Some(t) = self.servers.get_mut(&id) else {
            return;
        };
        if !t.timers.take_if_current(timer, gen) {
            return;
        }
        let next = match (timer, t.state) {
            (Timer::G, ServerState::Completed | ServerState::Accepted) => {
                if let Some(b) = &t.last_response {
                    self.out.send(t.from, b.clone());
                }
                t.interval = (t.interval * 2).min(self.cfg.t2);
                self.out
                    .arm(&mut t.timers, TxRef::Server(id), Timer::G, now + t.interval);
                Next::Keep
            }
            (Timer::H, ServerState::Completed) => {
                tracing::debug!(?id, "no ACK for a failure response (Timer H)");
                Next::Terminate
            }
            (Timer::L, ServerState::Accepted) => {
                if !t.acked {
                    self.out.event(TransactionEvent::AckTimeout { tx: id });
                }
                Next::Terminate
            }
            (Timer::I, ServerState::Confirmed) | (Timer::J, ServerState::Completed) => {
                Next::Terminate
            }
            _ => Next::Keep,
        };
        if next == Next::Terminate {
            self.terminate_server(id);
        }
    }

    fn terminate_server(&mut self, id: ServerTxId) {
        let Some(t) = self.servers.remove(&id) else {
            return;
        };
        if self.server_keys.get(&t.key) == Some(&id) {
            self.server_keys.remove(&t.key);
        }
        if let Some(k) = t.ack_key {
            if self.accepted.get(&k) == Some(&id) {
                self.accepted.remove(&k);
            }
        }
    }
}
