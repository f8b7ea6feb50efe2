//! OPTIONS pings and a trunk's up/down state with hysteresis: `down_after` failed pings in a
//! row take it down, `up_after` answered pings in a row bring it up. Any final response below
//! 500 counts as an answer (a carrier that says 404 or 405 to OPTIONS is alive); a timeout or
//! a 5xx is a miss. Before the first verdict the trunk is `Unknown`, and calls are tried.

use crate::setup::PingSetup;
use crate::status::Health;
use std::time::Instant;

/// One trunk's pinger.
#[derive(Debug, Clone)]
pub struct HealthCheck {
    setup: PingSetup,
    health: Health,
    /// Answers (positive) or misses (negative) in a row.
    streak: i64,
    next_ping: Instant,
    /// A ping is out and its answer not yet in.
    outstanding: bool,
}

impl HealthCheck {
    /// Pings start at `now`.
    pub fn new(setup: PingSetup, now: Instant) -> Self {
        HealthCheck {
            setup,
            health: Health::Unknown,
            streak: 0,
            next_ping: now,
            outstanding: false,
        }
    }

    pub fn health(&self) -> Health {
        self.health
    }

    /// Whether calls may go to the trunk (not known to be down).
    pub fn usable(&self) -> bool {
        self.health != Health::Down
    }

    /// When the next ping is due (None while one is out).
    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.outstanding).then_some(self.next_ping)
    }

    /// Whether to send a ping now; if so it counts as sent.
    pub fn ping_due(&mut self, now: Instant) -> bool {
        if self.outstanding || now < self.next_ping {
            return false;
        }
        self.outstanding = true;
        self.next_ping = now + self.setup.interval;
        true
    }

    /// The ping's final response (`None`: no answer, the transaction timed out). Returns the
    /// new health when it changed.
    pub fn ping_result(&mut self, status: Option<u16>) -> Option<Health> {
        self.outstanding = false;
        let alive = status.is_some_and(|s| (200..500).contains(&s));
        self.streak = match (alive, self.streak) {
            (true, s) if s > 0 => s + 1,
            (true, _) => 1,
            (false, s) if s < 0 => s - 1,
            (false, _) => -1,
        };
        let next = if self.streak >= i64::from(self.setup.up_after) {
            Health::Up
        } else if -self.streak >= i64::from(self.setup.down_after) {
            Health::Down
        } else {
            self.health
        };
        (next != self.health).then(|| {
            self.health = next;
            next
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn hysteresis_needs_streaks_both_ways() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut h = HealthCheck::new(
            PingSetup {
                interval: Duration::from_secs(10),
                down_after: 3,
                up_after: 2,
            },
            t0,
        );
        assert!(h.ping_due(t0));
        assert!(!h.ping_due(t0), "one ping at a time");
        assert_eq!(h.poll_timeout(), None);
        assert_eq!(h.ping_result(Some(200)), None, "one answer is not yet up");
        assert_eq!(h.poll_timeout(), Some(t0 + Duration::from_secs(10)));
        assert!(!h.ping_due(t0 + Duration::from_secs(9)));
        assert!(h.ping_due(t0 + Duration::from_secs(10)));
        assert_eq!(h.ping_result(Some(404)), Some(Health::Up), "4xx is alive");
        assert_eq!(h.ping_result(None), None);
        assert_eq!(h.ping_result(Some(503)), None);
        assert_eq!(
            h.ping_result(Some(200)),
            None,
            "an answer breaks the streak"
        );
        assert_eq!(h.ping_result(None), None);
        assert_eq!(h.ping_result(None), None);
        assert!(h.usable());
        assert_eq!(h.ping_result(Some(500)), Some(Health::Down));
        assert!(!h.usable());
        assert_eq!(h.ping_result(Some(200)), None);
        assert_eq!(h.ping_result(None), None);
        assert_eq!(h.ping_result(Some(200)), None);
        assert_eq!(h.ping_result(Some(200)), Some(Health::Up));
    }
}
