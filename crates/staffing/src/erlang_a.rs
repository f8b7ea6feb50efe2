//! Erlang A (M/M/N+M, Palm's model): callers give up after an exponential patience, so a
//! queue with fewer agents than erlangs is still stable, and abandonment is part of the answer.
//!
//! How it is computed (no closed form is needed):
//! - the number in the system is a birth–death chain: arrivals at λ, departures at nμ up to N
//!   agents and Nμ + kθ with k callers waiting (θ = 1 / mean patience). Its stationary
//!   distribution π comes from log-domain weights (no overflow at N = 500), truncated where
//!   the tail weighs less than 1e-15;
//! - an arriving caller sees π (Poisson arrivals see time averages). With k callers ahead it
//!   moves up at rate Nμ + kθ (a service or an abandon ahead), reaches an agent from the head at
//!   rate Nμ, and gives up at rate θ. From that small chain: the probability of being answered
//!   and the mean wait of the answered (a recurrence), and the probability of being answered
//!   within T (uniformization, in slices short enough that e^(−ΛΔ) does not underflow).
//!
//! Service level here is answered within T / offered: a caller who gives up counts as missed.
//!
//! Patience is estimated from a center's own calls as total waiting time of all queued calls
//! (answered and abandoned) / number of abandons: the maximum-likelihood estimate of an
//! exponential patience when answered calls are censored observations.

use crate::erlang_c::{check_load, MAX_AGENTS};
use crate::{ServiceTarget, StaffingError};

/// Below this the tail of the queue-length distribution is dropped.
const TAIL: f64 = 1e-15;
/// Longest queue the distribution is computed to: far fewer agents than erlangs with callers
/// patient for days would need more, and get [`StaffingError::QueueTooLong`] instead.
const MAX_QUEUE: usize = 200_000;

/// The offered load and the callers' patience.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// Calls offered per second (λ).
    pub arrivals_per_sec: f64,
    /// Average handle time, seconds (1/μ).
    pub aht_secs: f64,
    /// Mean patience, seconds (1/θ).
    pub patience_secs: f64,
}

impl Load {
    /// Traffic in erlangs (λ / μ).
    pub fn erlangs(&self) -> f64 {
        self.arrivals_per_sec * self.aht_secs
    }

    fn check(&self) -> Result<(), StaffingError> {
        check_load(self.erlangs(), self.aht_secs)?;
        if !self.patience_secs.is_finite() || self.patience_secs <= 0.0 {
            return Err(StaffingError::Invalid {
                what: "mean patience",
                value: self.patience_secs,
            });
        }
        Ok(())
    }
}

/// What Erlang A predicts for one number of agents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangAFigures {
    pub agents: u32,
    /// Probability an arriving caller has to wait.
    pub p_wait: f64,
    /// Probability a caller gives up before an agent answers.
    pub p_abandon: f64,
    /// Answered within the threshold / offered.
    pub service_level: f64,
    /// Mean wait of the answered callers (zero waits included), seconds.
    pub asa_secs: f64,
    /// Mean wait over all callers, answered or not (E[queue] / λ), seconds.
    pub mean_wait_secs: f64,
    /// Share of the agents' time on calls (answered calls × AHT / agents).
    pub occupancy: f64,
}

/// Mean patience in seconds from history: total waiting time of all queued calls / abandons.
/// `None` without abandons (patience cannot be told from infinite: use Erlang C).
pub fn patience_from_abandons(total_wait_secs: f64, abandons: u64) -> Option<f64> {
    if abandons == 0 || !total_wait_secs.is_finite() || total_wait_secs <= 0.0 {
        return None;
    }
    Some(total_wait_secs / abandons as f64)
}

