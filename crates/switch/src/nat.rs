//! Where requests for a registered contact are sent (`[sip] nat`).
//!
//! A phone behind NAT registers a Contact it cannot be reached at (its private address); the
//! address the REGISTER came from is the one that works. But RFC 3261 §10 also lets a device
//! register a binding on another's behalf (third-party registration), and then the Contact, not
//! the source, is the target. So the choice is a setting:
//! - `always`: the source, always (the rule before this setting existed);
//! - `never`: the Contact, whenever it names an IP address (a host name falls back to the
//!   source: the switch resolves no DNS);
//! - `auto` (default): the source only when the Contact signals NAT, in the spirit of
//!   Kamailio's `nat_uac_test`: its host is not an IP address, or a private, shared,
//!   link-local or loopback address (RFC 1918, RFC 6598, RFC 4193) other than the source's
//!   (`nat_uac_test` flag 1), or the source's address at another port or transport (flag 64,
//!   and a TCP phone's connection), or an address of the other family. A public address
//!   other than the source's is a third-party binding: sent to the Contact.
//!
//! Pure logic over values; the registrar keeps both the Contact and the source.

use sip::Peer;
use std::net::IpAddr;

/// The `[sip] nat` setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum NatMode {
    #[default]
    Auto,
    Always,
    Never,
}

/// Where a request for the binding `contact`, registered from `source`, goes.
pub fn target(mode: NatMode, contact: &rsip::Uri, source: Peer) -> Peer {
    let Some(direct) = contact_peer(contact) else {
        return source;
    };
    match mode {
        NatMode::Always => source,
        NatMode::Never => direct,
        NatMode::Auto if signals_nat(direct, source) => source,
        NatMode::Auto => direct,
    }
}

fn signals_nat(contact: Peer, source: Peer) -> bool {
    let (c, s) = (contact.addr.ip(), source.addr.ip());
    if c.is_ipv4() != s.is_ipv4() {
        return true;
    }
    if c == s {
        return contact != source;
    }
    !is_public(c)
}

/// The contact's address as a peer: its IP literal (or `maddr`) and port (5060 by default),
/// over its `transport` parameter (UDP unless it says TCP). None for a host name.
fn contact_peer(contact: &rsip::Uri) -> Option<Peer> {
    sip::route::next_hop(contact)
}

/// Whether `ip` is reachable from elsewhere as it is (not private, shared, link-local,
/// loopback or unspecified).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            let shared = a == 100 && (64..128).contains(&b); // RFC 6598 carrier-grade NAT
            !(v4.is_private()
                || shared
                || v4.is_link_local()
                || v4.is_loopback()
                || v4.is_unspecified())
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            let unique_local = first & 0xfe00 == 0xfc00; // RFC 4193
            let link_local = first & 0xffc0 == 0xfe80;
            !(unique_local || link_local || v6.is_loopback() || v6.is_unspecified())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> rsip::Uri {
        let masked = sip::parse::parse(
            format!(
                "OPTIONS {s} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
                 From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\
                 Content-Length: 0\r\n\r\n"
            )
            .as_bytes(),
        )
        .expect("parses");
        match masked {
            rsip::SipMessage::Request(r) => r.uri,
            rsip::SipMessage::Response(_) => unreachable!(),
        }
    }

    fn udp(s: &str) -> Peer {
        Peer::udp(s.parse().expect("addr"))
    }

    #[test]
    fn always_is_the_source_and_never_the_contact() {
        let c = uri("sip:1001@198.51.100.7:5062");
        let src = udp("203.0.113.9:40000");
        assert_eq!(target(NatMode::Always, &c, src), src);
        assert_eq!(target(NatMode::Never, &c, src), udp("198.51.100.7:5062"));
    }

    #[test]
    fn auto_uses_the_source_for_a_private_contact_behind_nat() {
        let c = uri("sip:1001@192.168.1.20:5060");
        let src = udp("203.0.113.9:40000");
        assert_eq!(target(NatMode::Auto, &c, src), src);
        let cgn = uri("sip:1001@100.72.1.1");
        assert_eq!(target(NatMode::Auto, &cgn, src), src);
        let ula = uri("sip:1001@[fd00::20]:5060");
        assert_eq!(
            target(NatMode::Auto, &ula, udp("[2001:db8::9]:40000")),
            udp("[2001:db8::9]:40000")
        );
    }

    #[test]
    fn auto_uses_a_public_contact_of_another_host_third_party() {
        let c = uri("sip:1001@198.51.100.7:5062");
        let src = udp("203.0.113.9:5060");
        assert_eq!(target(NatMode::Auto, &c, src), udp("198.51.100.7:5062"));
        let c6 = uri("sip:1001@[2001:db8::2]:5062");
        assert_eq!(
            target(NatMode::Auto, &c6, udp("[2001:db8::9]:5060")),
            udp("[2001:db8::2]:5062")
        );
    }

    #[test]
    fn auto_uses_the_source_when_only_the_port_or_transport_differs() {
        let c = uri("sip:1001@203.0.113.9:5060");
        let src = udp("203.0.113.9:40000");
        assert_eq!(target(NatMode::Auto, &c, src), src);
        let tcp_src = Peer::tcp("203.0.113.9:5060".parse().expect("addr"));
        assert_eq!(target(NatMode::Auto, &c, tcp_src), tcp_src);
        // The same address, port and transport: either is the same.
        assert_eq!(
            target(NatMode::Auto, &c, udp("203.0.113.9:5060")),
            udp("203.0.113.9:5060")
        );
    }

    #[test]
    fn auto_uses_the_source_for_another_family_or_a_host_name() {
        let c6 = uri("sip:1001@[2001:db8::2]:5062");
        let src = udp("127.0.0.1:5002");
        assert_eq!(target(NatMode::Auto, &c6, src), src);
        let named = uri("sip:1001@phone.example.com:5062");
        assert_eq!(target(NatMode::Never, &named, src), src);
    }

    #[test]
    fn a_tcp_contact_is_reached_over_tcp() {
        let c = uri("sip:1001@198.51.100.7:5062;transport=tcp");
        assert_eq!(
            target(NatMode::Never, &c, udp("203.0.113.9:5060")),
            Peer::tcp("198.51.100.7:5062".parse().expect("addr"))
        );
    }
}
