//! Symmetric latching (a.k.a. "comedia"), the rule that lets phones behind NAT get their media
//! back while refusing RTP injection. Pure: the caller passes the time.
//!
//! Rule: the first packet on a socket latches its source; afterwards only that source is
//! accepted. Another source takes over only once the latched one has been silent for
//! [`RELATCH_AFTER`] (a phone whose NAT binding changed, or that re-registered from a new
//! network); an attacker racing a live stream never gets in. A new SDP address for the side
//! (re-INVITE) clears the latch.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Silence from the latched source after which another source may take over.
pub const RELATCH_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Latch {
    peer: Option<(SocketAddr, Instant)>,
}

impl Latch {
    /// Whether a packet from `from` is accepted; latches or re-latches as the rule says.
    #[inline]
    pub fn admit(&mut self, from: SocketAddr, now: Instant) -> bool {
        match &mut self.peer {
            Some((peer, last)) if *peer == from => {
                *last = now;
                true
            }
            Some((_, last)) if now.saturating_duration_since(*last) < RELATCH_AFTER => false,
            _ => {
                self.peer = Some((from, now));
                true
            }
        }
    }

    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer.map(|(addr, _)| addr)
    }

    pub fn reset(&mut self) {
        self.peer = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    #[test]
    fn first_packet_latches_and_others_are_refused_while_it_talks() {
        let t0 = Instant::now();
        let mut latch = Latch::default();
        assert_eq!(latch.peer(), None);
        assert!(latch.admit(addr(1000), t0));
        assert_eq!(latch.peer(), Some(addr(1000)));
        assert!(!latch.admit(addr(2000), t0 + Duration::from_millis(10)));
        // The latched source keeps talking: the injector stays out even after 2 s in total.
        for ms in (100..5000).step_by(100) {
            let now = t0 + Duration::from_millis(ms);
            assert!(latch.admit(addr(1000), now));
            assert!(!latch.admit(addr(2000), now));
        }
        assert_eq!(latch.peer(), Some(addr(1000)));
    }

    #[test]
    fn relatches_after_silence_and_after_reset() {
        let t0 = Instant::now();
        let mut latch = Latch::default();
        assert!(latch.admit(addr(1000), t0));
        assert!(!latch.admit(addr(3000), t0 + RELATCH_AFTER - Duration::from_millis(1)));
        assert!(latch.admit(addr(3000), t0 + RELATCH_AFTER));
        assert_eq!(latch.peer(), Some(addr(3000)));
        // The old address is now the stranger.
        assert!(!latch.admit(addr(1000), t0 + RELATCH_AFTER));
        latch.reset();
        assert!(latch.admit(addr(1000), t0 + RELATCH_AFTER));
        assert_eq!(latch.peer(), Some(addr(1000)));
    }
}
