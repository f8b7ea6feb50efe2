//! Registering with a carrier (RFC 3261 §10), as a state machine the switch drives: it asks
//! [`Registrar::due`] whether a REGISTER should go out, builds and sends it, and reports the
//! final response ([`Registrar::on_response`]), which says whether to answer a challenge.
//!
//! Timing: a refresh goes out at 80 % of the expiry the carrier granted, and at least 32 s
//! (a whole transaction's time) before it runs out, but never before half of it. A failure
//! (no answer, 403, a second challenge...) retries after 30 s, doubling to 10 min, each delay
//! shortened by up to a fifth by a jitter drawn from the seed (so many trunks of one switch do
//! not retry in step, and a test knows the value). A carrier that forgets us answers a
//! refresh with 401 again: the challenge is answered like the first one.

use crate::status::Registration;
use std::time::{Duration, Instant};

/// The first retry's delay after a failure.
pub const RETRY_FIRST: Duration = Duration::from_secs(30);
/// The longest retry delay.
pub const RETRY_MAX: Duration = Duration::from_secs(600);
/// A refresh leaves at least this long before expiry (Timer F with T1 = 500 ms).
const REFRESH_MARGIN: Duration = Duration::from_secs(32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The next REGISTER goes out at `at` (first, refresh or retry).
    Waiting {
        at: Instant,
    },
    /// A REGISTER is out; `challenged`: this attempt already answered one challenge.
    Sent {
        challenged: bool,
    },
    Stopped,
}

/// What to do with a REGISTER's final response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Registered for this long.
    Registered(Duration),
    /// Send the REGISTER again with credentials for the challenge.
    AnswerChallenge,
    /// The attempt failed; the next one is in this long.
    Retry(Duration),
}

/// One trunk's registration.
#[derive(Debug, Clone)]
pub struct Registrar {
    expiry: Duration,
    state: State,
    status: Registration,
    /// Until when the last accepted registration holds.
    until: Option<Instant>,
    failures: u32,
    seed: u64,
}

impl Registrar {
    /// The first REGISTER is due at `now`. `seed` draws the retry jitter.
    pub fn new(expiry: Duration, now: Instant, seed: u64) -> Self {
        Registrar {
            expiry,
            state: State::Waiting { at: now },
            status: Registration::Registering,
            until: None,
            failures: 0,
            seed,
        }
    }

    /// The expiry to ask for.
    pub fn expiry(&self) -> Duration {
        self.expiry
    }

    /// Whether a REGISTER should go out now; if so it counts as sent.
    pub fn due(&mut self, now: Instant) -> bool {
        match self.state {
            State::Waiting { at } if at <= now => {
                self.state = State::Sent { challenged: false };
                if !matches!(self.status, Registration::Registered { .. }) {
                    self.status = Registration::Registering;
                }
                true
            }
            _ => false,
        }
    }

    /// When `due` next says yes (None while a REGISTER is out, or stopped).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Waiting { at } => Some(at),
            _ => None,
        }
    }

    /// The REGISTER's final response: `status` (408 for no answer) and, for a 2xx, the expiry
    /// the carrier granted (its Contact's `expires` or the Expires header; None: ours).
    /// `stale`: a challenge that only says the nonce aged, which may be answered again.
    pub fn on_response(
        &mut self,
        now: Instant,
        status: u16,
        granted: Option<Duration>,
        stale: bool,
    ) -> Verdict {
        let State::Sent { challenged } = self.state else {
            // Not waiting for an answer (stopped, or a stray retransmission).
            return Verdict::Retry(Duration::ZERO);
        };
        match status {
            200..=299 => {
                let granted = granted.unwrap_or(self.expiry);
                self.failures = 0;
                self.until = Some(now + granted);
                self.status = Registration::Registered {
                    expires_in: granted,
                };
                self.state = State::Waiting {
                    at: now + refresh_after(granted),
                };
                Verdict::Registered(granted)
            }
            401 | 407 if !challenged || stale => {
                self.state = State::Sent { challenged: true };
                Verdict::AnswerChallenge
            }
            _ => {
                let delay = self.retry_delay();
                self.failures = self.failures.saturating_add(1);
                self.status = Registration::Failed {
                    status,
                    retry_in: delay,
                };
                self.until = None;
                self.state = State::Waiting { at: now + delay };
                Verdict::Retry(delay)
            }
        }
    }

    /// The REGISTER could not be sent (no address for the carrier yet): a failure like any.
    pub fn not_sent(&mut self, now: Instant, status: u16) -> Duration {
        match self.on_response(now, status, None, false) {
            Verdict::Retry(d) => d,
            _ => Duration::ZERO,
        }
    }

    /// Try again now (the carrier's address became known).
    pub fn retry_now(&mut self, now: Instant) {
        if let State::Waiting { at } = &mut self.state {
            if matches!(self.status, Registration::Failed { .. }) {
                *at = now.min(*at);
            }
        }
    }

    /// No more REGISTERs (the trunk was removed).
    pub fn stop(&mut self) {
        self.state = State::Stopped;
    }

    /// Whether we hold a registration now (what an un-REGISTER would release).
    pub fn registered(&self, now: Instant) -> bool {
        self.until.is_some_and(|u| u > now)
    }

    /// The state for `trunk_status`, with times counted from `now`.
    pub fn status(&self, now: Instant) -> Registration {
        match (self.status, self.until, self.state) {
            (Registration::Registered { .. }, Some(until), _) if until > now => {
                Registration::Registered {
                    expires_in: until.saturating_duration_since(now),
                }
            }
            (Registration::Registered { .. }, _, _) => Registration::Registering,
            (Registration::Failed { status, .. }, _, State::Waiting { at }) => {
                Registration::Failed {
                    status,
                    retry_in: at.saturating_duration_since(now),
                }
            }
            (other, _, _) => other,
        }
    }

    /// 30 s doubling to 10 min, less up to a fifth drawn from the seed and the attempt.
    fn retry_delay(&self) -> Duration {
        let base = RETRY_FIRST
            .saturating_mul(1u32.checked_shl(self.failures.min(10)).unwrap_or(u32::MAX))
            .min(RETRY_MAX);
        let mut x = self.seed ^ u64::from(self.failures).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 33;
        x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        x ^= x >> 33;
        let fifth_ms = base.as_millis() as u64 / 5;
        let cut = if fifth_ms == 0 { 0 } else { x % fifth_ms };
        base.saturating_sub(Duration::from_millis(cut))
    }
}

