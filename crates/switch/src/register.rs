//! REGISTER: digest authentication, then the registrar.

use super::{sip_fields, Switch};
use rsip::{Header, Request};
use sip::auth::AuthError;
use sip::registrar::RegisterError;
use sip::transaction::ServerTxId;
use sip::Peer;
use std::time::Instant;

impl Switch {
    pub(super) fn on_register(&mut self, now: Instant, tx: ServerTxId, from: Peer, req: Request) {
        let Some(user) = sip_fields::to_user(&req) else {
            self.reply(now, tx, &req, 400, "Missing To user");
            return;
        };
        if !self.cfg.users.contains_key(&user) {
            // Challenge anyway: telling strangers which extensions exist helps them guess.
            if self.authenticate(now, tx, &req, false).is_some() {
                self.reply(now, tx, &req, 404, "Not Found");
            }
            return;
        }
        let Some(authed) = self.authenticate(now, tx, &req, false) else {
            return;
        };
        if authed != user {
            self.reply(now, tx, &req, 403, "Credentials Do Not Match To User");
            return;
        }
        match self.registrar.register(now, &user, &req, from) {
            Ok(bindings) => {
                let resp = sip::registrar::register_ok(&req, &bindings, &sip::message::new_tag());
                tracing::debug!(%user, %from, contacts = bindings.len(), "registered");
                self.respond(now, tx, resp);
            }
            Err(RegisterError::IntervalTooBrief { min }) => {
                let mut resp = sip::message::make_response(
                    &req,
                    423,
                    Some("Interval Too Brief"),
                    Some(&sip::message::new_tag()),
                );
                resp.headers
                    .push(Header::MinExpires(min.to_string().into()));
                self.respond(now, tx, resp);
            }
            Err(e) => {
                let reason = e.to_string();
                self.reply(now, tx, &req, 400, &reason);
            }
        }
    }

    /// Verify digest credentials; on failure answer the request (401/407 challenge, 400 or 403,
    /// statelessly: see `limits.rs`) and return None. `proxy` selects 407/Proxy-Authorization (INVITE) over 401 (REGISTER).
    pub(super) fn authenticate(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        req: &Request,
        proxy: bool,
    ) -> Option<String> {
        let users = &self.cfg.users;
        let result = self
            .auth
            .verify(now, req, proxy, |u| users.get(u).map(|(p, _)| p.clone()));
        let (stale, forbid) = match result {
            Ok(user) => return Some(user),
            Err(AuthError::Missing) | Err(AuthError::UnknownNonce) => (false, None),
            Err(AuthError::StaleNonce) => (true, None),
            Err(AuthError::ReplayedNonceCount) => (false, Some("Replayed Nonce Count")),
            Err(AuthError::UnknownUser) | Err(AuthError::WrongPassword) => {
                (false, Some("Bad Credentials"))
            }
            Err(e) => {
                let reason = format!("Bad Authorization: {e}");
                self.reply_stateless(tx, req, 400, &reason);
                return None;
            }
        };
        if let Some(reason) = forbid {
            tracing::info!(from = ?sip_fields::from_user(req), %reason, "authentication refused");
            self.reply_stateless(tx, req, 403, reason);
            return None;
        }
        let resp = self.challenge(now, req, proxy, stale);
        // Stateless: an unauthenticated request draws one answer, never retransmitted.
        self.respond_stateless(tx, resp);
        None
    }

    /// A 401 (407 when `proxy`) with our digest challenges.
    pub(super) fn challenge(
        &mut self,
        now: Instant,
        req: &Request,
        proxy: bool,
        stale: bool,
    ) -> rsip::Response {
        let code = if proxy { 407 } else { 401 };
        let reason = if proxy {
            "Proxy Authentication Required"
        } else {
            "Unauthorized"
        };
        let mut resp =
            sip::message::make_response(req, code, Some(reason), Some(&sip::message::new_tag()));
        resp.headers.extend(self.auth.challenge(now, proxy, stale));
        resp
    }
}
