//! Strict source latching: which address a relay socket accepts packets from, and so where
//! the other side's media goes. Pure: the task passes each datagram and its source, and gets a
//! [`Verdict`]; no clock, no I/O, no allocation.
//!
//! The rules (docs/security.md, "Media"), learnt from Asterisk's `strictrtp` probation fix
//! (AST-2017-005) and rtpengine's strict-source:
//! - A side learns its source only from the address its SDP names. A packet from exactly that
//!   address (IP and port) latches at once if it is valid RTP v2 (RTCP v2 on the RTCP socket).
//! - Another port of the SDP's IP (a phone behind a NAT that kept its IP but not its port) must
//!   first pass probation: [`PROBATION_RTP`] valid packets in a row, one SSRC, consecutive
//!   sequence numbers (RTCP: [`PROBATION_RTCP`] valid packets with one sender SSRC).
//! - An SDP address in private space (RFC 1918, CGNAT, link-local, IPv6 ULA) said by a phone
//!   whose packets come from a public address is a NAT that did not rewrite the SDP: any public
//!   source may then pass probation. This is the one case where the IP cannot be checked.
//! - Once latched, packets from any other source are [`Verdict::Foreign`]: dropped and counted.
//!   There is no silence take-over. A new source is accepted only after a new offer/answer
//!   ([`Latch::expect`]) or, with [`StrictSource::Ip`], from another port of the latched IP
//!   after probation (a NAT that re-mapped the port mid-call).
//! - Without an SDP address (no offer/answer yet, or hold with 0.0.0.0) nothing latches.
//!
//! RTCP sockets follow the same rules with their own latch; their SDP address is the SDP's
//! `a=rtcp` (or RTP port + 1).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use crate::rtp::RtpPacket;

/// Valid packets in a row a source other than the exact SDP address needs to latch RTP
/// (Asterisk's `probation` default is 4; ours needs fewer because the IP is checked too).
pub const PROBATION_RTP: u8 = 3;
/// The same for RTCP, which has no sequence numbers and comes every few seconds.
pub const PROBATION_RTCP: u8 = 2;

/// How strictly a latched side holds on to its source (`[media] strict_source`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StrictSource {
    /// Only the latched address (IP and port); a new source only after a new offer/answer.
    #[default]
    Address,
    /// Also another port of the latched IP, once it passes probation (NATs that re-map ports
    /// mid-call); sources from other IPs still need a new offer/answer.
    Ip,
}

/// `[media] strict_source` was neither `"address"` nor `"ip"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("strict_source must be \"address\" or \"ip\", not {0:?}")]
pub struct BadStrictSource(pub String);

impl FromStr for StrictSource {
    type Err = BadStrictSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "address" => Ok(Self::Address),
            "ip" => Ok(Self::Ip),
            other => Err(BadStrictSource(other.to_owned())),
        }
    }
}

/// What a socket carries, and so how its packets are validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Rtp,
    Rtcp,
}

/// What to do with one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// From the latched source (perhaps latched by this very packet): relay it.
    Accept,
    /// From a source on probation: dropped, the source may latch with its next packets.
    Probation,
    /// From a source that may not latch, or not valid RTP/RTCP: dropped and counted.
    Foreign,
}

/// A source on probation: its last packet's SSRC and sequence number, and how many valid
/// packets in a row it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    from: SocketAddr,
    ssrc: u32,
    seq: u16,
    count: u8,
}

/// One socket's latch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Latch {
    kind: Kind,
    mode: StrictSource,
    /// The address the side's SDP names for this socket.
    expected: Option<SocketAddr>,
    peer: Option<SocketAddr>,
    /// A new offer/answer came since `peer` latched: another eligible source may take over.
    reopened: bool,
    candidate: Option<Candidate>,
    /// The IP the side's SIP came from straight from the phone (its NAT's public side), when
    /// the switch knows it: a private SDP address then latches only to sources of that IP.
    signal: Option<IpAddr>,
}

impl Latch {
    pub fn new(kind: Kind, mode: StrictSource) -> Self {
        Self {
            kind,
            mode,
            expected: None,
            peer: None,
            reopened: false,
            candidate: None,
            signal: None,
        }
    }

