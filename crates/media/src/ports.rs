//! The RTP port range: hands out (even RTP, odd RTCP) port pairs with bound sockets, and takes
//! them back when the lease is dropped. Only touched at call setup and teardown, so a mutex is
//! fine here; the packet path never sees it.
//!
//! Pairs are picked at random among the free ones, so a call's ports cannot be guessed from the
//! previous call's (docs/security.md, "Media"); in a range much larger than the calls in it, a
//! just-freed pair also stays idle for a while, so late packets of one call rarely reach the
//! next.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::MediaError;

#[derive(Debug)]
struct PoolState {
    in_use: Vec<bool>,
    used: usize,
    /// Draws so far: the input of the next random number.
    draws: u64,
}

#[derive(Debug)]
pub(crate) struct PortPool {
    bind_ip: IpAddr,
    min: u16,
    max: u16,
    state: Mutex<PoolState>,
    /// Keyed from the OS's randomness once per process (SipHash): unpredictable draws without
    /// another dependency.
    random: RandomState,
}

/// Ownership of one pair; dropping it returns the pair to the pool.
#[derive(Debug)]
pub(crate) struct PairLease {
    pool: Arc<PortPool>,
    index: usize,
}

/// A bound RTP socket (even port) and RTCP socket (port + 1), non-blocking.
#[derive(Debug)]
pub(crate) struct BoundPair {
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    pub rtp_port: u16,
    pub lease: PairLease,
}