/// Erlang A figures for `agents` agents and a service-level threshold of `within_secs`.
pub fn figures(agents: u32, load: Load, within_secs: f64) -> Result<ErlangAFigures, StaffingError> {
    load.check()?;
    if !within_secs.is_finite() || within_secs < 0.0 {
        return Err(StaffingError::Invalid {
            what: "service-level threshold",
            value: within_secs,
        });
    }
    let lambda = load.arrivals_per_sec;
    let mu = 1.0 / load.aht_secs;
    let theta = 1.0 / load.patience_secs;
    if lambda == 0.0 {
        return Ok(ErlangAFigures {
            agents,
            p_wait: 0.0,
            p_abandon: 0.0,
            service_level: 1.0,
            asa_secs: 0.0,
            mean_wait_secs: 0.0,
            occupancy: 0.0,
        });
    }
    let n = f64::from(agents);
    let (p_no_wait, queue) =
        arrival_view(agents, lambda, mu, theta).ok_or(StaffingError::QueueTooLong { agents })?;
    let p_wait = 1.0 - p_no_wait;
    let expected_queue: f64 = queue.iter().enumerate().map(|(k, p)| k as f64 * p).sum();

    // Per caller with k ahead: h = P(answered), m = E[wait; answered].
    let head = n * mu;
    let mut answered = p_no_wait;
    let mut wait_answered = 0.0;
    let (mut h, mut m) = (0.0, 0.0);
    for (k, p) in queue.iter().enumerate() {
        let up = head + k as f64 * theta;
        let out = up + theta;
        let (h_prev, m_prev) = if k == 0 { (1.0, 0.0) } else { (h, m) };
        h = up / out * h_prev;
        m = h / out + up / out * m_prev;
        answered += p * h;
        wait_answered += p * m;
    }
    let within = p_no_wait + answered_within(&queue, head, theta, within_secs);
    Ok(ErlangAFigures {
        agents,
        p_wait,
        p_abandon: (1.0 - answered).clamp(0.0, 1.0),
        service_level: within.clamp(0.0, 1.0),
        asa_secs: if answered > 0.0 {
            wait_answered / answered
        } else {
            f64::INFINITY
        },
        mean_wait_secs: expected_queue / lambda,
        occupancy: if agents == 0 {
            0.0
        } else {
            (lambda * answered * load.aht_secs / n).clamp(0.0, 1.0)
        },
    })
}