    /// Where the side's signalling came from, straight from the phone (`None`: unknown, e.g.
    /// through a proxy). Narrows what a private SDP address accepts (see [`same_host`]).
    pub fn signalled_from(&mut self, ip: Option<IpAddr>) {
        self.signal = ip.map(|ip| ip.to_canonical());
    }

    /// Source latched to, if any.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// A new offer/answer for the side: `expected` is where its SDP says it receives (`None`:
    /// unknown or on hold). A changed address forgets the latched source; the same address
    /// keeps it, but re-opens latching so that another eligible source may take over after
    /// probation (the latched source speaking again closes it).
    pub fn expect(&mut self, expected: Option<SocketAddr>) {
        if expected != self.expected {
            self.expected = expected;
            self.peer = None;
        }
        self.reopened = self.peer.is_some();
        self.candidate = None;
    }

    /// Judge a datagram from `from`; latches when the rules say so.
    #[inline]
    pub fn admit(&mut self, from: SocketAddr, datagram: &[u8]) -> Verdict {
        if self.peer == Some(from) {
            if self.reopened {
                self.reopened = false;
                self.candidate = None;
            }
            return Verdict::Accept;
        }
        self.admit_other(from, datagram)
    }

    /// The slow path: anything but the latched source.
    fn admit_other(&mut self, from: SocketAddr, datagram: &[u8]) -> Verdict {
        let open = self.peer.is_none() || self.reopened;
        // A dual-stack socket sees IPv4 sources as ::ffff:a.b.c.d; SDP says a.b.c.d.
        let ip = from.ip().to_canonical();
        let exact = open
            && self
                .expected
                .is_some_and(|e| e.port() == from.port() && e.ip().to_canonical() == ip);
        let eligible = exact
            || match (self.peer, self.expected) {
                (Some(peer), _) if self.mode == StrictSource::Ip && peer.ip() == from.ip() => true,
                (_, Some(expected)) if open => {
                    same_host(expected.ip().to_canonical(), ip, self.signal)
                }
                _ => false,
            };
        // Addresses first: a flood from elsewhere costs a comparison, not a parse.
        if !eligible {
            return Verdict::Foreign;
        }
        let Some((ssrc, seq)) = identify(self.kind, datagram) else {
            return Verdict::Foreign;
        };
        if exact {
            return self.latch(from);
        }
        let in_a_row = |c: &Candidate| {
            c.from == from
                && c.ssrc == ssrc
                && (self.kind == Kind::Rtcp || seq == c.seq.wrapping_add(1))
        };
        let count = match &mut self.candidate {
            Some(c) if in_a_row(c) => {
                c.seq = seq;
                c.count = c.count.saturating_add(1);
                c.count
            }
            _ => {
                self.candidate = Some(Candidate {
                    from,
                    ssrc,
                    seq,
                    count: 1,
                });
                1
            }
        };
        let needed = match self.kind {
            Kind::Rtp => PROBATION_RTP,
            Kind::Rtcp => PROBATION_RTCP,
        };
        if count >= needed {
            self.latch(from)
        } else {
            Verdict::Probation
        }
    }

    fn latch(&mut self, from: SocketAddr) -> Verdict {
        self.peer = Some(from);
        self.reopened = false;
        self.candidate = None;
        Verdict::Accept
    }
}

/// Whether packets from `source` may be the phone whose SDP says `sdp`: the same IP, or a
/// private SDP address behind a NAT whose public side is `source`. When the phone's SIP came
/// straight from a public address (`signal`), that NAT is known: only its IP may be the phone,
/// as rtpengine and Asterisk prefer the address the signalling names.
fn same_host(sdp: IpAddr, source: IpAddr, signal: Option<IpAddr>) -> bool {
    sdp == source
        || (is_private(sdp)
            && !is_private(source)
            && !source.is_loopback()
            && signal.is_none_or(|s| is_private(s) || s.is_loopback() || s == source))
}

