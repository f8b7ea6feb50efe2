//! Client transactions (§17.1): INVITE (Calling → Proceeding → Accepted | Completed, RFC 6026)
//! and non-INVITE (Trying → Proceeding → Completed), and CANCEL of a pending INVITE (§9.1).

use super::build;
use super::key::{self, ClientKey};
use super::timers::{TimerConfig, TimerSlots, TxRef};
use super::{ClientTxId, Next, Outputs, Timer, TransactionError, TransactionEvent, Transactions};
use crate::Peer;
use bytes::Bytes;
use rsip::{Method, Request, Response};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientState {
    /// INVITE sent, nothing heard yet.
    Calling,
    /// Non-INVITE sent, nothing heard yet.
    Trying,
    Proceeding,
    /// INVITE got a 2xx (RFC 6026): absorb 2xx copies, answering each with the TU's ACK.
    Accepted,
    Completed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CancelState {
    NotRequested,
    /// The TU asked to cancel before any provisional: §9.1 forbids sending yet.
    Pending(ClientTxId),
    Sent(ClientTxId),
}

/// A 2xx seen in Accepted, by To tag (forked 2xx have distinct tags), with the TU's ACK.
#[derive(Debug)]
struct Accepted2xx {
    to_tag: Box<str>,
    ack: Option<(Peer, Bytes)>,
}

#[derive(Debug)]
pub(super) struct ClientTx {
    key: ClientKey,
    state: ClientState,
    to: Peer,
    /// The request as sent, for Timer A/E retransmissions; emptied once a final arrives.
    bytes: Bytes,
    /// Current retransmission interval of Timer A or E.
    interval: Duration,
    pub(super) timers: TimerSlots,
    is_invite: bool,
    /// The INVITE itself, kept to build the ACK for a failure and the CANCEL; dropped once a
    /// final arrives (neither is built after that), and None for other methods.
    invite: Option<Request>,
    cancel: CancelState,
    failure_ack: Option<Bytes>,
    accepted: Vec<Accepted2xx>,
}

impl Transactions {
    /// Starts a client transaction. `request` already carries its top Via with a fresh branch.
    /// Sends it to `to` and arms A/B (INVITE) or E/F (others); reliable transports get no
    /// retransmission timers. ACK is refused: it is not a transaction.
    pub fn send_request(
        &mut self,
        now: Instant,
        to: Peer,
        request: Request,
    ) -> Result<ClientTxId, TransactionError> {
        let id = ClientTxId(self.next_id());
        self.start_client(now, id, to, request)?;
        self.drop_stale_timers();
        Ok(id)
    }

    /// ACKs a 2xx on INVITE client transaction `tx`. The TU builds the ACK (new branch, same
    /// CSeq number, the dialog's route); the layer sends it to `to` and resends it for each
    /// retransmission of that 2xx (matched by To tag) until Timer M ends the transaction.
    pub fn ack_2xx(
        &mut self,
        _now: Instant,
        tx: ClientTxId,
        to: Peer,
        ack: Request,
    ) -> Result<(), TransactionError> {
        let t = self
            .clients
            .get_mut(&tx)
            .ok_or(TransactionError::UnknownClient(tx))?;
        if !t.is_invite {
            return Err(TransactionError::NotInvite(tx));
        }
        if t.state != ClientState::Accepted {
            return Err(TransactionError::NotAccepted(tx));
        }
        let tag = key::to_tag(&ack.headers).unwrap_or("");
        let bytes = build::request_bytes(&ack);
        match t.accepted.iter_mut().find(|a| &*a.to_tag == tag) {
            Some(a) => a.ack = Some((to, bytes.clone())),
            None => t.accepted.push(Accepted2xx {
                to_tag: tag.into(),
                ack: Some((to, bytes.clone())),
            }),
        }
        self.out.send(to, bytes);
        Ok(())
    }

    /// Cancels INVITE client transaction `tx` (§9.1). The CANCEL is built from the stored
    /// INVITE and runs as its own non-INVITE client transaction, whose id is returned. It is
    /// sent once a provisional has arrived; if none has, it waits for the first one, and if a
    /// final arrives first it is never sent (its id then just gets `Terminated`). Sending it
    /// re-arms Timer B on the INVITE, so a UAS that never answers 487 still ends it.
    pub fn cancel(&mut self, now: Instant, tx: ClientTxId) -> Result<ClientTxId, TransactionError> {
        let t = self
            .clients
            .get(&tx)
            .ok_or(TransactionError::UnknownClient(tx))?;
        if !t.is_invite {
            return Err(TransactionError::NotInvite(tx));
        }
        match (t.state, t.cancel) {
            (_, CancelState::Pending(cid) | CancelState::Sent(cid)) => return Ok(cid),
            (ClientState::Accepted | ClientState::Completed, _) => {
                return Err(TransactionError::AlreadyFinal(tx))
            }
            _ => {}
        }
        let cid = ClientTxId(self.next_id());
        if let Some(t) = self.clients.get_mut(&tx) {
            t.cancel = CancelState::Pending(cid);
        }
        self.settle_cancel(now, tx);
        self.drop_stale_timers();
        Ok(cid)
    }

    fn start_client(
        &mut self,
        now: Instant,
        id: ClientTxId,
        to: Peer,
        request: Request,
    ) -> Result<(), TransactionError> {
        if request.method == Method::Ack {
            return Err(TransactionError::AckIsNotATransaction);
        }
        let branch = key::top_via(&request.headers)
            .and_then(|v| v.branch.map(Box::<str>::from))
            .ok_or(TransactionError::MissingBranch)?;
        let cseq = key::cseq(&request.headers).ok_or(TransactionError::MissingHeader("CSeq"))?;
        if cseq.method != request.method {
            return Err(TransactionError::MissingHeader("CSeq"));
        }
        let is_invite = request.method == Method::Invite;
        if is_invite && key::call_id(&request.headers).is_none() {
            return Err(TransactionError::MissingHeader("Call-ID"));
        }
        let key = ClientKey {
            branch,
            method: request.method.into(),
        };
        if self.client_keys.contains_key(&key) {
            return Err(TransactionError::DuplicateBranch);
        }
        let bytes = build::request_bytes(&request);
        let mut tx = ClientTx {
            key: key.clone(),
            state: if is_invite {
                ClientState::Calling
            } else {
                ClientState::Trying
            },
            to,
            bytes: bytes.clone(),
            interval: self.cfg.t1,
            timers: TimerSlots::default(),
            is_invite,
            invite: is_invite.then_some(request),
            cancel: CancelState::NotRequested,
            failure_ack: None,
            accepted: Vec::new(),
        };
        let r = TxRef::Client(id);
        let (retransmit, give_up) = if is_invite {
            (Timer::A, Timer::B)
        } else {
            (Timer::E, Timer::F)
        };
        if !to.transport.is_reliable() {
            self.out
                .arm(&mut tx.timers, r, retransmit, now + self.cfg.t1);
        }
        self.out
            .arm(&mut tx.timers, r, give_up, now + self.cfg.t1x64());
        self.out.send(to, bytes);
        self.client_keys.insert(key, id);
        self.clients.insert(id, tx);
        Ok(())
    }

    pub(super) fn on_response(&mut self, now: Instant, response: Response) {
        let matched = key::top_via(&response.headers)
            .and_then(|v| v.branch.map(Box::<str>::from))
            .zip(key::cseq(&response.headers));
        let Some((branch, cseq)) = matched else {
            self.out.stats.unmatchable += 1;
            return;
        };
        let key = ClientKey {
            branch,
            method: cseq.method.into(),
        };
        let Some(&id) = self.client_keys.get(&key) else {
            self.out.stats.stray_responses += 1;
            tracing::debug!(
                status = response.status_code.code(),
                "stray response dropped"
            );
            return;
        };
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        let next = tx.on_response(id, now, &self.cfg, &mut self.out, response);
        if next == Next::Terminate {
            self.terminate_client(id);
        } else {
            self.settle_cancel(now, id);
        }
    }

    pub(super) fn on_client_timer(&mut self, now: Instant, id: ClientTxId, timer: Timer, gen: u64) {
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        if !tx.timers.take_if_current(timer, gen) {
            return;
        }
        if tx.on_timer(id, now, &self.cfg, &mut self.out, timer) == Next::Terminate {
            self.terminate_client(id);
        }
    }

    /// Sends or drops a pending CANCEL once the INVITE's state allows deciding (§9.1).
    fn settle_cancel(&mut self, now: Instant, id: ClientTxId) {
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        let CancelState::Pending(cid) = tx.cancel else {
            return;
        };
        match tx.state {
            ClientState::Proceeding => {
                tx.cancel = CancelState::Sent(cid);
                self.out.arm(
                    &mut tx.timers,
                    TxRef::Client(id),
                    Timer::B,
                    now + self.cfg.t1x64(),
                );
                let to = tx.to;
                let cancel = tx.build_cancel();
                let started = match cancel {
                    Some(req) => self.start_client(now, cid, to, req),
                    None => Err(TransactionError::MissingHeader("To")),
                };
                if let Err(e) = started {
                    tracing::debug!(error = %e, "CANCEL could not be sent");
                    self.out.event(TransactionEvent::Terminated { tx: cid });
                }
            }
            ClientState::Accepted | ClientState::Completed => {
                tx.cancel = CancelState::NotRequested;
                self.out.event(TransactionEvent::Terminated { tx: cid });
            }
            ClientState::Calling | ClientState::Trying => {}
        }
    }

    fn terminate_client(&mut self, id: ClientTxId) {
        let Some(tx) = self.clients.remove(&id) else {
            return;
        };
        if self.client_keys.get(&tx.key) == Some(&id) {
            self.client_keys.remove(&tx.key);
        }
        if let CancelState::Pending(cid) = tx.cancel {
            self.out.event(TransactionEvent::Terminated { tx: cid });
        }
        self.out.event(TransactionEvent::Terminated { tx: id });
    }
}

impl ClientTx {
    fn on_response(
        &mut self,
        id: ClientTxId,
        now: Instant,
        cfg: &TimerConfig,
        out: &mut Outputs,
        response: Response,
    ) -> Next {
        let code = response.status_code.code();
        if self.is_invite {
            self.invite_response(id, now, cfg, out, response, code)
        } else {
            self.non_invite_response(id, now, cfg, out, response, code)
        }
    }

    fn invite_response(
        &mut self,
        id: ClientTxId,
        now: Instant,
        cfg: &TimerConfig,
        out: &mut Outputs,
        response: Response,
        code: u16,
    ) -> Next {
        let r = TxRef::Client(id);
        match self.state {
            ClientState::Calling | ClientState::Proceeding => {
                self.timers.cancel(Timer::A);
                if code < 200 {
                    self.state = ClientState::Proceeding;
                    // Without a CANCEL in flight an INVITE may ring for as long as the TU likes.
                    if !matches!(self.cancel, CancelState::Sent(_)) {
                        self.timers.cancel(Timer::B);
                    }
                    out.event(TransactionEvent::Response { tx: id, response });
                    return Next::Keep;
                }
                self.timers.cancel(Timer::B);
                if code < 300 {
                    self.state = ClientState::Accepted;
                    self.release_request();
                    self.accepted.push(Accepted2xx {
                        to_tag: key::to_tag(&response.headers).unwrap_or("").into(),
                        ack: None,
                    });
                    out.arm(&mut self.timers, r, Timer::M, now + cfg.t1x64());
                    out.event(TransactionEvent::Response { tx: id, response });
                    return Next::Keep;
                }
                self.state = ClientState::Completed;
                if let Some(ack) = self.build_failure_ack(&response) {
                    out.send(self.to, ack.clone());
                    self.failure_ack = Some(ack);
                }
                self.release_request();
                out.event(TransactionEvent::Response { tx: id, response });
                let d = cfg.timer_d(self.to.transport);
                if d.is_zero() {
                    return Next::Terminate;
                }
                out.arm(&mut self.timers, r, Timer::D, now + d);
                Next::Keep
            }
            ClientState::Accepted => {
                if (200..300).contains(&code) {
                    let tag = key::to_tag(&response.headers).unwrap_or("");
                    match self.accepted.iter().find(|a| &*a.to_tag == tag) {
                        Some(a) => {
                            if let Some((to, ack)) = &a.ack {
                                out.send(*to, ack.clone());
                            }
                            out.stats.retransmissions_absorbed += 1;
                        }
                        None => {
                            // A forked 2xx from another UAS: the TU must ACK (and likely BYE) it.
                            self.accepted.push(Accepted2xx {
                                to_tag: tag.into(),
                                ack: None,
                            });
                            out.event(TransactionEvent::Response { tx: id, response });
                        }
                    }
                } else {
                    out.stats.retransmissions_absorbed += 1;
                }
                Next::Keep
            }
            ClientState::Completed => {
                if code >= 300 {
                    if let Some(ack) = &self.failure_ack {
                        out.send(self.to, ack.clone());
                    }
                }
                out.stats.retransmissions_absorbed += 1;
                Next::Keep
            }
            ClientState::Trying => Next::Keep,
        }
    }

    fn non_invite_response(
        &mut self,
        id: ClientTxId,
        now: Instant,
        cfg: &TimerConfig,
        out: &mut Outputs,
        response: Response,
        code: u16,
    ) -> Next {
        match self.state {
            ClientState::Trying | ClientState::Proceeding => {
                if code < 200 {
                    self.state = ClientState::Proceeding;
                    // §17.1.2.2: in Proceeding, Timer E is reset to T2 each time it fires.
                    self.interval = cfg.t2;
                    out.event(TransactionEvent::Response { tx: id, response });
                    return Next::Keep;
                }
                self.state = ClientState::Completed;
                self.timers.cancel(Timer::E);
                self.timers.cancel(Timer::F);
                self.release_request();
                out.event(TransactionEvent::Response { tx: id, response });
                let k = cfg.t4_unless_reliable(self.to.transport);
                if k.is_zero() {
                    return Next::Terminate;
                }
                out.arm(&mut self.timers, TxRef::Client(id), Timer::K, now + k);
                Next::Keep
            }
            _ => {
                out.stats.retransmissions_absorbed += 1;
                Next::Keep
            }
        }
    }

    fn on_timer(
        &mut self,
        id: ClientTxId,
        now: Instant,
        cfg: &TimerConfig,
        out: &mut Outputs,
        timer: Timer,
    ) -> Next {
        let r = TxRef::Client(id);
        match (timer, self.state) {
            (Timer::A, ClientState::Calling) => {
                out.send(self.to, self.bytes.clone());
                self.interval *= 2;
                out.arm(&mut self.timers, r, Timer::A, now + self.interval);
                Next::Keep
            }
            (Timer::E, ClientState::Trying | ClientState::Proceeding) => {
                out.send(self.to, self.bytes.clone());
                self.interval = if self.state == ClientState::Trying {
                    (self.interval * 2).min(cfg.t2)
                } else {
                    cfg.t2
                };
                out.arm(&mut self.timers, r, Timer::E, now + self.interval);
                Next::Keep
            }
            (Timer::B, ClientState::Calling | ClientState::Proceeding)
            | (Timer::F, ClientState::Trying | ClientState::Proceeding) => {
                out.event(TransactionEvent::Timeout { tx: id, timer });
                Next::Terminate
            }
            (Timer::D, ClientState::Completed)
            | (Timer::K, ClientState::Completed)
            | (Timer::M, ClientState::Accepted) => Next::Terminate,
            _ => Next::Keep,
        }
    }

    /// After a final response the request is never sent or copied again, but the transaction
    /// lives on for Timer D/K/M (32 s for an INVITE on UDP at the default T1): at 1 000 calls/s
    /// the parsed INVITEs and request bytes kept that long were tens of MB of RSS.
    fn release_request(&mut self) {
        self.invite = None;
        self.bytes = Bytes::new();
    }

    /// Whether the request is still held (tests check it is released after a final).
    #[cfg(test)]
    pub(super) fn holds_request(&self) -> bool {
        self.invite.is_some() || !self.bytes.is_empty()
    }

    fn build_failure_ack(&self, response: &Response) -> Option<Bytes> {
        let invite = self.invite.as_ref()?;
        let via = key::top_via(&invite.headers)?;
        let cseq = key::cseq(&invite.headers)?;
        let ack = build::ack_for_failure(invite, &via, cseq.num, response)?;
        Some(build::request_bytes(&ack))
    }

    fn build_cancel(&self) -> Option<Request> {
        let invite = self.invite.as_ref()?;
        let via = key::top_via(&invite.headers)?;
        let cseq = key::cseq(&invite.headers)?;
        build::cancel_for(invite, &via, cseq.num)
    }
}
