//! The registrar's location store (RFC 3261 §10.3): bindings from an address-of-record (user)
//! to contacts, with expiry under a clock the caller passes in, out-of-order protection by
//! Call-ID/CSeq, and a cap on contacts per user. Authentication happens before this.

use crate::message::{self, make_response};
use crate::transport::Peer;
use rsip::{Header, Param, Request, Response};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Expiry limits and the per-user contact cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistrarConfig {
    pub min_expires: u32,
    pub max_expires: u32,
    pub default_expires: u32,
    pub max_contacts: usize,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            max_contacts: 10,
        }
    }
}

/// One contact of a user.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    /// The Contact value as registered (display name, URI, parameters).
    pub contact: rsip::typed::Contact,
    /// Where the REGISTER came from: where to send requests for this contact behind NAT.
    pub source: Peer,
    pub expires_at: Instant,
    pub call_id: String,
    pub cseq: u32,
    pub q: Option<f32>,
    /// When the binding was created or last refreshed; newest wins ties in lookup.
    pub updated_at: Instant,
    /// The REGISTER's `Path` values (RFC 3327), top first: requests for this contact carry
    /// them as `Route` and go to the first one, not to `source`. Empty without a proxy.
    pub path: Vec<String>,
}

impl Binding {
    pub fn uri(&self) -> &rsip::Uri {
        &self.contact.uri
    }

    fn remaining(&self, now: Instant) -> u32 {
        let secs = self.expires_at.saturating_duration_since(now).as_secs();
        u32::try_from(secs).unwrap_or(u32::MAX)
    }
}

/// Why a REGISTER was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// Answer 423 with `Min-Expires: min`.
    #[error("Interval Too Brief")]
    IntervalTooBrief { min: u32 },
    /// Answer 400 with this reason.
    #[error("{0}")]
    BadRequest(String),
}

impl RegisterError {
    /// The 423 or 400 response for `req`.
    pub fn to_response(&self, req: &Request, to_tag: &str) -> Response {
        match self {
            RegisterError::IntervalTooBrief { min } => {
                let mut resp = make_response(req, 423, None, Some(to_tag));
                resp.headers
                    .push(Header::MinExpires(rsip::headers::MinExpires::from(*min)));
                resp
            }
            RegisterError::BadRequest(reason) => {
                make_response(req, 400, Some(reason), Some(to_tag))
            }
        }
    }
}

/// Bindings per user.
#[derive(Debug, Default)]
pub struct Registrar {
    cfg: RegistrarConfig,
    users: HashMap<String, Vec<Binding>>,
}

impl Registrar {
    pub fn new(cfg: RegistrarConfig) -> Self {
        Registrar {
            cfg,
            users: HashMap::new(),
        }
    }

    /// Applies an (already authenticated) REGISTER for `user` received from `source`, and
    /// returns the user's current bindings with their remaining seconds for the 200 OK.
    pub fn register(
        &mut self,
        now: Instant,
        user: &str,
        req: &Request,
        source: Peer,
    ) -> Result<Vec<(Binding, u32)>, RegisterError> {
        let bad = |r: &str| RegisterError::BadRequest(r.to_owned());
        let call_id = message::call_id(req).ok_or_else(|| bad("Missing Call-ID header"))?;
        let (cseq, _) = message::cseq(req).ok_or_else(|| bad("Malformed CSeq"))?;
        let contacts = message::contacts(req).ok_or_else(|| bad("Malformed Contact"))?;
        let header_expires = message::expires(req);
        let path = crate::route::path(&req.headers);
        if let Some(bindings) = self.users.get_mut(user) {
            bindings.retain(|b| b.expires_at > now);
        }

        if message::contact_is_star(req) {
            if !contacts.is_empty() {
                return Err(bad("Contact * must be alone"));
            }
            if header_expires != Some(0) {
                return Err(bad("Contact * requires Expires: 0"));
            }
            if let Some(bindings) = self.users.get_mut(user) {
                // A stale retransmission of an older REGISTER must not wipe newer bindings.
                bindings.retain(|b| b.call_id == call_id && b.cseq >= cseq);
            }
            self.users.retain(|_, b| !b.is_empty());
            return Ok(self.current(now, user));
        }

        // Decide every contact's interval before touching state: a 423 changes nothing.
        let mut planned = Vec::with_capacity(contacts.len());
        for c in contacts {
            let asked = c
                .expires
                .or(header_expires)
                .unwrap_or(self.cfg.default_expires);
            if asked != 0 && asked < self.cfg.min_expires {
                return Err(RegisterError::IntervalTooBrief {
                    min: self.cfg.min_expires,
                });
            }
            planned.push((c, asked.min(self.cfg.max_expires)));
        }

        let bindings = self.users.entry(user.to_owned()).or_default();
        for (c, expires) in planned {
            let existing = bindings
                .iter()
                .position(|b| same_contact(&b.contact.uri, &c.uri));
            if let Some((i, b)) = existing.and_then(|i| Some((i, bindings.get(i)?))) {
                if b.call_id == call_id && cseq <= b.cseq {
                    continue; // out of order (RFC 3261 §10.3 step 7)
                }
                if expires == 0 {
                    bindings.remove(i);
                    continue;
                }
            } else if expires == 0 {
                continue;
            }
            let binding = Binding {
                contact: c.header,
                source,
                expires_at: now + Duration::from_secs(u64::from(expires)),
                call_id: call_id.to_owned(),
                cseq,
                q: c.q,
                updated_at: now,
                path: path.clone(),
            };
            match existing.and_then(|i| bindings.get_mut(i)) {
                Some(slot) => *slot = binding,
                None => bindings.push(binding),
            }
        }
        while bindings.len() > self.cfg.max_contacts {
            let oldest = (bindings.iter().enumerate())
                .min_by_key(|(_, b)| b.updated_at)
                .map(|(i, _)| i);
            if let Some(i) = oldest {
                bindings.remove(i);
            }
        }
        self.users.retain(|_, b| !b.is_empty());
        Ok(self.current(now, user))
    }

