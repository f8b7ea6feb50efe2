//! The HTTP server loop, bounded (docs/security.md, "Limits"): at most `max_connections`
//! connections at once (more wait in the kernel's backlog, holding none of our descriptors);
//! a request's headers must arrive within `header_timeout`, which is also how long a kept-alive
//! connection may wait for its next request (hyper starts the timer whenever it waits for a
//! request head); and a connection that moves no byte either way for `idle_timeout` (a body
//! sent in a trickle that stops, a client that stops reading) is closed. Server-sent event
//! streams write a keep-alive every 15 s, so they stay open.

use crate::config::limits::HttpLimits;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How long a connection may take to finish its request once the server is stopping.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serve `router` on `listener` until `shutdown`, then let connections finish their requests
/// (bounded by [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let connections = tokio_util::task::TaskTracker::new();
    loop {
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            a = listener.accept() => a,
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors (EMFILE) or similar: back off instead of spinning.
                tracing::warn!(error = %e, "HTTP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let router = router.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            connection(stream, addr, router, limits, shutdown).await;
            drop(permit);
        });
    }
    connections.close();
    connections.wait().await;
}

async fn connection(
    stream: TcpStream,
    addr: SocketAddr,
    router: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
) {
    // Small writes go at once: a WebSocket's events (a web call's `ringing`, the browser
    // phone's `incoming`) otherwise wait for the peer's delayed ACK of the previous one, 40 ms
    // on Linux (docs/benchmarks.md, "Click to ringing").
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
        req.extensions_mut().insert(ConnectInfo(addr));
        router.clone().oneshot(req)
    });
    let io = TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(io, service)
        // Web calls' WebSockets (`http/web.rs`).
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            match tokio::time::timeout(SHUTDOWN_GRACE, conn.as_mut()).await {
                Ok(r) => r,
                Err(_) => return,
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(%addr, error = %e, "HTTP connection ended");
    }
}

/// A stream that fails with `TimedOut` once no byte has moved either way for `timeout`.
struct IdleTimeout {
    inner: TcpStream,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl IdleTimeout {
    fn new(inner: TcpStream, timeout: Duration) -> Self {
        IdleTimeout {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn moved(&mut self) {
        let at = Instant::now() + self.timeout;
        self.deadline.as_mut().reset(at);
    }

    /// A write's outcome: bytes written are activity; a blocked write past the deadline fails.
    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match r {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    /// Called when the inner stream is not ready: has the connection been idle too long?
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "HTTP connection idle")
}

impl AsyncRead for IdleTimeout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }
}

impl AsyncWrite for IdleTimeout {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, data);
        this.after_write(cx, r)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_write(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::tcp::tests::closed_after;
    use axum::routing::{get, post};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn limits() -> HttpLimits {
        HttpLimits {
            max_connections: 2,
            header_timeout: Duration::from_millis(400),
            idle_timeout: Duration::from_millis(400),
            password_checks: 1,
        }
    }

    async fn server(limits: HttpLimits) -> (SocketAddr, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = Router::new()
            .route(
                "/who",
                get(|ConnectInfo(a): ConnectInfo<SocketAddr>| async move { a.to_string() }),
            )
            .route(
                "/upload",
                post(|body: String| async move { body.len().to_string() }),
            );
        let stop = CancellationToken::new();
        tokio::spawn(serve(listener, router, limits, stop.clone()));
        (addr, stop)
    }

    async fn get_who(s: &mut TcpStream) -> String {
        s.write_all(b"GET /who HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut b = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(3), s.read(&mut b))
            .await
            .expect("answered in time")
            .expect("read");
        String::from_utf8_lossy(&b[..n]).into()
    }

    /// Guards against idle or slow connections held for ever (140 of them starved the relay of
    /// descriptors).
    #[tokio::test]
    async fn slow_headers_and_idle_connections_are_closed() {
        let (addr, stop) = server(limits()).await;
        // Headers trickled and never finished: closed after the header timeout.
        let mut slow = TcpStream::connect(addr).await.expect("connect");
        slow.write_all(b"GET /who HTTP/1.1\r\n")
            .await
            .expect("write");
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = slow.write_all(b"X-A: b\r\n").await;
        }
        let closed = closed_after(&mut slow, Duration::from_secs(3)).await;
        assert!(
            closed.is_some_and(|t| t < Duration::from_millis(800)),
            "{closed:?}"
        );

        // A served connection kept alive and then left idle is closed too.
        let mut kept = TcpStream::connect(addr).await.expect("connect");
        let answer = get_who(&mut kept).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            answer.contains("127.0.0.1:"),
            "ConnectInfo reaches handlers"
        );
        assert!(closed_after(&mut kept, Duration::from_secs(3))
            .await
            .is_some());

        // A body that stops half-way: closed after the idle timeout.
        let mut stalled = TcpStream::connect(addr).await.expect("connect");
        stalled
            .write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
            .await
            .expect("write");
        let closed = closed_after(&mut stalled, Duration::from_secs(3)).await;
        assert!(
            closed.is_some_and(|t| t < Duration::from_millis(1200)),
            "{closed:?}"
        );
        stop.cancel();
    }

    #[tokio::test]
    async fn connections_past_the_cap_wait_for_a_free_place() {
        let lim = HttpLimits {
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            ..limits()
        };
        let (addr, stop) = server(lim).await;
        let mut a = TcpStream::connect(addr).await.expect("connect");
        let mut b = TcpStream::connect(addr).await.expect("connect");
        assert!(get_who(&mut a).await.starts_with("HTTP/1.1 200"));
        assert!(get_who(&mut b).await.starts_with("HTTP/1.1 200"));
        // The third is in the backlog: not served while both places are held.
        let mut c = TcpStream::connect(addr).await.expect("connect");
        c.write_all(b"GET /who HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut buf = [0u8; 256];
        let early = tokio::time::timeout(Duration::from_millis(300), c.read(&mut buf)).await;
        assert!(early.is_err(), "served past the cap");
        // One closes: the third is served.
        drop(a);
        let n = tokio::time::timeout(Duration::from_secs(3), c.read(&mut buf))
            .await
            .expect("served once a place is free")
            .expect("read");
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        stop.cancel();
    }
}
