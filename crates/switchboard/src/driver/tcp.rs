//! SIP over TCP: one reader and one writer task per connection, messages framed by Content-Length.

use crate::driver::sip::Inbound;
use bytes::Bytes;
use sip::Peer;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

/// At most this many TCP connections at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 10_000;

pub async fn accept_loop(
    listener: TcpListener,
    inbound: mpsc::Sender<Inbound>,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, addr)) => {
                let inbound = inbound.clone();
                let shutdown = shutdown.clone();
                tokio::spawn(async move {
                    connection(stream, addr, inbound, shutdown).await;
                    drop(permit);
                });
            }
            Err(e) => tracing::warn!(error = %e, "TCP accept failed"),
        }
    }
}

/// Open a connection to a peer we have none with, then send `first` on it.
pub async fn connect_and_send(addr: SocketAddr, first: Bytes, inbound: mpsc::Sender<Inbound>) {
    match TcpStream::connect(addr).await {
        Ok(stream) => {
            let (writer_tx, writer_rx) = mpsc::channel(256);
            let _ = writer_tx.try_send(first);
            run(
                stream,
                addr,
                inbound,
                CancellationToken::new(),
                writer_tx,
                writer_rx,
            )
            .await;
        }
        Err(e) => tracing::info!(%addr, error = %e, "TCP connect failed"),
    }
}

async fn connection(
    stream: TcpStream,
    addr: SocketAddr,
    inbound: mpsc::Sender<Inbound>,
    shutdown: CancellationToken,
) {
    let (writer_tx, writer_rx) = mpsc::channel(256);
    run(stream, addr, inbound, shutdown, writer_tx, writer_rx).await;
}

async fn run(
    stream: TcpStream,
    addr: SocketAddr,
    inbound: mpsc::Sender<Inbound>,
    shutdown: CancellationToken,
    writer_tx: mpsc::Sender<Bytes>,
    mut writer_rx: mpsc::Receiver<Bytes>,
) {
    let _ = stream.set_nodelay(true);
    let (mut read, mut write) = stream.into_split();
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
    'conn: loop {
        let n = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = read.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
        };
        framer.push(&buf[..n]);
        loop {
            match framer.next_message() {
                Ok(Some(bytes)) => {
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
    }
    let _ = inbound.send(Inbound::TcpDown { addr }).await;
    writer.abort();
}