impl PortPool {
    /// `min` must be even and the range must hold at least two pairs (one call).
    pub fn new(bind_ip: IpAddr, min: u16, max: u16) -> Result<Arc<Self>, MediaError> {
        let bad = |reason| Err(MediaError::BadPortRange { min, max, reason });
        if min == 0 {
            return bad("port 0 is not a port");
        }
        if min & 1 == 1 {
            return bad("the first port must be even (RTP even, RTCP odd)");
        }
        if max < min || u32::from(max) - u32::from(min) + 1 < 4 {
            return bad("the range must hold at least 4 ports (two RTP/RTCP pairs)");
        }
        // Ports min..=max hold this many whole (RTP, RTCP) pairs.
        let pairs = usize::from(max - min).div_ceil(2);
        Ok(Arc::new(Self {
            bind_ip,
            min,
            max,
            state: Mutex::new(PoolState {
                in_use: vec![false; pairs],
                used: 0,
                draws: 0,
            }),
            random: RandomState::new(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // The state stays consistent even if a holder panicked: every update is one assignment.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of ports (RTP and RTCP) currently leased.
    pub fn ports_in_use(&self) -> usize {
        self.lock().used * 2
    }

    /// Bind a free pair picked at random, skipping ports the OS refuses (taken by another
    /// process). The search starts at a random pair and walks on from there, so a call costs one
    /// draw and, while the range is mostly free, a step or two: no scan of the whole range.
    pub fn bind_pair(self: &Arc<Self>) -> Result<BoundPair, MediaError> {
        let mut state = self.lock();
        let pairs = state.in_use.len();
        state.draws += 1;
        let draw = self.random.hash_one(state.draws);
        // Uniform enough: the range holds at most 32768 pairs, far below 2^64.
        let start = (draw % pairs.max(1) as u64) as usize;
        for step in 0..pairs {
            let index = (start + step) % pairs;
            if state.in_use.get(index).copied().unwrap_or(true) {
                continue;
            }
            // The range was validated to fit in u16, so the index maps back into it.
            let rtp_port = self.min + 2 * index as u16;
            match self.bind_both(rtp_port) {
                Ok((rtp, rtcp)) => {
                    if let Some(slot) = state.in_use.get_mut(index) {
                        *slot = true;
                    }
                    state.used += 1;
                    return Ok(BoundPair {
                        rtp,
                        rtcp,
                        rtp_port,
                        lease: PairLease {
                            pool: Arc::clone(self),
                            index,
                        },
                    });
                }
                Err(e) if is_port_taken(&e) => continue,
                Err(e) => return Err(MediaError::Io(e)),
            }
        }
        Err(MediaError::PortsExhausted {
            min: self.min,
            max: self.max,
        })
    }

    fn bind_both(&self, rtp_port: u16) -> io::Result<(UdpSocket, UdpSocket)> {
        let rtp = UdpSocket::bind(SocketAddr::new(self.bind_ip, rtp_port))?;
        let rtcp = UdpSocket::bind(SocketAddr::new(self.bind_ip, rtp_port + 1))?;
        rtp.set_nonblocking(true)?;
        rtcp.set_nonblocking(true)?;
        Ok((rtp, rtcp))
    }

    fn release(&self, index: usize) {
        let mut state = self.lock();
        if let Some(slot) = state.in_use.get_mut(index) {
            if *slot {
                *slot = false;
                state.used -= 1;
            }
        }
    }
}

fn is_port_taken(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
    )
}

impl Drop for PairLease {
    fn drop(&mut self) {
        self.pool.release(self.index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn validates_range() {
        assert!(PortPool::new(LO, 40001, 40010).is_err());
        assert!(PortPool::new(LO, 40000, 40002).is_err());
        assert!(PortPool::new(LO, 40010, 40000).is_err());
        assert!(PortPool::new(LO, 0, 40000).is_err());
        assert!(PortPool::new(LO, 40000, 40003).is_ok());
        assert!(PortPool::new(LO, 65532, 65535).is_ok());
    }

    #[test]
    fn skips_ports_taken_by_others_and_exhausts() {
        // Find a free 6-port window; another process (here: a stray socket) holds its first pair.
        let (min, _blocker) = (20000u16..60000)
            .step_by(6)
            .find_map(|p| {
                let blocker = UdpSocket::bind((LO, p)).ok()?;
                for q in p + 1..p + 6 {
                    UdpSocket::bind((LO, q)).ok()?;
                }
                Some((p, blocker))
            })
            .unwrap();
        let pool = PortPool::new(LO, min, min + 5).unwrap();
        let a = pool.bind_pair().unwrap();
        let b = pool.bind_pair().unwrap();
        let mut got = [a.rtp_port, b.rtp_port];
        got.sort_unstable();
        assert_eq!(got, [min + 2, min + 4]);
        assert_eq!(
            a.rtcp.local_addr().unwrap().port(),
            a.rtp_port + 1,
            "RTCP next to RTP"
        );
        assert_eq!(pool.ports_in_use(), 4);
        assert!(matches!(
            pool.bind_pair(),
            Err(MediaError::PortsExhausted { .. })
        ));
        let freed = a.rtp_port;
        drop(a);
        assert_eq!(pool.ports_in_use(), 2);
        assert_eq!(pool.bind_pair().unwrap().rtp_port, freed);
    }

    /// Regression: ports were handed out in sequence, so the next call's ports were known.
    #[test]
    fn pairs_are_picked_at_random_from_the_range() {
        let (min, max) = (20000u16..60000)
            .step_by(400)
            .map(|p| (p, p + 399))
            .find(|&(p, q)| (p..=q).all(|port| UdpSocket::bind((LO, port)).is_ok()))
            .unwrap();
        let pool = PortPool::new(LO, min, max).unwrap();
        let mut leases = Vec::new();
        let mut ports = Vec::new();
        for _ in 0..20 {
            let pair = pool.bind_pair().unwrap();
            ports.push(pair.rtp_port);
            leases.push(pair);
        }
        assert!(ports.iter().all(|p| (min..max).contains(p) && p % 2 == 0));
        let ascending = ports.windows(2).filter(|w| w[1] == w[0] + 2).count();
        // In sequence, all 19 steps would be +2; at random (200 pairs), almost none are.
        assert!(ascending < 5, "{ports:?}");
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 20);
    }
}
