//! Digest tests: RFC known-answer vectors, then the nonce rules (replay, stale, foreign) and
//! each way credentials can be wrong.

use super::*;

const REALM: &str = "switchboard.test";
const LIFETIME: Duration = Duration::from_secs(300);

/// RFC 2617 §3.5 example (qop=auth, MD5).
#[test]
fn rfc2617_md5_known_answer() {
    let r = digest_response(
        Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
        "GET",
        "/dir/index.html",
        "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "00000001",
        "0a4f113b",
    );
    assert_eq!(r, "6629fae49393a05397450978507c4ef1");
}

/// RFC 7616 §3.9.1 example, both algorithms.
#[test]
fn rfc7616_known_answers() {
    let args = |alg| {
        digest_response(
            alg,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            "00000001",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        )
    };
    assert_eq!(
        args(Algorithm::Sha256),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
    assert_eq!(args(Algorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
}

fn auth() -> DigestAuth {
    DigestAuth::new(REALM, LIFETIME, [7; 32])
}

fn password_of(user: &str) -> Option<String> {
    (user == "alice").then(|| "s3cret".to_owned())
}

fn nonce_of(headers: &[Header]) -> String {
    let value = headers[0].to_string();
    let start = value.find("nonce=\"").expect("nonce") + 7;
    let end = value[start..].find('"').expect("quote") + start;
    value[start..end].to_owned()
}

struct Cred<'a> {
    user: &'a str,
    realm: &'a str,
    password: &'a str,
    alg: Algorithm,
    nonce: &'a str,
    nc: &'a str,
}

fn register_with(c: &Cred<'_>, proxy: bool) -> Request {
    let uri = "sip:switchboard.test";
    let response = digest_response(
        c.alg, c.user, c.realm, c.password, "REGISTER", uri, c.nonce, c.nc, "abc123",
    );
    let alg = match c.alg {
        Algorithm::Md5 => "MD5",
        Algorithm::Sha256 => "SHA-256",
    };
    let name = if proxy {
        "Proxy-Authorization"
    } else {
        "Authorization"
    };
    let msg = format!(
        "REGISTER sip:switchboard.test SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
From: <sip:{u}@switchboard.test>;tag=1\r\nTo: <sip:{u}@switchboard.test>\r\nCall-ID: c\r\n\
CSeq: 1 REGISTER\r\n{name}: Digest username=\"{u}\" , realm = \"{r}\", nonce=\"{n}\", \
uri=\"{uri}\", response=\"{response}\", algorithm={alg}, qop=auth, nc={nc}, cnonce=\"abc123\"\r\n\
Content-Length: 0\r\n\r\n",
        u = c.user,
        r = c.realm,
        n = c.nonce,
        nc = c.nc,
    );
    match crate::parse::parse(msg.as_bytes()) {
        Ok(rsip::SipMessage::Request(r)) => r,
        other => panic!("test request does not parse: {other:?}"),
    }
}

fn good<'a>(nonce: &'a str) -> Cred<'a> {
    Cred {
        user: "alice",
        realm: REALM,
        password: "s3cret",
        alg: Algorithm::Sha256,
        nonce,
        nc: "00000001",
    }
}

#[test]
fn challenge_offers_sha256_then_md5() {
    let mut a = auth();
    let now = Instant::now();
    let h = a.challenge(now, false, false);
    assert_eq!(h.len(), 2);
    let first = h[0].to_string();
    assert!(matches!(h[0], Header::WwwAuthenticate(_)));
    assert!(
        first.contains("algorithm=SHA-256") && first.contains("qop=\"auth\""),
        "{first}"
    );
    assert!(first.contains("realm=\"switchboard.test\""));
    assert!(!first.contains("stale"));
    assert!(h[1].to_string().contains("algorithm=MD5"));
    let h = a.challenge(now, true, true);
    assert!(matches!(h[0], Header::ProxyAuthenticate(_)));
    assert!(h[0].to_string().contains("stale=true"));
}

#[test]
fn accepts_both_algorithms_and_proxy_credentials() {
    let mut a = auth();
    let now = Instant::now();
    let nonce = nonce_of(&a.challenge(now, false, false));
    let req = register_with(&good(&nonce), false);
    assert_eq!(a.verify(now, &req, false, password_of), Ok("alice".into()));
    let md5 = Cred {
        alg: Algorithm::Md5,
        nc: "00000002",
        ..good(&nonce)
    };
    assert_eq!(
        a.verify(now, &register_with(&md5, false), false, password_of),
        Ok("alice".into())
    );
    let req = register_with(&good(&nonce), true);
    assert_eq!(
        a.verify(now, &req, false, password_of),
        Err(AuthError::Missing)
    );
    let proxy = Cred {
        nc: "00000003",
        ..good(&nonce)
    };
    assert_eq!(
        a.verify(now, &register_with(&proxy, true), true, password_of),
        Ok("alice".into())
    );
}

