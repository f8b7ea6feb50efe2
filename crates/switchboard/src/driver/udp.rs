//! SIP over UDP: one reader task per socket, parsing each datagram on its own task before it
//! goes to the driver (sends go out from the driver, `sip::Driver::send`).

use crate::driver::sip::{parsed, Inbound};
use sip::Peer;
use std::sync::Arc;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Largest UDP datagram we accept (bigger ones are cut by the kernel anyway).
const MAX_DATAGRAM: usize = 65_535;

pub async fn reader(
    socket: Arc<UdpSocket>,
    inbound: mpsc::Sender<Inbound>,
    shutdown: CancellationToken,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let received = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = socket.recv_from(&mut buf) => r,
        };
        match received {
            Ok((n, from)) => {
                let msg = parsed(Peer::udp(from), &buf[..n]);
                if inbound.send(msg).await.is_err() {
                    return;
                }
            }
            // ICMP port unreachable from a previous send surfaces here on Linux; keep going.
            Err(e) => tracing::debug!(error = %e, "UDP receive error"),
        }
    }
}
