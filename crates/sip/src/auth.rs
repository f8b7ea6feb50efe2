//! Digest authentication for REGISTER and INVITE (RFC 8760 on RFC 7616/2617 semantics):
//! SHA-256 and MD5 challenges with qop=auth, nonces we issue ourselves, expire, and whose
//! nonce-count must strictly increase so a captured Authorization cannot be replayed.
//!
//! Sans-IO: `now` is passed in. The nonce table is bounded (oldest evicted), so a flood of
//! unauthenticated requests costs a fixed amount of memory.

pub mod client;

use md5::Md5;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use rsip::prelude::*;
use rsip::{Header, Request};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// Nonces kept at most; beyond this the oldest are forgotten (their users get re-challenged).
pub const DEFAULT_NONCE_CAPACITY: usize = 16 * 1024;

/// Why a request's credentials were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    #[error("no credentials")]
    Missing,
    #[error("malformed credentials: {0}")]
    Malformed(String),
    #[error("unknown user")]
    UnknownUser,
    #[error("wrong password")]
    WrongPassword,
    #[error("stale nonce")]
    StaleNonce,
    #[error("nonce not issued by us")]
    UnknownNonce,
    #[error("nonce count replayed")]
    ReplayedNonceCount,
    #[error("credentials for another realm")]
    WrongRealm,
    #[error("unsupported digest algorithm")]
    UnsupportedAlgorithm,
    #[error("qop=auth required")]
    QopRequired,
}

impl AuthError {
    /// Whether the caller should re-challenge with `stale=true` (the phone retries silently
    /// with the new nonce instead of asking the user for a password).
    pub fn is_stale(&self) -> bool {
        matches!(self, AuthError::StaleNonce)
    }
}

/// Digest algorithms we offer and accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    fn token(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    fn hash_hex(self, data: &str) -> String {
        match self {
            Algorithm::Md5 => hex::encode(Md5::digest(data.as_bytes())),
            Algorithm::Sha256 => hex::encode(Sha256::digest(data.as_bytes())),
        }
    }
}

/// The digest `response` for qop=auth: H(H(A1):nonce:nc:cnonce:qop:H(A2)) with
/// A1 = user:realm:password and A2 = method:uri.
#[allow(clippy::too_many_arguments)]
pub fn digest_response(
    algorithm: Algorithm,
    username: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
) -> String {
    let ha1 = algorithm.hash_hex(&format!("{username}:{realm}:{password}"));
    let ha2 = algorithm.hash_hex(&format!("{method}:{uri}"));
    algorithm.hash_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
}

#[derive(Debug)]
struct NonceState {
    issued: Instant,
    /// Highest nonce-count accepted so far; 0 before first use (counts start at 1).
    last_nc: u32,
}

/// Issues challenges and verifies credentials for one realm.
pub struct DigestAuth {
    realm: String,
    lifetime: Duration,
    rng: StdRng,
    nonces: HashMap<String, NonceState>,
    order: VecDeque<String>,
    capacity: usize,
    /// Offered in this order; only these are accepted.
    algorithms: Vec<Algorithm>,
}

impl DigestAuth {
    /// `secret` seeds the nonce generator (ChaCha): pass 32 bytes from the OS RNG in production;
    /// the same secret yields the same nonce sequence, which tests rely on.
    pub fn new(realm: &str, nonce_lifetime: Duration, secret: [u8; 32]) -> Self {
        DigestAuth {
            realm: realm.to_owned(),
            lifetime: nonce_lifetime,
            rng: StdRng::from_seed(secret),
            nonces: HashMap::new(),
            order: VecDeque::new(),
            capacity: DEFAULT_NONCE_CAPACITY,
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
        }
    }