/// The fewest agents whose Erlang A service level meets `target` (0 without traffic).
/// The service level grows with agents, so a doubling then a bisection finds it.
pub fn agents_needed(load: Load, target: ServiceTarget) -> Result<u32, StaffingError> {
    load.check()?;
    target.check()?;
    if load.arrivals_per_sec == 0.0 {
        return Ok(0);
    }
    let meets = |agents: u32| -> Result<bool, StaffingError> {
        match figures(agents, load, target.within_secs) {
            Ok(f) => Ok(f.service_level >= target.fraction),
            // A queue that long misses any target.
            Err(StaffingError::QueueTooLong { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    };
    let mut hi = (load.erlangs().ceil() as u32).max(1);
    while !meets(hi)? {
        if hi >= MAX_AGENTS {
            return Err(StaffingError::Unreachable {
                erlangs: load.erlangs(),
            });
        }
        hi = hi.saturating_mul(2).min(MAX_AGENTS);
    }
    let mut lo = 0; // never meets: with no agents nobody is answered
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if meets(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// What an arriving caller sees: P(an agent is free), and P(k callers already waiting) for
/// k = 0.. (the caller waits in all of those). `None` when the queue runs past `MAX_QUEUE`.
fn arrival_view(agents: u32, lambda: f64, mu: f64, theta: f64) -> Option<(f64, Vec<f64>)> {
    let n = f64::from(agents);
    let ln_a = (lambda / mu).ln();
    // Log weights of 0..N busy agents: n·ln(a) − ln(n!).
    let mut busy = Vec::with_capacity(agents as usize + 1);
    let mut lw = 0.0;
    busy.push(lw);
    for i in 1..=agents {
        lw += ln_a - f64::from(i).ln();
        busy.push(lw);
    }
    // Log weights of N busy and k waiting, k ≥ 0 (k = 0 is the state "all busy, none waiting").
    let mut waiting = vec![lw];
    let mut max = busy.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut k = 0usize;
    loop {
        k += 1;
        lw += (lambda / (n * mu + k as f64 * theta)).ln();
        max = max.max(lw);
        // Once the chain drifts down, stop where a term is negligible against the largest.
        let drifting_down = lambda < n * mu + k as f64 * theta;
        if drifting_down && lw - max < TAIL.ln() {
            break;
        }
        if k >= MAX_QUEUE {
            return None;
        }
        waiting.push(lw);
    }
    let free: f64 = busy
        .iter()
        .take(agents as usize)
        .map(|w| (w - max).exp())
        .sum();
    let queue: Vec<f64> = waiting.iter().map(|w| (w - max).exp()).collect();
    let total = free + queue.iter().sum::<f64>();
    Some((free / total, queue.iter().map(|q| q / total).collect()))
}

/// Probability mass of `queue` (callers arriving with k ahead) answered within `t` seconds,
/// by uniformization of the tagged caller's chain.
fn answered_within(queue: &[f64], head: f64, theta: f64, t: f64) -> f64 {
    if t <= 0.0 || queue.is_empty() {
        return 0.0;
    }
    let top = queue.len() as f64 - 1.0;
    // The fastest way out of any state; slices with rate·Δ ≤ 30 keep e^(−rate·Δ) from underflow.
    let rate = head + top * theta + theta;
    let slices = (rate * t / 30.0).ceil().max(1.0);
    let dt = t / slices;
    let mut v = queue.to_vec();
    let mut answered = 0.0;
    for _ in 0..slices as u64 {
        answered += advance(&mut v, head, theta, rate, dt);
    }
    answered
}

/// Moves `v` on by `dt` (uniformized with `rate`) and returns the mass answered meanwhile.
fn advance(v: &mut Vec<f64>, head: f64, theta: f64, rate: f64, dt: f64) -> f64 {
    let x = rate * dt;
    let mut weight = (-x).exp(); // Poisson(j; x), j = 0
    let mut cumulative = weight;
    let mut step = v.clone(); // distribution after j uniformized jumps
    let mut after = v.iter().map(|p| p * weight).collect::<Vec<_>>();
    let mut answered_by_step = 0.0; // answered within j jumps
    let mut answered = 0.0;
    let mut j = 0u64;
    while 1.0 - cumulative > 1e-14 && j < 10_000 {
        j += 1;
        // One jump: k → k−1 at (head + kθ)/rate, the head → answered at head/rate, away at θ/rate.
        let mut next = vec![0.0; step.len()];
        for (k, p) in step.iter().enumerate() {
            let up = head + k as f64 * theta;
            let stay = 1.0 - (up + theta) / rate;
            if let Some(slot) = next.get_mut(k) {
                *slot += p * stay;
            }
            if k == 0 {
                answered_by_step += p * up / rate;
            } else if let Some(slot) = next.get_mut(k - 1) {
                *slot += p * up / rate;
            }
        }
        step = next;
        weight *= x / j as f64;
        cumulative += weight;
        for (a, p) in after.iter_mut().zip(&step) {
            *a += p * weight;
        }
        answered += weight * answered_by_step;
    }
    // Jumps beyond the truncation carry < 1e-14 of mass: count them as after the last one.
    let rest = 1.0 - cumulative;
    answered += rest * answered_by_step;
    for (a, p) in after.iter_mut().zip(&step) {
        *a += p * rest;
    }
    *v = after;
    answered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlang_c;

    fn load(calls_per_30min: f64, aht: f64, patience: f64) -> Load {
        Load {
            arrivals_per_sec: calls_per_30min / 1800.0,
            aht_secs: aht,
            patience_secs: patience,
        }
    }

    #[test]
    fn very_patient_callers_give_erlang_c() {
        let l = load(100.0, 180.0, 1e9);
        for n in [11, 13, 14, 20] {
            let a = figures(n, l, 20.0).unwrap();
            let c = erlang_c::figures(n, 10.0, 180.0, ServiceTarget::new(0.8, 20.0).unwrap());
            assert!((a.p_wait - c.p_wait).abs() < 1e-5, "{n}: {a:?} {c:?}");
            assert!(
                (a.service_level - c.service_level).abs() < 1e-5,
                "{n}: {a:?} {c:?}"
            );
            assert!(
                (a.mean_wait_secs - c.asa_secs).abs() < 1e-2,
                "{n}: {a:?} {c:?}"
            );
            assert!(a.p_abandon < 1e-5);
        }
    }

    #[test]
    fn abandons_balance_the_queue() {
        // θ·E[queue] = λ·P(abandon): callers leave the queue as fast as they give up.
        let l = load(100.0, 180.0, 60.0);
        for n in [5, 9, 10, 12, 14] {
            let f = figures(n, l, 20.0).unwrap();
            let from_queue = f.mean_wait_secs / l.patience_secs; // E[Q]θ/λ
            assert!((f.p_abandon - from_queue).abs() < 1e-9, "{n}: {f:?}");
            // Flow balance: answered calls keep the agents busy by exactly their handle time.
            let busy = l.arrivals_per_sec * (1.0 - f.p_abandon) * l.aht_secs;
            assert!((f.occupancy - busy / f64::from(n)).abs() < 1e-9);
        }
        // Stable with fewer agents than erlangs, at the price of abandons.
        let under = figures(8, l, 20.0).unwrap();
        assert!(under.p_abandon > 0.1 && under.p_abandon < 0.5, "{under:?}");
    }

    #[test]
    fn large_n_stays_finite() {
        let l = Load {
            arrivals_per_sec: 480.0 / 180.0,
            aht_secs: 180.0,
            patience_secs: 120.0,
        };
        let f = figures(500, l, 20.0).unwrap();
        for x in [
            f.p_wait,
            f.p_abandon,
            f.service_level,
            f.asa_secs,
            f.occupancy,
        ] {
            assert!(x.is_finite() && x >= 0.0, "{f:?}");
        }
        let target = ServiceTarget::new(0.8, 20.0).unwrap();
        let n = agents_needed(l, target).unwrap();
        assert!(figures(n, l, 20.0).unwrap().service_level >= 0.8);
        assert!(figures(n - 1, l, 20.0).unwrap().service_level < 0.8);
        // Patience trims the queue: fewer agents than the 480 erlangs suffice (9 % give up).
        assert!((400..480).contains(&n), "{n}");
    }

    #[test]
    fn agents_needed_is_the_first_count_meeting_the_target() {
        let target = ServiceTarget::new(0.8, 20.0).unwrap();
        let l = load(100.0, 180.0, 120.0);
        let n = agents_needed(l, target).unwrap();
        assert!(figures(n, l, 20.0).unwrap().service_level >= 0.8);
        assert!(figures(n - 1, l, 20.0).unwrap().service_level < 0.8);
        // Abandons relieve the queue: no more agents than Erlang C asks for here.
        assert!(n <= 14, "{n}");
    }

    #[test]
    fn patience_is_total_wait_over_abandons() {
        assert_eq!(patience_from_abandons(3600.0, 30), Some(120.0));
        assert_eq!(patience_from_abandons(3600.0, 0), None);
        assert_eq!(patience_from_abandons(f64::NAN, 3), None);
        assert!(figures(10, load(100.0, 180.0, 0.0), 20.0).is_err());
        // Half the agents needed and callers patient for a year: no distribution to compute,
        // yet the search still finds the staffing (Erlang C's, as good as no abandons).
        let stoic = load(100.0, 180.0, 3.2e7);
        assert!(matches!(
            figures(5, stoic, 20.0),
            Err(StaffingError::QueueTooLong { agents: 5 })
        ));
        assert_eq!(
            agents_needed(stoic, ServiceTarget::new(0.8, 20.0).unwrap()).unwrap(),
            14
        );
    }
}