/// Addresses a phone can only have behind a NAT (never reachable from the internet).
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || v4.is_link_local() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The SSRC and sequence number of a valid packet (RTCP: the first packet's sender SSRC and
/// 0), or `None` when the datagram is not valid RTP v2 / RTCP v2.
fn identify(kind: Kind, datagram: &[u8]) -> Option<(u32, u16)> {
    match kind {
        Kind::Rtp => {
            let p = RtpPacket::parse(datagram).ok()?;
            // Payload types 72-76 would read as RTCP SR/RR/SDES/BYE/APP (RFC 5761 §4).
            (!(72..=76).contains(&p.payload_type())).then(|| (p.ssrc(), p.sequence()))
        }
        Kind::Rtcp => rtcp_sender(datagram).map(|ssrc| (ssrc, 0)),
    }
}

/// RFC 3550 §6.4 / A.2 validity of a compound RTCP packet: every part version 2 with a known
/// packet type (SR 200 to XR 207), lengths adding up to the datagram. Returns the first
/// part's SSRC.
fn rtcp_sender(datagram: &[u8]) -> Option<u32> {
    let mut rest = datagram;
    let mut first = None;
    while !rest.is_empty() {
        if rest.len() < 4 || rest[0] >> 6 != 2 || !(200..=207).contains(&rest[1]) {
            return None;
        }
        let len = (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1) * 4;
        if len > rest.len() {
            return None;
        }
        if first.is_none() {
            // The first part names its sender (an SDES without chunks would not).
            let ssrc = rest[..len].get(4..8)?.try_into().ok()?;
            first = Some(u32::from_be_bytes(ssrc));
        }
        rest = &rest[len..];
    }
    first
}

/// Runs datagrams through one RTP and one RTCP latch whose SDP names `expected` (the RTCP
/// latch: the next port), as a relay side judges its sockets' traffic, with a new offer/answer
/// after every eighth datagram. Returns how many were accepted. For the fuzzer (`crates/fuzz`):
/// the latch's validation is the first code a stranger's datagram reaches.
#[doc(hidden)]
pub fn judge_datagrams(
    expected: SocketAddr,
    mode: StrictSource,
    datagrams: &[(SocketAddr, &[u8])],
) -> usize {
    let rtcp_expected = SocketAddr::new(expected.ip(), expected.port().wrapping_add(1));
    let mut rtp = Latch::new(Kind::Rtp, mode);
    let mut rtcp = Latch::new(Kind::Rtcp, mode);
    rtp.expect(Some(expected));
    rtcp.expect(Some(rtcp_expected));
    let mut accepted = 0;
    for (i, (from, datagram)) in datagrams.iter().enumerate() {
        for latch in [&mut rtp, &mut rtcp] {
            if latch.admit(*from, datagram) == Verdict::Accept {
                accepted += 1;
            }
        }
        if i % 8 == 7 {
            rtp.expect(Some(expected));
            rtcp.expect(Some(rtcp_expected));
        }
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(ip: [u8; 4], port: u16) -> SocketAddr {
        SocketAddr::from((ip, port))
    }

    const PHONE: [u8; 4] = [192, 0, 2, 1];
    const ATTACKER: [u8; 4] = [198, 51, 100, 66];

    fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
        let mut p = vec![0xd5; 172];
        p[0] = 0x80;
        p[2..4].copy_from_slice(&seq.to_be_bytes());
        p[8..12].copy_from_slice(&ssrc.to_be_bytes());
        p
    }

    /// A receiver report with no report blocks, then an SDES with no chunks.
    fn rtcp(ssrc: u32) -> Vec<u8> {
        let mut p = vec![0x80, 201, 0, 1];
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(&[0x80, 202, 0, 0]);
        p
    }

    fn rtp_latch(expected: SocketAddr) -> Latch {
        let mut l = Latch::new(Kind::Rtp, StrictSource::Address);
        l.expect(Some(expected));
        l
    }

    #[test]
    fn the_sdp_address_latches_at_its_first_valid_packet() {
        let sdp = addr(PHONE, 4000);
        let mut l = rtp_latch(sdp);
        assert_eq!(l.admit(sdp, b"not rtp at all"), Verdict::Foreign);
        assert_eq!(l.peer(), None);
        assert_eq!(l.admit(sdp, &rtp(7, 100)), Verdict::Accept);
        assert_eq!(l.peer(), Some(sdp));
        // Latched: what the peer sends is relayed without further checks.
        assert_eq!(l.admit(sdp, b"whatever"), Verdict::Accept);
    }

    #[test]
    fn nothing_latches_without_an_sdp_address() {
        let mut l = Latch::new(Kind::Rtp, StrictSource::Address);
        for seq in 0..10 {
            assert_eq!(l.admit(addr(PHONE, 4000), &rtp(7, seq)), Verdict::Foreign);
        }
        l.expect(None);
        assert_eq!(l.admit(addr(PHONE, 4000), &rtp(7, 10)), Verdict::Foreign);
        assert_eq!(l.peer(), None);
    }

    /// Regression: an address that never spoke SIP latched with one packet and, after 2 s of
    /// the callee's silence, took the call over.
    #[test]
    fn another_ip_never_latches_however_long_it_sprays() {
        let sdp = addr(PHONE, 4000);
        let mut l = rtp_latch(sdp);
        for seq in 0..500 {
            assert_eq!(l.admit(addr(ATTACKER, 9), &rtp(1, seq)), Verdict::Foreign);
        }
        assert_eq!(l.peer(), None);
        assert_eq!(l.admit(sdp, &rtp(7, 1)), Verdict::Accept);
        for seq in 500..1000 {
            assert_eq!(l.admit(addr(ATTACKER, 9), &rtp(1, seq)), Verdict::Foreign);
        }
        assert_eq!(l.peer(), Some(sdp));
    }

    #[test]
    fn a_natted_port_of_the_sdp_ip_latches_after_probation() {
        let (sdp, natted) = (addr(PHONE, 4000), addr(PHONE, 61000));
        let mut l = rtp_latch(sdp);
        assert_eq!(l.admit(natted, &rtp(7, 65534)), Verdict::Probation);
        assert_eq!(l.admit(natted, &rtp(7, 65535)), Verdict::Probation);
        // Sequence numbers wrap.
        assert_eq!(l.admit(natted, &rtp(7, 0)), Verdict::Accept);
        assert_eq!(l.peer(), Some(natted));
        // Latched: even the SDP's own address is a stranger now (strict address).
        assert_eq!(l.admit(sdp, &rtp(7, 1)), Verdict::Foreign);
    }

    #[test]
    fn probation_restarts_on_a_gap_a_new_ssrc_or_another_source() {
        let sdp = addr(PHONE, 4000);
        let (n1, n2) = (addr(PHONE, 61000), addr(PHONE, 62000));
        let mut l = rtp_latch(sdp);
        assert_eq!(l.admit(n1, &rtp(7, 10)), Verdict::Probation);
        assert_eq!(l.admit(n1, &rtp(7, 12)), Verdict::Probation); // gap: count 1 again
        assert_eq!(l.admit(n1, &rtp(8, 13)), Verdict::Probation); // new SSRC
        assert_eq!(l.admit(n2, &rtp(8, 14)), Verdict::Probation); // other source
        assert_eq!(l.admit(n1, &rtp(8, 14)), Verdict::Probation);
        assert_eq!(l.admit(n1, &rtp(8, 15)), Verdict::Probation);
        assert_eq!(l.peer(), None);
        assert_eq!(l.admit(n1, &rtp(8, 16)), Verdict::Accept);
        // Invalid packets (RTCP-looking payload type, version 1, short) never count.
        let mut l = rtp_latch(sdp);
        let mut rtcp_like = rtp(7, 1);
        rtcp_like[1] = 200;
        let mut v1 = rtp(7, 2);
        v1[0] = 0x40;
        for bad in [rtcp_like, v1, vec![0x80; 11]] {
            assert_eq!(l.admit(n1, &bad), Verdict::Foreign);
            assert_eq!(l.admit(sdp, &bad), Verdict::Foreign);
        }
    }

    #[test]
    fn strict_address_keeps_the_peer_until_a_new_offer_answer() {
        let sdp = addr(PHONE, 4000);
        let mut l = rtp_latch(sdp);
        assert_eq!(l.admit(sdp, &rtp(7, 1)), Verdict::Accept);
        // The NAT re-maps the port: refused, however well-formed, until a new offer/answer.
        let moved = addr(PHONE, 5000);
        for seq in 2..100 {
            assert_eq!(l.admit(moved, &rtp(7, seq)), Verdict::Foreign);
        }
        // Same SDP again (refresh): the peer stays, and the new port may take over.
        l.expect(Some(sdp));
        assert_eq!(l.peer(), Some(sdp));
        assert_eq!(l.admit(moved, &rtp(7, 100)), Verdict::Probation);
        assert_eq!(l.admit(moved, &rtp(7, 101)), Verdict::Probation);
        assert_eq!(l.admit(moved, &rtp(7, 102)), Verdict::Accept);
        assert_eq!(l.peer(), Some(moved));
        // ... closed again: the old port is a stranger.
        assert_eq!(l.admit(sdp, &rtp(7, 103)), Verdict::Foreign);
        // A refresh after which the latched peer speaks first closes the window.
        l.expect(Some(sdp));
        assert_eq!(l.admit(moved, &rtp(7, 104)), Verdict::Accept);
        assert_eq!(l.admit(sdp, &rtp(7, 105)), Verdict::Foreign);
        // A new address forgets the peer; the new SDP address latches at once.
        let elsewhere = addr([203, 0, 113, 5], 7000);
        l.expect(Some(elsewhere));
        assert_eq!(l.peer(), None);
        assert_eq!(l.admit(moved, &rtp(7, 106)), Verdict::Foreign);
        assert_eq!(l.admit(elsewhere, &rtp(9, 1)), Verdict::Accept);
    }

    #[test]
    fn strict_ip_lets_another_port_of_the_latched_ip_take_over_after_probation() {
        let sdp = addr(PHONE, 4000);
        let mut l = Latch::new(Kind::Rtp, StrictSource::Ip);
        l.expect(Some(sdp));
        assert_eq!(l.admit(sdp, &rtp(7, 1)), Verdict::Accept);
        let moved = addr(PHONE, 5000);
        assert_eq!(l.admit(moved, &rtp(7, 2)), Verdict::Probation);
        assert_eq!(l.admit(sdp, &rtp(7, 3)), Verdict::Accept);
        assert_eq!(l.admit(moved, &rtp(7, 3)), Verdict::Probation);
        assert_eq!(l.admit(moved, &rtp(7, 4)), Verdict::Accept);
        assert_eq!(l.peer(), Some(moved));
        // Other IPs stay out.
        for seq in 0..100 {
            assert_eq!(l.admit(addr(ATTACKER, 9), &rtp(1, seq)), Verdict::Foreign);
        }
        assert_eq!(l.peer(), Some(moved));
    }

    #[test]
    fn a_private_sdp_address_accepts_the_nat_public_source_after_probation() {
        let sdp = addr([192, 168, 1, 20], 4000);
        let public = addr([203, 0, 113, 5], 34000);
        let mut l = rtp_latch(sdp);
        // Another private address (a neighbour on the relay's LAN) is not the phone.
        for seq in 0..10 {
            let v = l.admit(addr([192, 168, 1, 99], 4000), &rtp(1, seq));
            assert_eq!(v, Verdict::Foreign);
        }
        assert_eq!(l.admit(public, &rtp(7, 1)), Verdict::Probation);
        assert_eq!(l.admit(public, &rtp(7, 2)), Verdict::Probation);
        assert_eq!(l.admit(public, &rtp(7, 3)), Verdict::Accept);
        assert_eq!(l.admit(addr(ATTACKER, 9), &rtp(7, 4)), Verdict::Foreign);
        for (ip, private) in [
            ("10.1.2.3", true),
            ("172.31.0.1", true),
            ("100.64.0.1", true),
            ("169.254.1.1", true),
            ("fd00::1", true),
            ("fe80::1", true),
            ("100.128.0.1", false),
            ("8.8.8.8", false),
            ("2001:db8::1", false),
        ] {
            assert_eq!(is_private(ip.parse().unwrap()), private, "{ip}");
        }
    }

    /// A private SDP address whose SIP came straight from a public address: only that
    /// address's IP may latch (after probation, any port: the NAT picks it); another public
    /// source never does, however long it sprays. Unknown signalling keeps the open rule.
    #[test]
    fn a_private_sdp_address_accepts_only_the_ip_its_signalling_came_from() {
        let mut l = rtp_latch(addr([192, 168, 1, 20], 4000));
        l.signalled_from(Some(IpAddr::from([203, 0, 113, 5])));
        let stranger = addr([198, 51, 100, 7], 4000);
        for seq in 0..20 {
            assert_eq!(l.admit(stranger, &rtp(9, seq)), Verdict::Foreign, "{seq}");
        }
        let nat = addr([203, 0, 113, 5], 61000);
        assert_eq!(l.admit(nat, &rtp(7, 1)), Verdict::Probation);
        assert_eq!(l.admit(nat, &rtp(7, 2)), Verdict::Probation);
        assert_eq!(l.admit(nat, &rtp(7, 3)), Verdict::Accept);
        assert_eq!(l.peer(), Some(nat));
        // Without a known signalling address (a proxy in front), any public source may pass
        // probation, as before.
        let mut open = rtp_latch(addr([192, 168, 1, 20], 4000));
        open.signalled_from(None);
        for seq in 1..=3 {
            open.admit(stranger, &rtp(9, seq));
        }
        assert_eq!(open.peer(), Some(stranger));
        // A private signalling address (a LAN phone) says nothing about a NAT: open rule.
        let mut lan = rtp_latch(addr([192, 168, 1, 20], 4000));
        lan.signalled_from(Some(IpAddr::from([192, 168, 1, 20])));
        for seq in 1..=3 {
            lan.admit(stranger, &rtp(9, seq));
        }
        assert_eq!(lan.peer(), Some(stranger));
    }

    #[test]
    fn ipv4_sources_seen_on_a_dual_stack_socket_match_the_sdp() {
        let sdp = addr(PHONE, 4000);
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:4000".parse().unwrap();
        let mut l = rtp_latch(sdp);
        assert_eq!(l.admit(mapped, &rtp(7, 1)), Verdict::Accept);
        assert_eq!(l.peer(), Some(mapped));
        let natted: SocketAddr = "[::ffff:192.0.2.1]:5000".parse().unwrap();
        let mut l = rtp_latch(sdp);
        assert_eq!(l.admit(natted, &rtp(7, 1)), Verdict::Probation);
    }

    #[test]
    fn rtcp_latches_with_the_same_rules_and_is_validated_as_rtcp() {
        let sdp = addr(PHONE, 4001);
        let mut l = Latch::new(Kind::Rtcp, StrictSource::Address);
        l.expect(Some(sdp));
        // RTP on the RTCP port, junk, a bad length, version 1: not RTCP.
        let mut long = rtcp(7);
        long[3] = 9;
        let mut v1 = rtcp(7);
        v1[0] = 0x40;
        for bad in [rtp(7, 1), b"junk-junk".to_vec(), long, v1] {
            assert_eq!(l.admit(sdp, &bad), Verdict::Foreign);
        }
        assert_eq!(l.admit(addr(ATTACKER, 9), &rtcp(7)), Verdict::Foreign);
        let natted = addr(PHONE, 61001);
        assert_eq!(l.admit(natted, &rtcp(7)), Verdict::Probation);
        assert_eq!(l.admit(natted, &rtcp(8)), Verdict::Probation); // another SSRC
        assert_eq!(l.admit(natted, &rtcp(8)), Verdict::Accept);
        assert_eq!(l.admit(sdp, &rtcp(8)), Verdict::Foreign);
        // The exact SDP address latches at once.
        let mut l = Latch::new(Kind::Rtcp, StrictSource::Address);
        l.expect(Some(sdp));
        assert_eq!(l.admit(sdp, &rtcp(7)), Verdict::Accept);
        assert_eq!(rtcp_sender(&rtcp(0x0102_0304)), Some(0x0102_0304));
    }

    #[test]
    fn strict_source_parses_from_the_config_words() {
        assert_eq!("address".parse(), Ok(StrictSource::Address));
        assert_eq!("ip".parse(), Ok(StrictSource::Ip));
        assert!("loose".parse::<StrictSource>().is_err());
        assert_eq!(StrictSource::default(), StrictSource::Address);
    }
}
