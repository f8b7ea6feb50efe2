//! Where a message came from or goes to. The driver owns the sockets; the cores only name peers.

use bytes::Bytes;
use std::fmt;
use std::net::SocketAddr;

/// The transport a message travels on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    /// Messages between the switch core and a gateway inside the same process (the web
    /// calls' gateway): never read from or written to a socket, so a peer on this transport
    /// is one of ours and nothing on the network can claim to be one. Delivered whole and in
    /// order, like TCP: no retransmissions.
    Internal,
}

impl Transport {
    /// The token used in a Via header (`SIP/2.0/UDP`).
    pub fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            // Never on a wire; parsers know the reliable transports' tokens, and TCP is what
            // it behaves like.
            Transport::Internal => "TCP",
        }
    }

    /// Unreliable transports need retransmission timers (A, E, G); reliable ones do not.
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Tcp | Transport::Internal)
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Internal => f.write_str("INTERNAL"),
            _ => f.write_str(self.via_token()),
        }
    }
}

/// A remote SIP endpoint as seen on the wire: transport plus source/destination address.
/// Responses go back to the peer a request came from (symmetric response routing, RFC 3581).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Peer {
    pub transport: Transport,
    pub addr: SocketAddr,
}

impl Peer {
    pub fn udp(addr: SocketAddr) -> Self {
        Peer {
            transport: Transport::Udp,
            addr,
        }
    }
    pub fn tcp(addr: SocketAddr) -> Self {
        Peer {
            transport: Transport::Tcp,
            addr,
        }
    }
    /// A gateway inside the process; `addr` only tells its calls apart (see
    /// [`Transport::Internal`]).
    pub fn internal(addr: SocketAddr) -> Self {
        Peer {
            transport: Transport::Internal,
            addr,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transport, self.addr)
    }
}

/// Bytes the driver must put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub to: Peer,
    pub bytes: Bytes,
}
