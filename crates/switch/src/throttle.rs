//! Limits on digest password guessing (Kamailio's pike/htable habit): failed attempts are
//! counted per source address and per extension (the username in the credentials, known or
//! not, so the limit answers alike for extensions that do not exist). Too many failures within
//! a window block that key; each further block lasts twice as long as the last, up to a cap;
//! a key quiet for a long time is forgotten. While a request's address or username is blocked
//! its credentials are not checked at all (the right password then fails too), so a guesser
//! gains nothing by keeping on.
//!
//! Pure logic with `now` passed in; the switch asks [`AuthThrottle::blocked`] before checking
//! credentials and reports each failure with [`AuthThrottle::failed`].

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How hard guessing is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures from one address within `window` that block it (0: no limit per address).
    pub max_failures_per_address: u32,
    /// Failures for one username within `window` that block it (0: no limit per extension).
    pub max_failures_per_extension: u32,
    pub window: Duration,
    /// The first block; each next one doubles, up to `max_block`.
    pub block: Duration,
    pub max_block: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            max_failures_per_address: 10,
            max_failures_per_extension: 20,
            window: Duration::from_secs(300),
            block: Duration::from_secs(60),
            max_block: Duration::from_secs(3600),
        }
    }
}

/// Keys tracked per kind before the quiet ones are dropped; past it, new keys are not tracked
/// (the ones already blocked stay blocked).
const MAX_KEYS: usize = 50_000;

/// Why a request is refused without checking its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    Address { until: Instant },
    Extension { until: Instant },
}

impl Blocked {
    /// What is blocked, for log lines.
    pub fn what(&self) -> &'static str {
        match self {
            Blocked::Address { .. } => "address",
            Blocked::Extension { .. } => "extension",
        }
    }

    /// How long the block lasts from `now`.
    pub fn left(&self, now: Instant) -> Duration {
        let (Blocked::Address { until } | Blocked::Extension { until }) = self;
        until.saturating_duration_since(now)
    }
}

/// The failure counters of one key.
#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start: Instant,
    failures: u32,
    /// Blocks so far: the next lasts `block × 2^blocks`.
    blocks: u32,
    blocked_until: Option<Instant>,
    last_failure: Instant,
}

/// Counters of one kind of key.
#[derive(Debug)]
struct Counters<K> {
    max_failures: u32,
    entries: HashMap<K, Entry>,
}

impl<K: Hash + Eq + Clone> Counters<K> {
    fn blocked(&self, now: Instant, key: &K) -> Option<Instant> {
        self.entries
            .get(key)
            .and_then(|e| e.blocked_until)
            .filter(|until| *until > now)
    }

    /// Counts a failure; returns the end of a block it starts.
    fn failed(&mut self, now: Instant, key: &K, cfg: &ThrottleConfig) -> Option<Instant> {
        if self.max_failures == 0 {
            return None;
        }
        let forget = forget_after(cfg);
        if !self.entries.contains_key(key) && self.entries.len() >= MAX_KEYS {
            self.entries
                .retain(|_, e| now.saturating_duration_since(e.last_failure) < forget);
            if self.entries.len() >= MAX_KEYS {
                return None;
            }
        }
        let entry = self.entries.entry(key.clone()).or_insert(Entry {
            window_start: now,
            failures: 0,
            blocks: 0,
            blocked_until: None,
            last_failure: now,
        });
        if now.saturating_duration_since(entry.last_failure) >= forget {
            entry.blocks = 0;
        }
        if now.saturating_duration_since(entry.window_start) >= cfg.window {
            entry.window_start = now;
            entry.failures = 0;
        }
        entry.last_failure = now;
        entry.failures = entry.failures.saturating_add(1);
        if entry.failures < self.max_failures {
            return None;
        }
        let factor = 1u32.checked_shl(entry.blocks.min(20)).unwrap_or(u32::MAX);
        let length = cfg.block.saturating_mul(factor).min(cfg.max_block);
        let until = now + length;
        entry.blocked_until = Some(until);
        entry.blocks = entry.blocks.saturating_add(1);
        entry.failures = 0;
        entry.window_start = now;
        Some(until)
    }

    fn forget_quiet(&mut self, now: Instant, cfg: &ThrottleConfig) {
        let forget = forget_after(cfg);
        self.entries.retain(|_, e| {
            now.saturating_duration_since(e.last_failure) < forget
                || e.blocked_until.is_some_and(|u| u > now)
        });
    }
}

/// A key with no failure for this long starts again from the first block.
fn forget_after(cfg: &ThrottleConfig) -> Duration {
    cfg.max_block.max(cfg.window).saturating_mul(2)
}

/// Failure counters per source address and per username.
#[derive(Debug)]
pub struct AuthThrottle {
    cfg: ThrottleConfig,
    addresses: Counters<IpAddr>,
    users: Counters<String>,
}

