//! The RTP port range: hands out (even RTP, odd RTCP) port pairs with bound sockets, and takes
//! them back when the lease is dropped. Only touched at call setup and teardown, so a mutex is
//! fine here; the packet path never sees it.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::MediaError;

#[derive(Debug)]
struct PoolState {
    in_use: Vec<bool>,
    used: usize,
    /// Where the next search starts: rotating through the range keeps a just-freed port idle for
    /// a while, so late packets of the previous call do not land in the next one.
    next: usize,
}

#[derive(Debug)]
pub(crate) struct PortPool {
    bind_ip: IpAddr,
    min: u16,
    max: u16,
    state: Mutex<PoolState>,
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
                next: 0,
            }),
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

    /// Bind the next free pair, skipping ports the OS refuses (taken by another process).
    pub fn bind_pair(self: &Arc<Self>) -> Result<BoundPair, MediaError> {
        let mut state = self.lock();
        let pairs = state.in_use.len();
        for k in 0..pairs {
            let index = (state.next + k) % pairs;
            if state.in_use[index] {
                continue;
            }
            // The range was validated to fit in u16, so the index maps back into it.
            let rtp_port = self.min + 2 * index as u16;
            match self.bind_both(rtp_port) {
                Ok((rtp, rtcp)) => {
                    state.in_use[index] = true;
                    state.used += 1;
                    state.next = (index + 1) % pairs;
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
        assert_eq!(a.rtp_port, min + 2);
        assert_eq!(a.rtcp.local_addr().unwrap().port(), min + 3);
        let b = pool.bind_pair().unwrap();
        assert_eq!(b.rtp_port, min + 4);
        assert_eq!(pool.ports_in_use(), 4);
        assert!(matches!(
            pool.bind_pair(),
            Err(MediaError::PortsExhausted { .. })
        ));
        drop(a);
        assert_eq!(pool.ports_in_use(), 2);
        assert_eq!(pool.bind_pair().unwrap().rtp_port, min + 2);
    }
}
