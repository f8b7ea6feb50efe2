//! The client side of digest authentication: read a carrier's `WWW-Authenticate` or
//! `Proxy-Authenticate` challenge and answer it with `Authorization` or `Proxy-Authorization`
//! (RFC 7616 hashing with RFC 8760's SHA-256 for SIP; `qop=auth` when offered, the RFC 2617
//! form without qop when not; `-sess` variants).
//!
//! Sans-IO and deterministic: the caller picks the client nonce and counts requests per nonce,
//! so a test (or a replay check) sees exactly what went out.

use super::{parse_params, quote_escape, Algorithm};
use rsip::prelude::*;
use rsip::{Header, Response};

/// Why a challenge cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    #[error("not a Digest challenge")]
    NotDigest,
    #[error("malformed challenge: {0}")]
    Malformed(String),
    #[error("unsupported digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("the challenge offers qop {0:?} but not auth")]
    UnsupportedQop(String),
    #[error("the response carries no digest challenge we can answer")]
    NoChallenge,
}

/// One digest challenge, as a server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// `MD5-sess` / `SHA-256-sess`: HA1 also hashes the nonces (RFC 7616 §3.4.2).
    pub sess: bool,
    /// The server offered `qop=auth`; false: answer without qop (RFC 2617 §3.2.2 compatibility).
    pub qop_auth: bool,
    /// The nonce expired but the last credentials were right: retry without counting a failure.
    pub stale: bool,
    /// From a 407 (`Proxy-Authenticate`): answer with `Proxy-Authorization`.
    pub proxy: bool,
}

impl Challenge {
    /// Reads one challenge header value (`Digest realm="...", nonce="...", ...`).
    pub fn parse(value: &str, proxy: bool) -> Result<Challenge, ChallengeError> {
        let value = value.trim_start();
        let (scheme, rest) = value.split_at(value.find([' ', '\t']).unwrap_or(value.len()));
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(ChallengeError::NotDigest);
        }
        let params = parse_params(rest).map_err(|e| ChallengeError::Malformed(e.to_string()))?;
        let (mut realm, mut nonce, mut opaque, mut algorithm, mut qop, mut stale) =
            (None, None, None, None, None, false);
        for (name, val) in params {
            match name.to_ascii_lowercase().as_str() {
                "realm" => realm = Some(val),
                "nonce" => nonce = Some(val),
                "opaque" => opaque = Some(val),
                "algorithm" => algorithm = Some(val),
                "qop" => qop = Some(val),
                "stale" => stale = val.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        let missing = |n: &str| ChallengeError::Malformed(format!("missing {n}"));
        let (algorithm, sess) = match algorithm.as_deref().map(str::to_ascii_uppercase) {
            None => (Algorithm::Md5, false),
            Some(a) => match a.as_str() {
                "MD5" => (Algorithm::Md5, false),
                "MD5-SESS" => (Algorithm::Md5, true),
                "SHA-256" => (Algorithm::Sha256, false),
                "SHA-256-SESS" => (Algorithm::Sha256, true),
                _ => return Err(ChallengeError::UnsupportedAlgorithm(a)),
            },
        };
        let qop_auth = match qop {
            None => false,
            Some(list) => {
                let offered = list
                    .split(',')
                    .any(|q| q.trim().eq_ignore_ascii_case("auth"));
                if !offered {
                    return Err(ChallengeError::UnsupportedQop(list));
                }
                true
            }
        };
        Ok(Challenge {
            realm: realm.ok_or_else(|| missing("realm"))?,
            nonce: nonce.ok_or_else(|| missing("nonce"))?,
            opaque,
            algorithm,
            sess,
            qop_auth,
            stale,
            proxy,
        })
    }

    /// The challenge to answer in a 401 or 407: of those we can answer, SHA-256 before MD5
    /// (RFC 8760 §2.4: the client uses the strongest it supports); `realm` (when given) must
    /// match.
    pub fn from_response(
        resp: &Response,
        realm: Option<&str>,
    ) -> Result<Challenge, ChallengeError> {
        let mut found: Vec<Challenge> = resp
            .headers
            .iter()
            .filter_map(|h| match h {
                Header::WwwAuthenticate(v) => Challenge::parse(v.value(), false).ok(),
                Header::ProxyAuthenticate(v) => Challenge::parse(v.value(), true).ok(),
                _ => None,
            })
            .filter(|c| realm.is_none_or(|r| r == c.realm))
            .collect();
        found.sort_by_key(|c| match c.algorithm {
            Algorithm::Sha256 => 0,
            Algorithm::Md5 => 1,
        });
        found.into_iter().next().ok_or(ChallengeError::NoChallenge)
    }

    /// The `response` value and the header line answering this challenge for `method` to
    /// `uri`. `cnonce` is the client's nonce (unused without qop, where RFC 2617 has none) and
    /// `nc` how many requests this nonce answered, this one included (1 for the first).
    #[allow(clippy::too_many_arguments)]
    pub fn answer(
        &self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
        nc: u32,
    ) -> Header {
        let nc_text = format!("{nc:08x}");
        let response = self.response(username, password, method, uri, cnonce, &nc_text);
        let mut v = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{response}\", algorithm={}",
            quote_escape(username),
            quote_escape(&self.realm),
            quote_escape(&self.nonce),
            quote_escape(uri),
            self.algorithm_token(),
        );
        if self.qop_auth {
            v.push_str(&format!(
                ", qop=auth, nc={nc_text}, cnonce=\"{}\"",
                quote_escape(cnonce)
            ));
        }
        if let Some(o) = &self.opaque {
            v.push_str(&format!(", opaque=\"{}\"", quote_escape(o)));
        }
        if self.proxy {
            Header::ProxyAuthorization(rsip::headers::ProxyAuthorization::new(v))
        } else {
            Header::Authorization(rsip::headers::Authorization::new(v))
        }
    }

