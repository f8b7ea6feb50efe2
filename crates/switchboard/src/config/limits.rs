//! The `[limits]` section: caps and timeouts that keep one sender (or a crowd) from taking
//! every call slot, connection, descriptor or byte of memory (docs/security.md, "Limits").

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[limits]` as written in the file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Calls in progress at most; past it new INVITEs get 503 with Retry-After. Default: what
    /// the RTP range holds (4 ports a call), as calls past it would fail for want of ports.
    pub max_calls: Option<usize>,
    /// Live SIP transactions at most; past it new INVITEs get 503 with Retry-After.
    pub max_transactions: usize,
    /// Concurrent calls one extension may place or receive.
    pub max_calls_per_extension: usize,
    /// The Retry-After of those 503s, in seconds.
    pub retry_after_s: u64,
    /// SIP over TCP: connections at once, in all and from one IP address.
    pub tcp_max_connections: usize,
    pub tcp_max_connections_per_address: usize,
    /// SIP over TCP: a message must arrive whole within this many seconds of its first byte.
    pub tcp_message_timeout_s: u64,
    /// SIP over TCP: a connection with nothing received (CRLF keep-alives count) for this
    /// long is closed.
    pub tcp_idle_timeout_s: u64,
    /// HTTP: connections at once.
    pub http_max_connections: usize,
    /// HTTP: a request's headers must arrive within this many seconds.
    pub http_header_timeout_s: u64,
    /// HTTP: a connection with no request for this long is closed.
    pub http_idle_timeout_s: u64,
    /// Password checks (argon2, 19 MiB each) running at once; 0: one per CPU core.
    pub password_checks: usize,
}

impl Default for LimitsSection {
    fn default() -> Self {
        let sip = crate::switch::Limits::default();
        LimitsSection {
            max_calls: None,
            max_transactions: sip.max_transactions,
            max_calls_per_extension: sip.max_calls_per_extension,
            retry_after_s: sip.retry_after.as_secs(),
            tcp_max_connections: 512,
            tcp_max_connections_per_address: 32,
            tcp_message_timeout_s: 10,
            tcp_idle_timeout_s: 300,
            http_max_connections: 256,
            http_header_timeout_s: 10,
            http_idle_timeout_s: 60,
            password_checks: 0,
        }
    }
}

/// The default RTP range's size (20000-29999), for limits built without a file.
const DEFAULT_RTP_PORTS: u64 = 10_000;

/// Caps on SIP over TCP (`driver::tcp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpLimits {
    pub max_connections: usize,
    pub max_per_address: usize,
    pub message_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Default for TcpLimits {
    fn default() -> Self {
        resolve(LimitsSection::default(), DEFAULT_RTP_PORTS, &mut |_| {}).tcp
    }
}

/// Caps on the HTTP server (`http::limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    /// Password checks at once (resolved: at least 1).
    pub password_checks: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        resolve(LimitsSection::default(), DEFAULT_RTP_PORTS, &mut |_| {}).http
    }
}

/// Every limit, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub sip: crate::switch::Limits,
    pub tcp: TcpLimits,
    pub http: HttpLimits,
}

impl Limits {
    /// Descriptors the TCP and HTTP caps may hold, for the open-file budget.
    pub fn connections(&self) -> u64 {
        (self.tcp.max_connections + self.http.max_connections) as u64
    }
}

/// Resolve the section for an RTP range of `rtp_ports` ports; a zero cap or timeout is a
/// problem (it would refuse everything).
pub fn resolve(s: LimitsSection, rtp_ports: u64, problem: &mut dyn FnMut(String)) -> Limits {
    let mut at_least_1 = |key: &str, v: u64| {
        if v == 0 {
            problem(format!("limits.{key}: must be at least 1"));
        }
        v.max(1)
    };
    let secs = |v: u64| Duration::from_secs(v);
    let sip = crate::switch::Limits {
        max_calls: match s.max_calls {
            Some(n) => at_least_1("max_calls", n as u64) as usize,
            None => (rtp_ports / 4).max(1) as usize,
        },
        max_transactions: at_least_1("max_transactions", s.max_transactions as u64) as usize,
        max_calls_per_extension: at_least_1(
            "max_calls_per_extension",
            s.max_calls_per_extension as u64,
        ) as usize,
        retry_after: secs(at_least_1("retry_after_s", s.retry_after_s)),
    };
    let tcp = TcpLimits {
        max_connections: at_least_1("tcp_max_connections", s.tcp_max_connections as u64) as usize,
        max_per_address: at_least_1(
            "tcp_max_connections_per_address",
            s.tcp_max_connections_per_address as u64,
        ) as usize,
        message_timeout: secs(at_least_1("tcp_message_timeout_s", s.tcp_message_timeout_s)),
        idle_timeout: secs(at_least_1("tcp_idle_timeout_s", s.tcp_idle_timeout_s)),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let http = HttpLimits {
        max_connections: at_least_1("http_max_connections", s.http_max_connections as u64) as usize,
        header_timeout: secs(at_least_1("http_header_timeout_s", s.http_header_timeout_s)),
        idle_timeout: secs(at_least_1("http_idle_timeout_s", s.http_idle_timeout_s)),
        password_checks: if s.password_checks == 0 {
            cores
        } else {
            s.password_checks
        },
    };
    Limits { sip, tcp, http }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_resolve_without_problems_and_zero_is_refused() {
        let mut problems = Vec::new();
        let l = resolve(LimitsSection::default(), 10_000, &mut |p| problems.push(p));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(l.sip.max_calls, 2_500, "what the RTP range holds");
        assert_eq!(
            l.sip.max_calls_per_extension,
            crate::switch::Limits::default().max_calls_per_extension
        );
        assert_eq!(l.tcp.max_per_address, 32);
        assert!(l.http.password_checks >= 1);
        let zero = LimitsSection {
            tcp_idle_timeout_s: 0,
            ..LimitsSection::default()
        };
        resolve(zero, 10_000, &mut |p| problems.push(p));
        assert_eq!(problems, ["limits.tcp_idle_timeout_s: must be at least 1"]);
    }
}