#[test]
fn replayed_or_lower_nonce_count_is_refused() {
    let mut a = auth();
    let now = Instant::now();
    let nonce = nonce_of(&a.challenge(now, false, false));
    let second = Cred {
        nc: "00000002",
        ..good(&nonce)
    };
    assert!(a
        .verify(now, &register_with(&second, false), false, password_of)
        .is_ok());
    let replay = register_with(&second, false);
    assert_eq!(
        a.verify(now, &replay, false, password_of),
        Err(AuthError::ReplayedNonceCount)
    );
    let lower = register_with(&good(&nonce), false);
    assert_eq!(
        a.verify(now, &lower, false, password_of),
        Err(AuthError::ReplayedNonceCount)
    );
}

#[test]
fn expired_nonce_is_stale() {
    let mut a = auth();
    let t0 = Instant::now();
    let nonce = nonce_of(&a.challenge(t0, false, false));
    let req = register_with(&good(&nonce), false);
    let later = t0 + LIFETIME + Duration::from_secs(1);
    let err = a
        .verify(later, &req, false, password_of)
        .expect_err("stale");
    assert_eq!(err, AuthError::StaleNonce);
    assert!(err.is_stale());
    // Still fresh just before the lifetime ends.
    assert!(a.verify(t0 + LIFETIME, &req, false, password_of).is_ok());
}

#[test]
fn foreign_nonce_wrong_password_realm_user() {
    let mut a = auth();
    let now = Instant::now();
    let nonce = nonce_of(&a.challenge(now, false, false));
    let foreign = register_with(&good("0123456789abcdef"), false);
    assert_eq!(
        a.verify(now, &foreign, false, password_of),
        Err(AuthError::UnknownNonce)
    );
    let wrong_pw = Cred {
        password: "guess",
        ..good(&nonce)
    };
    assert_eq!(
        a.verify(now, &register_with(&wrong_pw, false), false, password_of),
        Err(AuthError::WrongPassword)
    );
    let wrong_realm = Cred {
        realm: "elsewhere",
        ..good(&nonce)
    };
    assert_eq!(
        a.verify(now, &register_with(&wrong_realm, false), false, password_of),
        Err(AuthError::WrongRealm)
    );
    let unknown = Cred {
        user: "mallory",
        ..good(&nonce)
    };
    assert_eq!(
        a.verify(now, &register_with(&unknown, false), false, password_of),
        Err(AuthError::UnknownUser)
    );
    // A failed attempt must not consume the nonce count for the real user.
    assert!(a
        .verify(
            now,
            &register_with(&good(&nonce), false),
            false,
            password_of
        )
        .is_ok());
}

#[test]
fn missing_qop_and_unknown_algorithm() {
    let mut a = auth();
    let now = Instant::now();
    let nonce = nonce_of(&a.challenge(now, false, false));
    let mut req = register_with(&good(&nonce), false);
    for h in req.headers.iter_mut() {
        if let Header::Authorization(v) = h {
            let without_qop = v.value().replace("qop=auth, ", "");
            *h = Header::Authorization(rsip::headers::Authorization::new(without_qop));
        }
    }
    assert_eq!(
        a.verify(now, &req, false, password_of),
        Err(AuthError::QopRequired)
    );
    let mut req = register_with(&good(&nonce), false);
    for h in req.headers.iter_mut() {
        if let Header::Authorization(v) = h {
            let sess = v
                .value()
                .replace("algorithm=SHA-256", "algorithm=SHA-256-sess");
            *h = Header::Authorization(rsip::headers::Authorization::new(sess));
        }
    }
    assert_eq!(
        a.verify(now, &req, false, password_of),
        Err(AuthError::UnsupportedAlgorithm)
    );
}

#[test]
fn nonce_table_is_bounded() {
    let mut a = auth().with_nonce_capacity(100);
    let now = Instant::now();
    let first = nonce_of(&a.challenge(now, false, false));
    for _ in 0..1000 {
        a.challenge(now, false, false);
    }
    assert!(a.outstanding_nonces() <= 100);
    let req = register_with(&good(&first), false);
    assert_eq!(
        a.verify(now, &req, false, password_of),
        Err(AuthError::UnknownNonce)
    );
}