    /// The digest `response` itself (RFC 7616 §3.4.1; RFC 2617 §3.2.2.1 without qop).
    pub fn response(
        &self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
        nc: &str,
    ) -> String {
        let alg = self.algorithm;
        let mut ha1 = alg.hash_hex(&format!("{username}:{}:{password}", self.realm));
        if self.sess {
            ha1 = alg.hash_hex(&format!("{ha1}:{}:{cnonce}", self.nonce));
        }
        let ha2 = alg.hash_hex(&format!("{method}:{uri}"));
        if self.qop_auth {
            alg.hash_hex(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
        } else {
            alg.hash_hex(&format!("{ha1}:{}:{ha2}", self.nonce))
        }
    }

    fn algorithm_token(&self) -> String {
        let base = self.algorithm.token();
        if self.sess {
            format!("{base}-sess")
        } else {
            base.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::DigestAuth;
    use std::time::{Duration, Instant};

    /// RFC 7616 §3.9.1: the SHA-256 and MD5 answers to the same challenge.
    #[test]
    fn rfc7616_example_answers() {
        let value = |alg: &str| {
            format!(
                "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm={alg}, \
                 nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
                 opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
            )
        };
        let sha = Challenge::parse(&value("SHA-256"), false).unwrap();
        assert_eq!(sha.algorithm, Algorithm::Sha256);
        assert!(sha.qop_auth && !sha.sess && !sha.proxy);
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        let h = sha.answer(
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            cnonce,
            1,
        );
        let text = h.to_string();
        assert!(
            text.starts_with("Authorization: Digest username=\"Mufasa\""),
            "{text}"
        );
        assert!(text.contains(
            "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
        ));
        assert!(text.contains(
            "qop=auth, nc=00000001, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\""
        ));
        assert!(text.contains("opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""));
        assert!(text.contains("algorithm=SHA-256"));
        let md5 = Challenge::parse(&value("MD5"), false).unwrap();
        let r = md5.response(
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            cnonce,
            "00000001",
        );
        assert_eq!(r, "8ca523f5e9506fed4657c9700eebdbec");
    }

    /// RFC 2617 §3.5 without qop: response = MD5(HA1:nonce:HA2), and no nc/cnonce are sent.
    #[test]
    fn no_qop_answer_is_rfc2069_form() {
        let c = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
            true,
        )
        .unwrap();
        assert!(!c.qop_auth && c.proxy && c.algorithm == Algorithm::Md5);
        let ha1 = hex::encode(<md5::Md5 as sha2::Digest>::digest(
            b"Mufasa:testrealm@host.com:Circle Of Life",
        ));
        let ha2 = hex::encode(<md5::Md5 as sha2::Digest>::digest(b"GET:/dir/index.html"));
        let want = hex::encode(<md5::Md5 as sha2::Digest>::digest(
            format!("{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:{ha2}").as_bytes(),
        ));
        let h = c.answer("Mufasa", "Circle Of Life", "GET", "/dir/index.html", "x", 1);
        let text = h.to_string();
        assert!(text.starts_with("Proxy-Authorization: "), "{text}");
        assert!(text.contains(&format!("response=\"{want}\"")), "{text}");
        assert!(!text.contains("cnonce") && !text.contains("nc="), "{text}");
    }

    #[test]
    fn sess_hashes_the_nonces_into_ha1() {
        let c = Challenge::parse(
            "Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess, qop=auth",
            false,
        )
        .unwrap();
        assert!(c.sess);
        let plain = Challenge {
            sess: false,
            ..c.clone()
        };
        assert_ne!(
            c.response("u", "p", "INVITE", "sip:x", "cn", "00000001"),
            plain.response("u", "p", "INVITE", "sip:x", "cn", "00000001")
        );
        let text = c.answer("u", "p", "INVITE", "sip:x", "cn", 1).to_string();
        assert!(text.contains("algorithm=MD5-sess"), "{text}");
    }

    #[test]
    fn bad_challenges_are_refused() {
        assert_eq!(
            Challenge::parse("Basic realm=\"x\"", false),
            Err(ChallengeError::NotDigest)
        );
        assert!(matches!(
            Challenge::parse(
                "Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512-256",
                false
            ),
            Err(ChallengeError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            Challenge::parse("Digest realm=\"x\", nonce=\"n\", qop=\"auth-int\"", false),
            Err(ChallengeError::UnsupportedQop(_))
        ));
        assert!(matches!(
            Challenge::parse("Digest realm=\"x\"", false),
            Err(ChallengeError::Malformed(_))
        ));
        assert!(matches!(
            Challenge::parse("Digest realm=\"x, nonce=n", false),
            Err(ChallengeError::Malformed(_))
        ));
    }

    /// Our own server's challenge, answered by the client, passes `DigestAuth::verify`: with
    /// each algorithm, as 401 and as 407, and a second request on the same nonce with nc=2.
    #[test]
    fn round_trip_against_our_verifier() {
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        for (alg, proxy) in [
            (Algorithm::Sha256, false),
            (Algorithm::Md5, true),
            (Algorithm::Md5, false),
        ] {
            let mut server = DigestAuth::new("switch.test", Duration::from_secs(60), [3; 32])
                .with_algorithms(&[alg]);
            let code = if proxy { 407 } else { 401 };
            let mut resp = rsip::Response {
                status_code: code.into(),
                ..Default::default()
            };
            for h in server.challenge(now, proxy, false) {
                resp.headers.push(h);
            }
            let c = Challenge::from_response(&resp, None).unwrap();
            assert_eq!((c.algorithm, c.proxy), (alg, proxy));
            for nc in 1..=2 {
                let mut req = invite();
                req.headers.push(c.answer(
                    "alice",
                    "s3cret",
                    "INVITE",
                    "sip:1002@switch.test",
                    "abc",
                    nc,
                ));
                let got = server.verify(now, &req, proxy, |u| {
                    (u == "alice").then(|| "s3cret".to_string())
                });
                assert_eq!(
                    got,
                    Ok("alice".to_string()),
                    "{alg:?} proxy={proxy} nc={nc}"
                );
            }
            // A wrong password is caught by the verifier.
            let mut req = invite();
            req.headers
                .push(c.answer("alice", "nope", "INVITE", "sip:x", "abc", 3));
            assert!(server
                .verify(now, &req, proxy, |_| Some("s3cret".into()))
                .is_err());
        }
    }

    fn invite() -> rsip::Request {
        rsip::Request {
            method: rsip::Method::Invite,
            uri: rsip::Uri::try_from("sip:1002@switch.test").unwrap(),
            version: rsip::Version::V2,
            headers: Default::default(),
            body: Vec::new(),
        }
    }

    #[test]
    fn strongest_challenge_of_the_realm_is_chosen() {
        let mut resp = rsip::Response {
            status_code: 401.into(),
            ..Default::default()
        };
        resp.headers.push(Header::WwwAuthenticate(
            rsip::headers::WwwAuthenticate::new("Digest realm=\"a\", nonce=\"1\", algorithm=MD5"),
        ));
        resp.headers.push(Header::WwwAuthenticate(
            rsip::headers::WwwAuthenticate::new(
                "Digest realm=\"a\", nonce=\"1\", algorithm=SHA-256, qop=\"auth\"",
            ),
        ));
        resp.headers.push(Header::WwwAuthenticate(
            rsip::headers::WwwAuthenticate::new("Digest realm=\"b\", nonce=\"2\""),
        ));
        let c = Challenge::from_response(&resp, None).unwrap();
        assert_eq!(c.algorithm, Algorithm::Sha256);
        let b = Challenge::from_response(&resp, Some("b")).unwrap();
        assert_eq!(b.nonce, "2");
        assert_eq!(
            Challenge::from_response(&resp, Some("c")),
            Err(ChallengeError::NoChallenge)
        );
    }
}
