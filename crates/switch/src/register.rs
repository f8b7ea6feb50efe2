//! REGISTER: digest authentication, then the registrar.

use super::throttle::Blocked;
use super::{sip_fields, Switch};
use rsip::{Header, Method, Request, SipMessage};
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
            if self.authenticate(now, tx, from, &req, false).is_some() {
                self.reply(now, tx, &req, 404, "Not Found");
            }
            return;
        }
        // The web gateway registers an agent's browser phone from inside the process, after
        // the HTTP side checked the agent's session (docs/webcall.md, "The agent's browser
        // phone"); no network peer can use the internal transport.
        let authed = if from.transport == sip::Transport::Internal {
            user.clone()
        } else {
            let Some(authed) = self.authenticate(now, tx, from, &req, false) else {
                return;
            };
            authed
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
                self.extension_registration_changed(now, &user);
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

    /// Whether `msg` is a request that needs credentials (REGISTER, a new INVITE) from an
    /// address blocked for guessing: it is dropped unanswered, before any transaction, so the
    /// guesser learns nothing and its tools give up (svcrack stops after 10 silent seconds;
    /// a 403 would have it ask for a new challenge for ever).
    pub(super) fn drops_blocked(&mut self, now: Instant, from: Peer, msg: &SipMessage) -> bool {
        let SipMessage::Request(req) = msg else {
            return false;
        };
        let needs_credentials = req.method == Method::Register
            || (req.method == Method::Invite && sip_fields::to_tag(req).is_none());
        if !needs_credentials {
            return false;
        }
        let ip = from.addr.ip();
        let Some(Blocked::Address { until }) = self.throttle.blocked(now, ip, None) else {
            return false;
        };
        self.stats.auth_blocked += 1;
        tracing::debug!(
            "SIP request dropped from {ip}: address blocked for {} s more",
            until.saturating_duration_since(now).as_secs()
        );
        true
    }

    /// Verify digest credentials; on failure answer the request (401/407 challenge, 400 or 403,
    /// statelessly: see `limits.rs`) and return None. `proxy` selects 407/Proxy-Authorization (INVITE) over 401 (REGISTER).
    /// While the source address or the claimed username is blocked for guessing
    /// (`throttle.rs`), every request is refused with 403 unchecked.
    pub(super) fn authenticate(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        from: Peer,
        req: &Request,
        proxy: bool,
    ) -> Option<String> {
        let ip = from.addr.ip();
        let claimed = sip::auth::DigestAuth::claimed_username(req, proxy);
        if let Some(blocked) = self.throttle.blocked(now, ip, claimed.as_deref()) {
            self.stats.auth_blocked += 1;
            tracing::debug!(
                "SIP request refused from {ip} for {}: {} blocked for {} s more",
                log_safe(claimed.as_deref()),
                blocked.what(),
                blocked.left(now).as_secs()
            );
            self.reply(now, tx, req, 403, "Forbidden");
            return None;
        }
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
                // Unknown names count and log alike: the answer must not tell which exist.
                self.stats.auth_failures += 1;
                let block = self.throttle.failed(now, ip, claimed.as_deref());
                // One line per failure, the address right after fixed text and the user
                // reduced to safe characters, for fail2ban (docs/security.md, "Access").
                tracing::warn!(
                    "SIP authentication failed from {ip} for {}",
                    log_safe(claimed.as_deref())
                );
                if let Some(b) = block {
                    tracing::warn!(
                        "SIP guessing blocked from {ip} for {}: {} blocked for {} s",
                        log_safe(claimed.as_deref()),
                        b.what(),
                        b.left(now).as_secs()
                    );
                }
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

/// A username for a log line: at most 32 characters of letters, digits and `. _ - +` (others
/// become `?`), so a name cannot forge another line's text or address for a log scanner.
pub(super) fn log_safe(user: Option<&str>) -> String {
    match user {
        None => "-".into(),
        Some(u) => u
            .chars()
            .take(32)
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+') {
                    c
                } else {
                    '?'
                }
            })
            .collect(),
    }
}
