//! Which trunk an inbound request comes from: its source address in the trunk's `sources`,
//! the trunk's IP literal or the addresses its host name resolved to, and, when the trunk
//! names one, a header (or the Request-URI's user) with the expected value, for carriers that
//! share addresses. The first trunk in plan order that matches wins.

use crate::setup::{TrunkPlan, TrunkSetup};
use rsip::Request;
use std::net::IpAddr;

/// The `match_header` name that means the Request-URI's user part.
pub const REQUEST_URI_USER: &str = "Request-URI-user";

/// The same address, an IPv4-mapped IPv6 address taken as its IPv4 one.
fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    let canon = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    canon(a) == canon(b)
}

impl TrunkSetup {
    /// The host as an IP literal, if it is one (IPv6 with or without brackets).
    pub fn host_ip(&self) -> Option<IpAddr> {
        self.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    }

    /// Whether a request from `source` is this trunk's. `resolved`: the addresses the driver
    /// found for the host name.
    pub fn recognises(&self, source: IpAddr, resolved: &[IpAddr], req: &Request) -> bool {
        let from_here = self.sources.iter().any(|c| c.contains(source))
            || self.host_ip().is_some_and(|ip| same_ip(ip, source))
            || resolved.iter().any(|ip| same_ip(*ip, source));
        if !from_here {
            return false;
        }
        let Some((name, want)) = &self.match_header else {
            return true;
        };
        if name.eq_ignore_ascii_case(REQUEST_URI_USER) {
            return sip::message::uri_user(&req.uri).is_some_and(|u| &u == want);
        }
        req.headers.iter().any(|h| {
            let text = h.to_string();
            text.split_once(':').is_some_and(|(n, v)| {
                n.trim().eq_ignore_ascii_case(name) && v.trim() == want.as_str()
            })
        })
    }
}

impl TrunkPlan {
    /// The trunk a request from `source` belongs to; `resolved(name)` gives the addresses
    /// the trunk's host name resolved to.
    pub fn recognise<'a, R>(
        &self,
        source: IpAddr,
        resolved: R,
        req: &Request,
    ) -> Option<&TrunkSetup>
    where
        R: Fn(&str) -> &'a [IpAddr],
    {
        self.trunks
            .iter()
            .find(|t| t.recognises(source, resolved(&t.name), req))
    }
}

/// The caller's number an inbound request names: `P-Asserted-Identity` (RFC 3325, what a
/// carrier vouches for) when present, else the From user.
pub fn caller_number(req: &Request) -> Option<String> {
    let pai = req.headers.iter().find_map(|h| match h {
        rsip::Header::Other(name, value) if name.eq_ignore_ascii_case("P-Asserted-Identity") => {
            Some(value.clone())
        }
        _ => None,
    });
    if let Some(user) = pai.as_deref().and_then(identity_user) {
        return Some(user);
    }
    sip::message::from_user(req)
}

/// The user of the first URI of an identity header (`"Kim" <sip:+8210...@carrier>` or
/// `<tel:+8210...>`, several comma-separated identities allowed).
fn identity_user(value: &str) -> Option<String> {
    let uri = match (value.find('<'), value.find('>')) {
        (Some(s), Some(e)) if s < e => value.get(s + 1..e)?,
        _ => value.split([',', ';']).next()?.trim(),
    };
    let rest = uri
        .strip_prefix("sips:")
        .or_else(|| uri.strip_prefix("sip:"))
        .or_else(|| uri.strip_prefix("tel:"))?;
    let user = rest.split(['@', ';']).next()?.trim();
    (!user.is_empty()).then(|| user.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::Cidr;

    fn trunk(name: &str, host: &str, sources: &[&str]) -> TrunkSetup {
        TrunkSetup {
            sources: sources.iter().map(|s| s.parse::<Cidr>().unwrap()).collect(),
            ..TrunkSetup::new(name, host)
        }
    }

    fn invite(extra: &str) -> Request {
        let text = format!(
            "INVITE sip:+8215881234@switch.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
             From: <sip:+821099998888@carrier>;tag=1\r\nTo: <sip:+8215881234@switch.test>\r\n\
             Call-ID: c1\r\nCSeq: 1 INVITE\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        match sip::parse::parse(text.as_bytes()).unwrap() {
            rsip::SipMessage::Request(r) => r,
            _ => unreachable!(),
        }
    }

    #[test]
    fn recognised_by_sources_literal_or_resolved_addresses() {
        let plan = TrunkPlan {
            trunks: vec![
                trunk("a", "sip.carrier.example", &["198.51.100.0/24"]),
                trunk("b", "192.0.2.10", &[]),
                trunk("c", "sbc.example", &[]),
            ],
            ..Default::default()
        };
        let resolved_c = ["203.0.113.5".parse().unwrap()];
        let resolved = |name: &str| -> &[IpAddr] {
            if name == "c" {
                &resolved_c
            } else {
                &[]
            }
        };
        let req = invite("");
        let who = |ip: &str| {
            plan.recognise(ip.parse().unwrap(), resolved, &req)
                .map(|t| t.name.clone())
        };
        assert_eq!(who("198.51.100.77").as_deref(), Some("a"));
        assert_eq!(who("192.0.2.10").as_deref(), Some("b"));
        assert_eq!(who("::ffff:192.0.2.10").as_deref(), Some("b"));
        assert_eq!(who("203.0.113.5").as_deref(), Some("c"));
        assert_eq!(who("127.0.0.1"), None);
    }

    #[test]
    fn a_match_header_tells_shared_addresses_apart() {
        let mut a = trunk("a", "192.0.2.10", &[]);
        a.match_header = Some(("X-Account".into(), "acme".into()));
        let mut b = trunk("b", "192.0.2.10", &[]);
        b.match_header = Some((REQUEST_URI_USER.into(), "+8215881234".into()));
        let plan = TrunkPlan {
            trunks: vec![a, b],
            ..Default::default()
        };
        let ip = "192.0.2.10".parse().unwrap();
        let none = |_: &str| -> &[IpAddr] { &[] };
        let name = |r: &Request| plan.recognise(ip, none, r).map(|t| t.name.clone());
        assert_eq!(name(&invite("X-Account: acme\r\n")).as_deref(), Some("a"));
        assert_eq!(name(&invite("X-Account: other\r\n")).as_deref(), Some("b"));
    }

    #[test]
    fn caller_number_prefers_the_asserted_identity() {
        assert_eq!(caller_number(&invite("")).as_deref(), Some("+821099998888"));
        let pai = invite("P-Asserted-Identity: \"Kim\" <sip:+821011112222@carrier>\r\n");
        assert_eq!(caller_number(&pai).as_deref(), Some("+821011112222"));
        let tel = invite("P-Asserted-Identity: <tel:021234567>, <sip:x@y>\r\n");
        assert_eq!(caller_number(&tel).as_deref(), Some("021234567"));
    }
}
