//! Backoff for failed logins: after [`MAX_FAILURES`] failures for one username from one
//! address, that pair is refused for the lockout time, even with the right password. Kept in
//! memory (a restart forgets it) and driven by the caller's clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failures in a row that lock a username/address pair.
pub const MAX_FAILURES: u32 = 5;
/// Entries kept before idle ones are dropped.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Failure counts per (username, address).
#[derive(Debug)]
pub struct Lockout {
    lock_for: Duration,
    entries: HashMap<(String, IpAddr), Entry>,
}

impl Lockout {
    /// A lockout of `lock_for` after [`MAX_FAILURES`] failures.
    pub fn new(lock_for: Duration) -> Self {
        Lockout {
            lock_for,
            entries: HashMap::new(),
        }
    }

    /// How long the pair stays locked, if it is.
    pub fn locked(&self, user: &str, ip: IpAddr, now: Instant) -> Option<Duration> {
        let until = self.entries.get(&(user.to_owned(), ip))?.locked_until?;
        (until > now).then(|| until - now)
    }

    /// Counts a failure; returns the lock time if this failure locked the pair.
    pub fn failed(&mut self, user: &str, ip: IpAddr, now: Instant) -> Option<Duration> {
        if self.entries.len() >= MAX_ENTRIES {
            let horizon = self.lock_for.max(Duration::from_secs(900));
            self.entries
                .retain(|_, e| now.duration_since(e.last) < horizon);
        }
        let e = self.entries.entry((user.to_owned(), ip)).or_insert(Entry {
            failures: 0,
            last: now,
            locked_until: None,
        });
        if e.locked_until.is_some_and(|u| u <= now) {
            // The lock ran out: count afresh.
            e.failures = 0;
            e.locked_until = None;
        }
        e.failures += 1;
        e.last = now;
        if e.failures >= MAX_FAILURES {
            e.locked_until = Some(now + self.lock_for);
            Some(self.lock_for)
        } else {
            None
        }
    }

    /// A successful login clears the pair.
    pub fn succeeded(&mut self, user: &str, ip: IpAddr) {
        self.entries.remove(&(user.to_owned(), ip));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_one_pair_for_the_lock_time() {
        let ip: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 1].into();
        let t0 = Instant::now();
        let mut l = Lockout::new(Duration::from_secs(30));
        for i in 1..MAX_FAILURES {
            assert_eq!(l.failed("bob", ip, t0), None, "failure {i}");
            assert_eq!(l.locked("bob", ip, t0), None);
        }
        assert_eq!(l.failed("bob", ip, t0), Some(Duration::from_secs(30)));
        let later = t0 + Duration::from_secs(10);
        assert_eq!(l.locked("bob", ip, later), Some(Duration::from_secs(20)));
        assert_eq!(l.locked("bob", other, later), None, "other address");
        assert_eq!(l.locked("alice", ip, later), None, "other user");
        let after = t0 + Duration::from_secs(30);
        assert_eq!(l.locked("bob", ip, after), None, "lock ran out");
        assert_eq!(l.failed("bob", ip, after), None, "counting starts over");
    }

    #[test]
    fn success_clears_the_count() {
        let ip: IpAddr = [127, 0, 0, 1].into();
        let t0 = Instant::now();
        let mut l = Lockout::new(Duration::from_secs(30));
        for _ in 1..MAX_FAILURES {
            l.failed("bob", ip, t0);
        }
        l.succeeded("bob", ip);
        assert_eq!(l.failed("bob", ip, t0), None);
    }
}
