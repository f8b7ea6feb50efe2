//! A trunk's limits: channels in use (both directions, each call taken once and given back
//! once, whatever way it ends) and new outbound calls per second, a token bucket filled by
//! `now` (no clock of its own).

use std::time::{Duration, Instant};

/// Channels and call rate of one trunk.
#[derive(Debug, Clone)]
pub struct TrunkLimits {
    max_channels: Option<u32>,
    in_use: u32,
    bucket: Option<CpsBucket>,
}

impl TrunkLimits {
    pub fn new(max_channels: Option<u32>, max_cps: Option<u32>, now: Instant) -> Self {
        TrunkLimits {
            max_channels,
            in_use: 0,
            bucket: max_cps.map(|rate| CpsBucket::new(rate, now)),
        }
    }

    /// Channels in use now.
    pub fn channels(&self) -> u32 {
        self.in_use
    }

    /// Whether one more call fits.
    pub fn has_channel(&self) -> bool {
        self.max_channels.is_none_or(|max| self.in_use < max)
    }

    /// Take a channel for an inbound call; false (and nothing taken) when full.
    pub fn take_inbound(&mut self) -> bool {
        if !self.has_channel() {
            return false;
        }
        self.in_use += 1;
        true
    }

    /// Take a channel and a call-rate token for an outbound call; false (and nothing taken)
    /// when either is used up.
    pub fn take_outbound(&mut self, now: Instant) -> bool {
        if !self.has_channel() {
            return false;
        }
        if let Some(b) = &mut self.bucket {
            if !b.take(now) {
                return false;
            }
        }
        self.in_use += 1;
        true
    }

    /// A call on the trunk ended.
    pub fn release(&mut self) {
        self.in_use = self.in_use.saturating_sub(1);
    }

    /// Keep the channels in use across a change of the limits (a reloaded plan).
    pub fn carry_over(&mut self, old: &TrunkLimits) {
        self.in_use = old.in_use;
    }
}

/// Up to `rate` calls in any second, refilled continuously (in thousandths of a call, so no
/// floating point).
#[derive(Debug, Clone)]
struct CpsBucket {
    rate: u32,
    milli_tokens: u64,
    at: Instant,
}

impl CpsBucket {
    fn new(rate: u32, now: Instant) -> Self {
        CpsBucket {
            rate,
            milli_tokens: u64::from(rate) * 1000,
            at: now,
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let cap = u64::from(self.rate) * 1000;
        let elapsed = now
            .saturating_duration_since(self.at)
            .min(Duration::from_secs(2));
        let refill = elapsed.as_millis() as u64 * u64::from(self.rate);
        self.milli_tokens = (self.milli_tokens + refill).min(cap);
        self.at = now.max(self.at);
        if self.milli_tokens < 1000 {
            return false;
        }
        self.milli_tokens -= 1000;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_counted_both_ways_and_released() {
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let mut l = TrunkLimits::new(Some(2), None, now);
        assert!(l.take_inbound());
        assert!(l.take_outbound(now));
        assert!(!l.take_inbound());
        assert!(!l.take_outbound(now));
        assert_eq!(l.channels(), 2);
        l.release();
        assert!(l.take_inbound());
        l.release();
        l.release();
        l.release();
        assert_eq!(l.channels(), 0, "never below zero");
    }

    #[test]
    fn calls_per_second_refill_with_time() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut l = TrunkLimits::new(None, Some(2), t0);
        assert!(l.take_outbound(t0));
        assert!(l.take_outbound(t0));
        assert!(!l.take_outbound(t0), "a third call in the same second");
        assert!(!l.take_outbound(t0 + Duration::from_millis(400)));
        assert!(l.take_outbound(t0 + Duration::from_millis(500)));
        assert!(!l.take_outbound(t0 + Duration::from_millis(500)));
        // A long quiet spell refills to the burst size, no more.
        let later = t0 + Duration::from_secs(60);
        assert!(l.take_outbound(later));
        assert!(l.take_outbound(later));
        assert!(!l.take_outbound(later));
        assert_eq!(l.channels(), 5, "no channel limit: every call counted");
    }
}