    fn current(&self, now: Instant, user: &str) -> Vec<(Binding, u32)> {
        self.lookup(now, user)
            .into_iter()
            .map(|b| (b.clone(), b.remaining(now)))
            .collect()
    }

    /// Unexpired bindings of `user`, highest q first (absent q counts as 1.0), newest first.
    pub fn lookup(&self, now: Instant, user: &str) -> Vec<&Binding> {
        let mut out: Vec<&Binding> = self
            .users
            .get(user)
            .map(|b| b.iter().filter(|b| b.expires_at > now).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| {
            let (qa, qb) = (a.q.unwrap_or(1.0), b.q.unwrap_or(1.0));
            qb.total_cmp(&qa).then(b.updated_at.cmp(&a.updated_at))
        });
        out
    }

    /// Drops every binding of `user` (the user was removed); returns how many there were.
    pub fn remove_user(&mut self, user: &str) -> usize {
        self.users.remove(user).map_or(0, |b| b.len())
    }

    /// Drops expired bindings (and users left without any); returns how many were dropped.
    pub fn expire(&mut self, now: Instant) -> usize {
        let mut dropped = 0;
        for bindings in self.users.values_mut() {
            let before = bindings.len();
            bindings.retain(|b| b.expires_at > now);
            dropped += before - bindings.len();
        }
        self.users.retain(|_, b| !b.is_empty());
        dropped
    }

    /// When the next binding expires.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.users.values().flatten().map(|b| b.expires_at).min()
    }

    /// Number of bindings held (contacts, not users); call `expire` first for a live count.
    pub fn registered_count(&self) -> usize {
        self.users.values().map(Vec::len).sum()
    }

    /// Number of users with at least one binding held.
    pub fn registered_users(&self) -> usize {
        self.users.len()
    }
}

/// Contact URIs match by user, host and port (host case-insensitively); URI parameters such as
/// `transport` or `ob` do not make a different binding for our purposes.
fn same_contact(a: &rsip::Uri, b: &rsip::Uri) -> bool {
    a.user() == b.user()
        && a.host()
            .to_string()
            .eq_ignore_ascii_case(&b.host().to_string())
        && a.port() == b.port()
        && a.scheme == b.scheme
}

/// The 200 OK for a REGISTER: one Contact per binding with `;expires=` set to the remaining
/// seconds. A REGISTER that came through proxies with `Path` gets it back with `Supported:
/// path` (RFC 3327 §5.3), so the proxies and the phone see that the path was stored.
pub fn register_ok(req: &Request, bindings: &[(Binding, u32)], to_tag: &str) -> Response {
    let mut resp = make_response(req, 200, None, Some(to_tag));
    let path = crate::route::path(&req.headers);
    if !path.is_empty() {
        for value in path {
            resp.headers.push(Header::Other("Path".into(), value));
        }
        resp.headers.push(Header::Supported("path".into()));
    }
    for (binding, remaining) in bindings {
        let mut contact = binding.contact.clone();
        contact.params.retain(|p| !matches!(p, Param::Expires(_)));
        contact
            .params
            .push(Param::Expires(rsip::param::Expires::new(
                remaining.to_string(),
            )));
        resp.headers.push(Header::Contact(contact.into()));
    }
    resp
}

#[cfg(test)]
mod tests;
