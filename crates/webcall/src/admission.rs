//! Who may start a web call now: a cap on calls in progress and a per-address rate (calls
//! started in the last minute), with the clock passed in. The switch keeps one [`Admission`]
//! behind a lock (one short call per web call's start and end, never per packet).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The rate's window.
const WINDOW: Duration = Duration::from_secs(60);
/// Past this many addresses, every admission first forgets the quiet ones.
const SWEEP_ABOVE: usize = 1024;

/// Why a call may not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    #[error("{0} web calls are in progress, the most allowed")]
    Full(usize),
    #[error("{0} calls from this address in the last minute, the most allowed")]
    RateLimited(u32),
}

/// The cap and the rate. See the module documentation.
#[derive(Debug)]
pub struct Admission {
    max_calls: usize,
    per_minute: u32,
    active: usize,
    starts: HashMap<IpAddr, VecDeque<Instant>>,
}

impl Admission {
    /// `per_minute` 0: no rate limit.
    pub fn new(max_calls: usize, per_minute: u32) -> Self {
        Self {
            max_calls,
            per_minute,
            active: 0,
            starts: HashMap::new(),
        }
    }

    /// Counts a call from `ip` starting at `now`, or says why it may not.
    pub fn admit(&mut self, now: Instant, ip: IpAddr) -> Result<(), Refusal> {
        if self.starts.len() > SWEEP_ABOVE {
            self.starts.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
        }
        if self.active >= self.max_calls {
            return Err(Refusal::Full(self.max_calls));
        }
        let times = self.starts.entry(ip).or_default();
        forget_old(times, now);
        if self.per_minute > 0 && times.len() >= self.per_minute as usize {
            return Err(Refusal::RateLimited(self.per_minute));
        }
        times.push_back(now);
        self.active += 1;
        Ok(())
    }

    /// A call admitted earlier ended.
    pub fn release(&mut self) {
        self.active = self.active.saturating_sub(1);
    }

    /// Calls in progress.
    pub fn active(&self) -> usize {
        self.active
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn an_address_gets_its_rate_per_minute_and_others_are_not_held_up() {
        let t0 = Instant::now();
        let mut a = Admission::new(100, 2);
        assert_eq!(a.admit(t0, ip(1)), Ok(()));
        assert_eq!(a.admit(t0, ip(1)), Ok(()));
        assert_eq!(a.admit(t0, ip(1)), Err(Refusal::RateLimited(2)));
        assert_eq!(a.admit(t0, ip(2)), Ok(()), "another address");
        // Ending calls does not reset the rate; the minute passing does.
        a.release();
        a.release();
        let later = t0 + Duration::from_secs(59);
        assert_eq!(a.admit(later, ip(1)), Err(Refusal::RateLimited(2)));
        assert_eq!(a.admit(t0 + WINDOW, ip(1)), Ok(()));
    }

    #[test]
    fn the_cap_counts_calls_in_progress() {
        let t0 = Instant::now();
        let mut a = Admission::new(2, 0);
        assert_eq!(a.admit(t0, ip(1)), Ok(()));
        assert_eq!(a.admit(t0, ip(2)), Ok(()));
        assert_eq!(a.admit(t0, ip(3)), Err(Refusal::Full(2)));
        a.release();
        assert_eq!(a.active(), 1);
        assert_eq!(a.admit(t0, ip(3)), Ok(()));
    }

    #[test]
    fn quiet_addresses_are_forgotten() {
        let t0 = Instant::now();
        let mut a = Admission::new(usize::MAX, 1);
        for i in 0..=SWEEP_ABOVE {
            let addr = IpAddr::from(std::net::Ipv6Addr::from(i as u128));
            a.admit(t0, addr).expect("admitted");
        }
        a.admit(t0 + WINDOW, ip(9)).expect("admitted");
        assert_eq!(a.starts.len(), 1, "only the new address is remembered");
    }
}