    /// The algorithms to offer, most preferred first, and the only ones accepted. Many deployed
    /// UACs (SIPp among them) answer only the first challenge, so operators may put MD5 first.
    /// An empty list keeps the default (SHA-256, then MD5).
    pub fn with_algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        if !algorithms.is_empty() {
            self.algorithms = algorithms.to_vec();
        }
        self
    }

    /// Bounds the nonce table (at least 1).
    pub fn with_nonce_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// Nonces currently remembered.
    pub fn outstanding_nonces(&self) -> usize {
        self.nonces.len()
    }

    fn issue_nonce(&mut self, now: Instant) -> String {
        // Forget nonces long past their lifetime; recently expired ones are kept so their
        // users get `stale=true` rather than a password prompt.
        let forget_after = self.lifetime.saturating_mul(4);
        while let Some(front) = self.order.front() {
            let expired = self
                .nonces
                .get(front)
                .is_none_or(|s| now.saturating_duration_since(s.issued) > forget_after);
            if !expired && self.order.len() < self.capacity {
                break;
            }
            if let Some(old) = self.order.pop_front() {
                self.nonces.remove(&old);
            }
        }
        let mut raw = [0u8; 18];
        self.rng.fill_bytes(&mut raw);
        let nonce = hex::encode(raw);
        self.nonces.insert(
            nonce.clone(),
            NonceState {
                issued: now,
                last_nc: 0,
            },
        );
        self.order.push_back(nonce.clone());
        nonce
    }

    /// Headers for a 401 (WWW-Authenticate) or, when `proxy`, a 407 (Proxy-Authenticate): one
    /// challenge per configured algorithm in preference order (RFC 8760 §2.4), sharing one nonce.
    pub fn challenge(&mut self, now: Instant, proxy: bool, stale: bool) -> Vec<Header> {
        let nonce = self.issue_nonce(now);
        self.algorithms
            .iter()
            .map(|alg| {
                let mut value = format!(
                    "Digest realm=\"{}\", nonce=\"{nonce}\", algorithm={}, qop=\"auth\"",
                    quote_escape(&self.realm),
                    alg.token()
                );
                if stale {
                    value.push_str(", stale=true");
                }
                if proxy {
                    Header::ProxyAuthenticate(rsip::headers::ProxyAuthenticate::new(value))
                } else {
                    Header::WwwAuthenticate(rsip::headers::WwwAuthenticate::new(value))
                }
            })
            .collect()
    }

    /// The username the request's credentials claim (the first parsable ones), checked or not:
    /// what a limit on password guessing counts failures against.
    pub fn claimed_username(req: &Request, proxy: bool) -> Option<String> {
        req.headers
            .iter()
            .find_map(|h| match h {
                Header::Authorization(a) if !proxy => Credentials::parse(a.value()).ok(),
                Header::ProxyAuthorization(a) if proxy => Credentials::parse(a.value()).ok(),
                _ => None,
            })
            .map(|c| c.username)
    }

    /// Verifies the Authorization (or, when `proxy`, Proxy-Authorization) header of `req` and
    /// returns the authenticated username.
    ///
    /// The digest `uri` parameter is hashed as sent but not compared with the Request-URI:
    /// phones and proxies rewrite the Request-URI (ports, transport params) and the nonce-count
    /// check already stops replays, so a mismatch there would only reject honest clients.
    pub fn verify(
        &mut self,
        now: Instant,
        req: &Request,
        proxy: bool,
        password_of: impl Fn(&str) -> Option<String>,
    ) -> Result<String, AuthError> {
        let values: Vec<&str> = req
            .headers
            .iter()
            .filter_map(|h| match h {
                Header::Authorization(a) if !proxy => Some(a.value()),
                Header::ProxyAuthorization(a) if proxy => Some(a.value()),
                _ => None,
            })
            // Credentials in a scheme we do not know are not ours to judge: the request is
            // challenged as if it had none (RFC 4475 §3.3.7).
            .filter(|v| {
                v.trim_start()
                    .get(..6)
                    .is_some_and(|s| s.eq_ignore_ascii_case("Digest"))
            })
            .collect();
        if values.is_empty() {
            return Err(AuthError::Missing);
        }
        // A request may carry credentials for several realms, and a UAC answering an RFC 8760
        // multi-challenge sends one per algorithm: use the first for our realm whose algorithm we
        // accept.
        let mut ours = Vec::new();
        for value in values {
            let parsed = Credentials::parse(value)?;
            if parsed.realm == self.realm {
                ours.push(parsed);
            }
        }
        if ours.is_empty() {
            return Err(AuthError::WrongRealm);
        }
        let (creds, algorithm) = ours
            .into_iter()
            .find_map(|c| {
                let algorithm = match c.algorithm.as_deref() {
                    None => Algorithm::Md5,
                    Some(a) if a.eq_ignore_ascii_case("MD5") => Algorithm::Md5,
                    Some(a) if a.eq_ignore_ascii_case("SHA-256") => Algorithm::Sha256,
                    Some(_) => return None,
                };
                self.algorithms
                    .contains(&algorithm)
                    .then_some((c, algorithm))
            })
            .ok_or(AuthError::UnsupportedAlgorithm)?;
        if !creds
            .qop
            .as_deref()
            .is_some_and(|q| q.eq_ignore_ascii_case("auth"))
        {
            return Err(AuthError::QopRequired);
        }
        let (Some(nc_text), Some(cnonce)) = (creds.nc.as_deref(), creds.cnonce.as_deref()) else {
            return Err(AuthError::Malformed(
                "nc and cnonce are required with qop".into(),
            ));
        };
        let nc = u32::from_str_radix(nc_text, 16)
            .ok()
            .filter(|_| nc_text.len() == 8)
            .ok_or_else(|| AuthError::Malformed("nc".into()))?;
        let state = self
            .nonces
            .get(&creds.nonce)
            .ok_or(AuthError::UnknownNonce)?;
        if now.saturating_duration_since(state.issued) > self.lifetime {
            return Err(AuthError::StaleNonce);
        }
        let password = password_of(&creds.username).ok_or(AuthError::UnknownUser)?;
        let expected = digest_response(
            algorithm,
            &creds.username,
            &creds.realm,
            &password,
            &req.method.to_string(),
            &creds.uri,
            &creds.nonce,
            nc_text,
            cnonce,
        );
        let given = creds.response.to_ascii_lowercase();
        if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(AuthError::WrongPassword);
        }
        // Checked only after the hash, so someone without the password cannot burn counts.
        let state = self
            .nonces
            .get_mut(&creds.nonce)
            .ok_or(AuthError::UnknownNonce)?;
        if nc <= state.last_nc {
            return Err(AuthError::ReplayedNonceCount);
        }
        state.last_nc = nc;
        Ok(creds.username)
    }
}

