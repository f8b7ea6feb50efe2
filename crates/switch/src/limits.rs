//! Overload limits: a cap on calls in progress and on live transactions, above which a new
//! INVITE is refused at once with `503 Service Unavailable` and `Retry-After` (RFC 3261
//! §21.5.4), and a cap on each extension's concurrent calls. Refusals, digest challenges and
//! the 400/403 of failed authentication are sent statelessly (`Transactions::respond_stateless`): one answer per request, to the
//! packet's source, never retransmitted, so an unauthenticated sender cannot make the switch
//! multiply its traffic or hold state for it.

use super::call::Phase;
use super::{sip_fields, Switch};
use rsip::{Header, Method, Request};
use sip::transaction::ServerTxId;
use sip::{Peer, Transmit};
use std::time::{Duration, Instant};

/// The caps; every one is checked before any state is created for a new call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Calls in progress (ringing, answered or held by the switch) at most.
    pub max_calls: usize,
    /// Live SIP transactions (client and server) at most; past this a new INVITE is refused.
    /// Finished transactions stay 32 s (64·T1: Timers L, M, J absorb retransmissions), so a
    /// call rate of R calls/s keeps about 4 · 32 · R of them.
    pub max_transactions: usize,
    /// Concurrent calls one extension may place or receive.
    pub max_calls_per_extension: usize,
    /// What `Retry-After` asks refused callers to wait.
    pub retry_after: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_calls: 1_000,
            max_transactions: 400_000,
            max_calls_per_extension: 20,
            retry_after: Duration::from_secs(5),
        }
    }
}

/// Which limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Overload {
    Calls,
    Transactions,
}

impl Switch {
    /// Whether a new INVITE must be refused because the switch is full.
    pub(super) fn overloaded(&self) -> Option<Overload> {
        let limits = &self.cfg.limits;
        if self.calls.len() >= limits.max_calls {
            Some(Overload::Calls)
        } else if self.tx.len() > limits.max_transactions {
            // The INVITE's own transaction is already counted.
            Some(Overload::Transactions)
        } else {
            None
        }
    }

    /// Refuse a new INVITE at once: 503 with Retry-After, sent statelessly.
    pub(super) fn refuse_overloaded(&mut self, tx: ServerTxId, req: &Request, why: Overload) {
        let resp = self.overload_response(req, why);
        self.respond_stateless(tx, resp);
    }

    fn overload_response(&mut self, req: &Request, why: Overload) -> rsip::Response {
        self.stats.overload_refusals += 1;
        tracing::debug!(?why, "switch full: INVITE refused with 503");
        let mut resp = sip::message::make_response(
            req,
            503,
            Some("Service Unavailable"),
            Some(&sip::message::new_tag()),
        );
        let secs = self.cfg.limits.retry_after.as_secs().max(1);
        resp.headers
            .push(Header::RetryAfter(secs.to_string().into()));
        resp
    }

    /// Answer a new INVITE without credentials before the transaction layer sees it: the 503
    /// when the switch is full, else the 407 challenge. So it draws exactly one answer (no
    /// `100 Trying`), to the packet's source, and leaves no state. Whether it was answered.
    pub(super) fn answer_without_state(&mut self, now: Instant, from: Peer, req: &Request) -> bool {
        let new_invite = req.method == Method::Invite && sip_fields::to_tag(req).is_none();
        let has_credentials = req
            .headers
            .iter()
            .any(|h| matches!(h, Header::ProxyAuthorization(_)));
        // A request the validator refuses, or that no credentials could make acceptable (415,
        // 406), gets its error from the stateful path, before any challenge.
        if !new_invite
            || has_credentials
            || sip::validate::check_request_opts(req, &[], true).is_err()
            || super::invite::refused_before_challenge(req)
            || self.trunk_of(from, req).is_some()
            || from.transport == sip::Transport::Internal
        {
            return false;
        }
        let resp = match self.overloaded() {
            Some(why) => self.overload_response(req, why),
            None => self.challenge(now, req, true, false),
        };
        self.transmits.push_back(Transmit {
            to: from,
            bytes: sip::message::response_to_bytes(&resp),
        });
        true
    }

    /// Calls in progress that `extension` placed or is called in.
    pub(super) fn calls_of(&self, extension: &str) -> usize {
        let count = self.extension_calls.count(extension);
        debug_assert_eq!(
            count,
            self.calls
                .values()
                .filter(|c| c.phase != Phase::Ended)
                .filter(|c| c.caller.number == extension || c.callee.number == extension)
                .count(),
            "extension_calls out of step for {extension}"
        );
        count
    }

    /// Whether `extension` already has as many calls as it may.
    pub(super) fn extension_full(&self, extension: &str) -> bool {
        self.calls_of(extension) >= self.cfg.limits.max_calls_per_extension
    }

    /// [`Switch::reply`], statelessly.
    pub(super) fn reply_stateless(
        &mut self,
        tx: ServerTxId,
        req: &Request,
        code: u16,
        reason: &str,
    ) {
        let resp =
            sip::message::make_response(req, code, Some(reason), Some(&sip::message::new_tag()));
        self.respond_stateless(tx, resp);
    }

    /// Answer once without keeping the transaction (see the module's comment).
    pub(super) fn respond_stateless(&mut self, tx: ServerTxId, resp: rsip::Response) {
        if let Err(e) = self.tx.respond_stateless(tx, resp) {
            tracing::debug!(error = %e, "stateless response not sent");
        }
    }
}