impl AuthThrottle {
    pub fn new(cfg: ThrottleConfig) -> Self {
        AuthThrottle {
            addresses: Counters {
                max_failures: cfg.max_failures_per_address,
                entries: HashMap::new(),
            },
            users: Counters {
                max_failures: cfg.max_failures_per_extension,
                entries: HashMap::new(),
            },
            cfg,
        }
    }

    /// Whether a request from `ip` (for `user`, when it names one) is refused unchecked.
    pub fn blocked(&self, now: Instant, ip: IpAddr, user: Option<&str>) -> Option<Blocked> {
        if let Some(until) = self.addresses.blocked(now, &ip) {
            return Some(Blocked::Address { until });
        }
        let user = user?;
        self.users
            .blocked(now, &user.to_string())
            .map(|until| Blocked::Extension { until })
    }

    /// Counts a failed attempt; returns the block it starts, if any.
    pub fn failed(&mut self, now: Instant, ip: IpAddr, user: Option<&str>) -> Option<Blocked> {
        let address = self
            .addresses
            .failed(now, &ip, &self.cfg)
            .map(|until| Blocked::Address { until });
        let extension = user.and_then(|u| {
            self.users
                .failed(now, &u.to_string(), &self.cfg)
                .map(|until| Blocked::Extension { until })
        });
        address.or(extension)
    }

    /// Drops keys quiet for long enough to be forgotten (call now and then).
    pub fn forget_quiet(&mut self, now: Instant) {
        self.addresses.forget_quiet(now, &self.cfg);
        self.users.forget_quiet(now, &self.cfg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ThrottleConfig {
        ThrottleConfig {
            max_failures_per_address: 3,
            max_failures_per_extension: 5,
            window: Duration::from_secs(60),
            block: Duration::from_secs(10),
            max_block: Duration::from_secs(35),
        }
    }

    #[allow(clippy::disallowed_methods)] // an arbitrary origin for the virtual clock
    fn origin() -> Instant {
        Instant::now()
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

    #[test]
    fn blocks_an_address_after_its_failures_with_growing_blocks() {
        let mut t = AuthThrottle::new(cfg());
        let t0 = origin();
        assert_eq!(t.failed(t0, IP, None), None);
        assert_eq!(t.failed(t0, IP, None), None);
        let first = t.failed(t0, IP, None);
        assert_eq!(
            first,
            Some(Blocked::Address {
                until: t0 + Duration::from_secs(10)
            })
        );
        assert!(t.blocked(t0 + Duration::from_secs(9), IP, None).is_some());
        assert!(t.blocked(t0 + Duration::from_secs(10), IP, None).is_none());
        // The next block doubles, then stops at the cap.
        let t1 = t0 + Duration::from_secs(11);
        for _ in 0..3 {
            t.failed(t1, IP, None);
        }
        assert!(t.blocked(t1 + Duration::from_secs(19), IP, None).is_some());
        assert!(t.blocked(t1 + Duration::from_secs(20), IP, None).is_none());
        let t2 = t1 + Duration::from_secs(21);
        for _ in 0..6 {
            t.failed(t2, IP, None);
        }
        // 40 s would be the doubling; the cap is 35 s.
        assert!(t.blocked(t2 + Duration::from_secs(34), IP, None).is_some());
        assert!(t.blocked(t2 + Duration::from_secs(35), IP, None).is_none());
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let mut t = AuthThrottle::new(cfg());
        let t0 = origin();
        for i in 0..10 {
            let at = t0 + Duration::from_secs(61 * i);
            assert_eq!(t.failed(at, IP, None), None);
            assert_eq!(t.failed(at, IP, None), None);
            assert!(t.blocked(at, IP, None).is_none());
        }
    }

    #[test]
    fn blocks_an_extension_tried_from_many_addresses() {
        let mut t = AuthThrottle::new(cfg());
        let t0 = origin();
        for i in 0..5u8 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, i));
            t.failed(t0, ip, Some("1001"));
        }
        let other = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));
        assert!(matches!(
            t.blocked(t0, other, Some("1001")),
            Some(Blocked::Extension { .. })
        ));
        assert!(t.blocked(t0, other, Some("1002")).is_none());
        // Unknown names count alike, so the limit tells nothing about which exist.
        for _ in 0..5 {
            t.failed(
                t0,
                IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7)),
                Some("9999"),
            );
        }
        assert!(t.blocked(t0, other, Some("9999")).is_some());
    }

    #[test]
    fn quiet_keys_are_forgotten() {
        let mut t = AuthThrottle::new(cfg());
        let t0 = origin();
        t.failed(t0, IP, Some("1001"));
        t.forget_quiet(t0 + Duration::from_secs(200));
        assert!(t.addresses.entries.is_empty());
        assert!(t.users.entries.is_empty());
    }
}