fn quote_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The fields of a Digest Authorization header we use.
#[derive(Debug, Default)]
struct Credentials {
    username: String,
    realm: String,
    nonce: String,
    uri: String,
    response: String,
    algorithm: Option<String>,
    qop: Option<String>,
    nc: Option<String>,
    cnonce: Option<String>,
}

impl Credentials {
    fn parse(value: &str) -> Result<Self, AuthError> {
        let value = value.trim_start();
        let (scheme, rest) = value.split_at(value.find([' ', '\t']).unwrap_or(value.len()));
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(AuthError::Malformed(format!("scheme {scheme}")));
        }
        let mut creds = Credentials::default();
        let (mut username, mut realm, mut nonce, mut uri, mut response) =
            (None, None, None, None, None);
        for (name, val) in parse_params(rest)? {
            match name.to_ascii_lowercase().as_str() {
                "username" => username = Some(val),
                "realm" => realm = Some(val),
                "nonce" => nonce = Some(val),
                "uri" => uri = Some(val),
                "response" => response = Some(val),
                "algorithm" => creds.algorithm = Some(val),
                "qop" => creds.qop = Some(val),
                "nc" => creds.nc = Some(val),
                "cnonce" => creds.cnonce = Some(val),
                _ => {}
            }
        }
        let missing = |n: &str| AuthError::Malformed(format!("missing {n}"));
        creds.username = username.ok_or_else(|| missing("username"))?;
        creds.realm = realm.ok_or_else(|| missing("realm"))?;
        creds.nonce = nonce.ok_or_else(|| missing("nonce"))?;
        creds.uri = uri.ok_or_else(|| missing("uri"))?;
        creds.response = response.ok_or_else(|| missing("response"))?;
        Ok(creds)
    }
}

/// `name=value` pairs separated by commas; values are tokens or quoted strings (commas and
/// escaped quotes allowed inside). Whitespace around `=` and `,` is ignored.
fn parse_params(s: &str) -> Result<Vec<(String, String)>, AuthError> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let skip = |i: &mut usize, set: &[u8]| {
        while bytes.get(*i).is_some_and(|b| set.contains(b)) {
            *i += 1;
        }
    };
    loop {
        skip(&mut i, b" \t\r\n,");
        if i >= bytes.len() {
            return Ok(out);
        }
        let start = i;
        while bytes
            .get(i)
            .is_some_and(|&b| crate::normalize::is_token_char(b))
        {
            i += 1;
        }
        // Token characters are ASCII, so `start..i` lies on character boundaries.
        let name = s.get(start..i).unwrap_or_default();
        skip(&mut i, b" \t");
        if name.is_empty() || bytes.get(i) != Some(&b'=') {
            return Err(AuthError::Malformed("parameter".into()));
        }
        i += 1;
        skip(&mut i, b" \t");
        let mut value = String::new();
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            loop {
                // Runs without a quote or an escape are copied whole (nonces, hashes).
                let rest = s.get(i..).unwrap_or_default();
                let Some(stop) = rest.find(['"', '\\']) else {
                    return Err(AuthError::Malformed("unterminated quote".into()));
                };
                value.push_str(rest.get(..stop).unwrap_or_default());
                i += stop;
                if bytes.get(i) == Some(&b'"') {
                    i += 1;
                    break;
                }
                // An escape takes the next character literally; `i` stays on a char boundary
                // because whole characters are copied.
                i += 1;
                let Some(ch) = s.get(i..).and_then(|r| r.chars().next()) else {
                    return Err(AuthError::Malformed("unterminated quote".into()));
                };
                value.push(ch);
                i += ch.len_utf8();
            }
        } else {
            let start = i;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b' ' | b'\t'))
            {
                i += 1;
            }
            // Stops only at ASCII separators or the end: a character boundary.
            value.push_str(s.get(start..i).unwrap_or_default());
        }
        out.push((name.to_owned(), value));
    }
}

#[cfg(test)]
mod tests;
