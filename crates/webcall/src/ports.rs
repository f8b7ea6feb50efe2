//! Picks the leg's WebRTC port from the configured range.
//!
//! webrtc 0.21.1 binds its sockets itself, inside its driver task, from the addresses it is
//! given (its own port-range setting is not implemented), so the leg chooses a concrete port:
//! it probes ports from a random starting point and hands over the first it could bind. Between
//! the probe and the driver's bind another process could take the port; the leg then finds no
//! candidate on that port in its answer and refuses the call, which is rare and harmless.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;

use crate::WebCallError;

/// A port of `range` that `ip` could bind just now.
pub(crate) fn free_port(ip: IpAddr, range: &RangeInclusive<u16>) -> Result<u16, WebCallError> {
    let (min, max) = (*range.start(), *range.end());
    let span = u32::from(max) - u32::from(min) + 1;
    // A random start: a leg's port cannot be guessed from the previous leg's.
    let start = (RandomState::new().hash_one(ip) % u64::from(span)) as u32;
    for step in 0..span {
        let offset = (start + step) % span;
        let Ok(port) = u16::try_from(u32::from(min) + offset) else {
            continue;
        };
        if UdpSocket::bind(SocketAddr::new(ip, port)).is_ok() {
            return Ok(port);
        }
    }
    Err(WebCallError::NoPort { ip, min, max })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn a_free_port_is_in_the_range_and_a_full_range_is_refused() {
        // A one-port range we hold ourselves is full; released, it is found.
        let held = UdpSocket::bind((LO, 0)).expect("bind");
        let port = held.local_addr().expect("addr").port();
        let err = free_port(LO, &(port..=port)).expect_err("taken");
        assert!(matches!(err, WebCallError::NoPort { min, max, .. } if min == port && max == port));
        drop(held);
        assert_eq!(free_port(LO, &(port..=port)).expect("free"), port);
        let wide = 42000..=42100;
        assert!(wide.contains(&free_port(LO, &wide).expect("some port")));
    }
}
