//! Rewriting a parsed SDP so that the other leg sends its media to the relay.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{LineKind, SessionDescription};

fn addrtype(addr: IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

fn unspecified_like(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

pub(super) fn rewrite_for_relay(sdp: &SessionDescription, addr: IpAddr, port: u16) -> String {
    let audio = sdp.first_audio_index();
    let mut out = String::with_capacity(sdp.lines.iter().map(|l| l.text.len() + 2).sum());
    // Writing to a String cannot fail, so the fmt::Results below are ignored on purpose.
    for line in &sdp.lines {
        match line.kind {
            LineKind::Origin => {
                let o = &sdp.origin;
                let _ = write!(
                    out,
                    "o={} {} {} IN {} {}",
                    o.username,
                    o.session_id,
                    o.session_version,
                    addrtype(addr),
                    addr
                );
            }
            LineKind::Connection => {
                let on_hold = connection_is_unspecified(&line.text);
                let shown = if on_hold {
                    unspecified_like(addr)
                } else {
                    addr
                };
                let _ = write!(out, "c=IN {} {}", addrtype(addr), shown);
            }
            LineKind::Media(i) => {
                let Some(m) = sdp.media.get(i) else {
                    continue;
                };
                let new_port = if Some(i) == audio && m.port != 0 {
                    port
                } else {
                    0
                };
                let _ = write!(out, "m={} {} {}", m.media, new_port, m.proto);
                for f in &m.formats {
                    let _ = write!(out, " {f}");
                }
            }
            LineKind::Rtcp(i) if Some(i) == audio => {
                let rtcp_port = port.wrapping_add(1);
                let had_address = (sdp.media.get(i))
                    .and_then(|m| m.rtcp)
                    .is_some_and(|r| r.address.is_some());
                if had_address {
                    let _ = write!(out, "a=rtcp:{rtcp_port} IN {} {}", addrtype(addr), addr);
                } else {
                    let _ = write!(out, "a=rtcp:{rtcp_port}");
                }
            }
            LineKind::Ice => continue,
            LineKind::Rtcp(_) | LineKind::Other => out.push_str(&line.text),
        }
        out.push_str("\r\n");
    }
    out
}

/// Whether a `c=` source line carries the unspecified address (RFC 2543 hold).
fn connection_is_unspecified(text: &str) -> bool {
    text.split_whitespace()
        .nth(2)
        .and_then(|a| a.split('/').next())
        .and_then(|a| a.parse::<IpAddr>().ok())
        .is_some_and(|ip| ip.is_unspecified())
}
