//! SIP over TCP: one reader and one writer task per connection, messages framed by Content-Length.
//!
//! Bounded (docs/security.md, "Limits"): at most `max_connections` connections and
//! `max_per_address` from one IP address (more are accepted and closed at once, so they do not
//! sit in the backlog); a message must arrive whole within `message_timeout` of its first byte
//! (a half-sent body would otherwise hold up to 1 MiB for as long as the sender liked); and a
//! connection that sends nothing for `idle_timeout` is closed (RFC 5626 CRLF keep-alives count
//! as something).

use crate::config::limits::TcpLimits;
use crate::driver::sip::Inbound;
use bytes::Bytes;
use sip::Peer;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub async fn accept_loop(
    listener: TcpListener,
    inbound: mpsc::Sender<Inbound>,
    limits: TcpLimits,
    shutdown: CancellationToken,
) {
    let slots = Slots::new(limits);
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, addr)) => {
                let Some(slot) = slots.take(addr.ip()) else {
                    tracing::info!(%addr, "TCP connection refused: too many connections");
                    drop(stream);
                    continue;
                };
                let inbound = inbound.clone();
                let shutdown = shutdown.clone();
                tokio::spawn(async move {
                    connection(stream, addr, inbound, limits, shutdown).await;
                    drop(slot);
                });
            }
            Err(e) => {
                // Out of descriptors (EMFILE) or similar: back off instead of spinning.
                tracing::warn!(error = %e, "TCP accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// Open a connection to a peer we have none with, then send `first` on it. It keeps the
/// message and idle timeouts of accepted connections (it takes no slot of their caps: the
/// switch opens connections only for its own calls).
pub async fn connect_and_send(
    addr: SocketAddr,
    first: Bytes,
    inbound: mpsc::Sender<Inbound>,
    limits: TcpLimits,
) {
    match TcpStream::connect(addr).await {
        Ok(stream) => {
            let (writer_tx, writer_rx) = mpsc::channel(256);
            let _ = writer_tx.try_send(first);
            run(
                stream,
                addr,
                inbound,
                limits,
                CancellationToken::new(),
                writer_tx,
                writer_rx,
            )
            .await;
        }
        Err(e) => tracing::info!(%addr, error = %e, "TCP connect failed"),
    }
}

/// Connection counts, in all and per IP address; a [`Slot`] gives its place back when dropped.
#[derive(Clone)]
struct Slots {
    limits: TcpLimits,
    counts: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

struct Slot {
    ip: IpAddr,
    counts: Arc<Mutex<Counts>>,
}

impl Slots {
    fn new(limits: TcpLimits) -> Slots {
        Slots {
            limits,
            counts: Arc::default(),
        }
    }

    /// A place for a connection from `ip`, if both caps allow it.
    fn take(&self, ip: IpAddr) -> Option<Slot> {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let from_ip = c.per_address.get(&ip).copied().unwrap_or(0);
        if c.total >= self.limits.max_connections || from_ip >= self.limits.max_per_address {
            return None;
        }
        c.total += 1;
        c.per_address.insert(ip, from_ip + 1);
        Some(Slot {
            ip,
            counts: self.counts.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.per_address.remove(&self.ip);
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    addr: SocketAddr,
    inbound: mpsc::Sender<Inbound>,
    limits: TcpLimits,
    shutdown: CancellationToken,
) {
    let (writer_tx, writer_rx) = mpsc::channel(256);
    run(
        stream, addr, inbound, limits, shutdown, writer_tx, writer_rx,
    )
    .await;
}

async fn run(
    stream: TcpStream,
    addr: SocketAddr,
    inbound: mpsc::Sender<Inbound>,
    limits: TcpLimits,
    shutdown: CancellationToken,
    writer_tx: mpsc::Sender<Bytes>,
    mut writer_rx: mpsc::Receiver<Bytes>,
) {
    let _ = stream.set_nodelay(true);
    let (mut read, mut write) = stream.into_split();
    // Pongs to keep-alive pings go straight out; dropped before the writer is drained.
    let pong = writer_tx.clone();
    if inbound
        .send(Inbound::TcpUp {
            addr,
            writer: writer_tx,
        })
        .await
        .is_err()
    {
        return;
    }
    let writer = tokio::spawn(async move {
        while let Some(bytes) = writer_rx.recv().await {
            if write.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    let mut framer = sip::framing::StreamFramer::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut last_read = Instant::now();
    // When the first byte of the message still incomplete arrived.
    let mut partial_since: Option<Instant> = None;
    'conn: loop {
        let idle_at = last_read + limits.idle_timeout;
        let deadline = partial_since.map_or(idle_at, |t| idle_at.min(t + limits.message_timeout));
        let n = tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep_until(deadline) => {
                let why = if partial_since.is_some() { "incomplete message" } else { "idle" };
                tracing::info!(%addr, reason = why, "closing TCP connection: timed out");
                break;
            }
            r = read.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
        };
        last_read = Instant::now();
        framer.push(&buf[..n]);
        loop {
            match framer.next_message() {
                Ok(Some(bytes)) => {
                    partial_since = None;
                    if inbound
                        .send(crate::driver::sip::parsed(Peer::tcp(addr), &bytes))
                        .await
                        .is_err()
                    {
                        break 'conn;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::info!(%addr, error = %e, "closing TCP connection: bad framing");
                    break 'conn;
                }
            }
        }
        for _ in 0..framer.take_pings() {
            // RFC 5626 §4.4.1: a CRLF pong for each double-CRLF ping. A full queue means the
            // peer reads nothing; its next ping will be answered, or the idle timeout ends it.
            let _ = pong.try_send(Bytes::from_static(b"\r\n"));
        }
        if framer.buffered() == 0 {
            partial_since = None;
        } else {
            partial_since.get_or_insert(last_read);
        }
    }
    // The driver drops its sender once it has flushed the answers to this connection's last
    // messages; the writer sends them and ends. Bounded, in case the peer stops reading.
    drop(pong);
    let _ = inbound.send(Inbound::TcpDown { addr }).await;
    let abort = writer.abort_handle();
    if tokio::time::timeout(WRITER_DRAIN, writer).await.is_err() {
        abort.abort();
    }
}

/// How long a closing connection's writer may take to send what was already answered.
const WRITER_DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Duration;

    fn limits() -> TcpLimits {
        TcpLimits {
            max_connections: 4,
            max_per_address: 2,
            message_timeout: Duration::from_millis(300),
            idle_timeout: Duration::from_millis(600),
        }
    }

    /// A listener on a free loopback port running `accept_loop`; inbound messages are kept.
    async fn server(limits: TcpLimits) -> (SocketAddr, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, mut rx) = mpsc::channel(64);
        // Like the driver: each connection's writer is held while it is up and dropped at its
        // close, which lets the writer end.
        tokio::spawn(async move {
            let mut writers = std::collections::HashMap::new();
            while let Some(m) = rx.recv().await {
                match m {
                    Inbound::TcpUp { addr, writer } => {
                        writers.insert(addr, writer);
                    }
                    Inbound::TcpDown { addr } => {
                        writers.remove(&addr);
                    }
                    _ => {}
                }
            }
        });
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(listener, tx, limits, stop.clone()));
        (addr, stop)
    }

    /// How long until the server closes `s` (None: still open after `within`).
    pub(crate) async fn closed_after(s: &mut TcpStream, within: Duration) -> Option<Duration> {
        let start = Instant::now();
        let mut b = [0u8; 512];
        loop {
            match tokio::time::timeout_at(start + within, s.read(&mut b)).await {
                Err(_) => return None,
                Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Guards against 100 half-sent 1 MiB bodies holding 243 MB for as long as the sender liked.
    #[tokio::test]
    async fn an_incomplete_message_is_closed_after_the_message_timeout() {
        let (addr, stop) = server(limits()).await;
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 1000000\r\n\r\nxx")
            .await
            .expect("write");
        // Trickling bytes is activity, but does not extend the message's deadline.
        for _ in 0..2 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            s.write_all(b"x").await.expect("write");
        }
        let t = closed_after(&mut s, Duration::from_secs(3)).await;
        assert!(t.is_some_and(|t| t < Duration::from_millis(600)), "{t:?}");
        stop.cancel();
    }

    /// RFC 5626 §4.4.1: each double-CRLF ping gets a CRLF pong, also when split across writes.
    #[tokio::test]
    async fn each_ping_gets_a_pong() {
        let (addr, stop) = server(limits()).await;
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"\r\n\r\n\r\n").await.expect("ping");
        tokio::time::sleep(Duration::from_millis(50)).await;
        s.write_all(b"\r\n").await.expect("ping, second half");
        let mut got = Vec::new();
        let mut b = [0u8; 16];
        while got.len() < 4 {
            match tokio::time::timeout(Duration::from_secs(2), s.read(&mut b)).await {
                Ok(Ok(n)) if n > 0 => got.extend_from_slice(&b[..n]),
                other => panic!("no pong: {other:?} after {got:?}"),
            }
        }
        assert_eq!(got, b"\r\n\r\n");
        // Nothing more: two pings, two pongs.
        let extra = tokio::time::timeout(Duration::from_millis(200), s.read(&mut b)).await;
        assert!(extra.is_err(), "unexpected bytes: {extra:?}");
        stop.cancel();
    }

    #[tokio::test]
    async fn keep_alives_hold_a_connection_and_silence_closes_it() {
        let (addr, stop) = server(limits()).await;
        let mut s = TcpStream::connect(addr).await.expect("connect");
        // 1.2 s of CRLF keep-alives, twice the idle timeout: still open.
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            s.write_all(b"\r\n\r\n").await.expect("keep-alive");
        }
        assert_eq!(closed_after(&mut s, Duration::from_millis(100)).await, None);
        // Then silence: closed after the idle timeout.
        let t = closed_after(&mut s, Duration::from_secs(3)).await;
        assert!(t.is_some_and(|t| t < Duration::from_millis(1200)), "{t:?}");
        stop.cancel();
    }

    #[tokio::test]
    async fn connections_are_capped_per_address_and_in_all() {
        let lim = TcpLimits {
            idle_timeout: Duration::from_secs(30),
            ..limits()
        };
        let (addr, stop) = server(lim).await;
        let quick = Duration::from_millis(300);
        // Two from 127.0.0.1 stay open, the third is closed at once.
        let mut a = TcpStream::connect(addr).await.expect("connect");
        let mut b = TcpStream::connect(addr).await.expect("connect");
        let mut c = TcpStream::connect(addr).await.expect("connect");
        assert!(closed_after(&mut c, quick).await.is_some(), "third refused");
        assert_eq!(closed_after(&mut a, quick).await, None);
        assert_eq!(closed_after(&mut b, quick).await, None);
        // Once one closes, its place is free again.
        drop(a);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut d = TcpStream::connect(addr).await.expect("connect");
        assert_eq!(closed_after(&mut d, quick).await, None);
        stop.cancel();

        // The total cap counts every address.
        let slots = Slots::new(limits());
        let ips: Vec<IpAddr> = (1..=5).map(|i| IpAddr::from([10, 0, 0, i])).collect();
        let held: Vec<Slot> = ips[..4].iter().filter_map(|ip| slots.take(*ip)).collect();
        assert_eq!(held.len(), 4);
        assert!(slots.take(ips[4]).is_none(), "total cap");
        drop(held);
        assert!(slots.take(ips[4]).is_some());
    }
}