#[test]
fn params_parser_handles_quotes_commas_and_case() {
    let p = parse_params(r#" USERNAME = "a, \"b\"" ,realm="r",  nc=00000001"#).expect("parses");
    assert_eq!(p[0], ("USERNAME".into(), "a, \"b\"".into()));
    assert_eq!(p[1], ("realm".into(), "r".into()));
    assert_eq!(p[2], ("nc".into(), "00000001".into()));
    assert!(parse_params("username=\"open").is_err());
    assert!(parse_params("=x").is_err());
    assert!(parse_params("a=\"\\é\"").is_ok());
    // Escapes inside and at the edges of copied runs.
    let p = parse_params(r#"a="é\"q\\z",b="\x",c="""#).expect("parses");
    assert_eq!(p[0].1, "é\"q\\z");
    assert_eq!(p[1].1, "x");
    assert_eq!(p[2].1, "");
    assert!(parse_params(r#"a="x\"#).is_err());
    assert!(parse_params(r#"a="x\""#).is_err());
}

#[test]
fn algorithm_order_is_configurable_and_disabled_ones_are_refused() {
    let now = Instant::now();
    let mut md5_only = auth().with_algorithms(&[Algorithm::Md5]);
    let headers = md5_only.challenge(now, false, false);
    assert_eq!(headers.len(), 1);
    assert!(headers[0].to_string().contains("algorithm=MD5"));
    let nonce = nonce_of(&headers);
    assert_eq!(
        md5_only.verify(
            now,
            &register_with(&good(&nonce), false),
            false,
            password_of
        ),
        Err(AuthError::UnsupportedAlgorithm)
    );
    let md5 = Cred {
        alg: Algorithm::Md5,
        ..good(&nonce)
    };
    assert_eq!(
        md5_only.verify(now, &register_with(&md5, false), false, password_of),
        Ok("alice".into())
    );
    let mut both = auth().with_algorithms(&[Algorithm::Md5, Algorithm::Sha256]);
    let headers = both.challenge(now, false, false);
    assert!(headers[0].to_string().contains("algorithm=MD5"));
    assert!(headers[1].to_string().contains("algorithm=SHA-256"));
}

#[test]
fn of_several_credentials_the_first_with_an_accepted_algorithm_is_used() {
    let now = Instant::now();
    let mut md5_only = auth().with_algorithms(&[Algorithm::Md5]);
    let nonce = nonce_of(&md5_only.challenge(now, false, false));
    // A SHA-256 answer first (not accepted here), then an MD5 one: the MD5 one authenticates.
    let sha = register_with(&good(&nonce), false);
    let md5 = register_with(
        &Cred {
            alg: Algorithm::Md5,
            ..good(&nonce)
        },
        false,
    );
    let mut both = sha.clone();
    for h in md5.headers.iter() {
        if matches!(h, Header::Authorization(_)) {
            both.headers.push(h.clone());
        }
    }
    assert_eq!(
        md5_only.verify(now, &both, false, password_of),
        Ok("alice".into())
    );
}

/// RFC 4475 §3.3.7: credentials in a scheme we do not know count as none, so the request is
/// challenged rather than refused.
#[test]
fn credentials_in_an_unknown_scheme_are_treated_as_missing() {
    let msg = "REGISTER sip:switchboard.test SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
From: <sip:alice@switchboard.test>;tag=1\r\nTo: <sip:alice@switchboard.test>\r\nCall-ID: c\r\n\
CSeq: 1 REGISTER\r\nAuthorization: NoOneKnowsThisScheme opaque-data=here\r\n\
Content-Length: 0\r\n\r\n";
    let Ok(rsip::SipMessage::Request(req)) = crate::parse::parse(msg.as_bytes()) else {
        panic!("parses");
    };
    let now = Instant::now();
    assert_eq!(
        auth().verify(now, &req, false, password_of),
        Err(AuthError::Missing)
    );
}

/// RFC 5118: a Request-URI with an IPv6 reference. The normalizer masks it for rsip; the
/// credentials' `uri` is a quoted string, which masking leaves alone, so it is hashed as the
/// client wrote it.
#[test]
fn digest_over_an_ipv6_request_uri_verifies() {
    let mut a = auth();
    let now = Instant::now();
    let nonce = nonce_of(&a.challenge(now, false, false));
    let uri = "sip:[2001:db8::10]";
    let response = digest_response(
        Algorithm::Md5,
        "alice",
        REALM,
        "s3cret",
        "REGISTER",
        uri,
        &nonce,
        "00000001",
        "c1",
    );
    let msg = format!(
        "REGISTER {uri} SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bK1\r\n\
From: <sip:alice@switchboard.test>;tag=1\r\nTo: <sip:alice@switchboard.test>\r\nCall-ID: c\r\n\
CSeq: 1 REGISTER\r\nAuthorization: Digest username=\"alice\", realm=\"{REALM}\", \
nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm=MD5, qop=auth, \
nc=00000001, cnonce=\"c1\"\r\nContent-Length: 0\r\n\r\n"
    );
    let Ok(rsip::SipMessage::Request(req)) = crate::parse::parse(msg.as_bytes()) else {
        panic!("parses");
    };
    assert_eq!(
        a.verify(now, &req, false, password_of).as_deref(),
        Ok("alice")
    );
}

/// The name a guess is counted against, whether or not it exists or the password is right.
#[test]
fn claimed_username_is_read_from_the_matching_header() {
    let c = Cred {
        user: "mallory",
        password: "wrong",
        ..good("n")
    };
    let req = register_with(&c, false);
    assert_eq!(
        DigestAuth::claimed_username(&req, false).as_deref(),
        Some("mallory")
    );
    assert_eq!(DigestAuth::claimed_username(&req, true), None);
    let req = register_with(&c, true);
    assert_eq!(
        DigestAuth::claimed_username(&req, true).as_deref(),
        Some("mallory")
    );
}