/// When to refresh a registration granted for `granted`.
fn refresh_after(granted: Duration) -> Duration {
    let at_80 = granted.saturating_mul(4) / 5;
    let margin = granted.saturating_sub(REFRESH_MARGIN);
    at_80.min(margin).max(granted / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)]
        Instant::now()
    }

    #[test]
    fn challenge_then_refresh_before_expiry() {
        let now = t0();
        let mut r = Registrar::new(Duration::from_secs(3600), now, 1);
        assert!(r.due(now));
        assert_eq!(r.status(now), Registration::Registering);
        assert!(!r.due(now), "one REGISTER at a time");
        assert_eq!(
            r.on_response(now, 401, None, false),
            Verdict::AnswerChallenge
        );
        assert_eq!(
            r.on_response(now, 200, Some(Duration::from_secs(600)), false),
            Verdict::Registered(Duration::from_secs(600))
        );
        assert_eq!(
            r.status(now + Duration::from_secs(100)),
            Registration::Registered {
                expires_in: Duration::from_secs(500)
            }
        );
        assert_eq!(r.poll_timeout(), Some(now + Duration::from_secs(480)));
        assert!(!r.due(now + Duration::from_secs(479)));
        let refresh = now + Duration::from_secs(480);
        assert!(r.due(refresh));
        // Still registered while the refresh is out.
        assert!(matches!(r.status(refresh), Registration::Registered { .. }));
        // The carrier forgot us: the refresh is challenged and answered again.
        assert_eq!(
            r.on_response(refresh, 401, None, false),
            Verdict::AnswerChallenge
        );
        assert!(matches!(
            r.on_response(refresh, 200, None, false),
            Verdict::Registered(_)
        ));
        assert_eq!(
            refresh_after(Duration::from_secs(60)),
            Duration::from_secs(30)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(120)),
            Duration::from_secs(88)
        );
    }

    #[test]
    fn failures_back_off_doubling_with_jitter_up_to_ten_minutes() {
        let mut now = t0();
        let mut r = Registrar::new(Duration::from_secs(3600), now, 42);
        let mut delays = Vec::new();
        for _ in 0..8 {
            assert!(r.due(now));
            assert_eq!(
                r.on_response(now, 401, None, false),
                Verdict::AnswerChallenge
            );
            let Verdict::Retry(d) = r.on_response(now, 401, None, false) else {
                panic!("a second challenge is a failure");
            };
            assert!(matches!(
                r.status(now),
                Registration::Failed { status: 401, .. }
            ));
            delays.push(d);
            assert!(!r.due(now + d - Duration::from_millis(1)));
            now += d;
        }
        let bases = [30, 60, 120, 240, 480, 600, 600, 600];
        for (d, b) in delays.iter().zip(bases) {
            let base = Duration::from_secs(b);
            assert!(*d <= base && *d >= base * 4 / 5, "{d:?} for base {base:?}");
        }
        assert_ne!(delays[5], delays[6], "jitter varies per attempt");
        // Recovery resets the backoff.
        assert!(r.due(now));
        assert!(matches!(
            r.on_response(now, 200, None, false),
            Verdict::Registered(_)
        ));
        assert!(r.due(now + Duration::from_secs(2880)));
        let Verdict::Retry(d) = r.on_response(now, 403, None, false) else {
            panic!("403 fails");
        };
        assert!(d <= RETRY_FIRST);
    }

    #[test]
    fn stale_challenges_may_be_answered_again() {
        let now = t0();
        let mut r = Registrar::new(Duration::from_secs(300), now, 0);
        assert!(r.due(now));
        assert_eq!(
            r.on_response(now, 407, None, false),
            Verdict::AnswerChallenge
        );
        assert_eq!(
            r.on_response(now, 407, None, true),
            Verdict::AnswerChallenge
        );
        r.stop();
        assert_eq!(r.poll_timeout(), None);
    }
}
