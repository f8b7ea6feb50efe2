//! Erlang C (M/M/N, callers never give up): the probability of waiting, the service level, the
//! average speed of answer and the agents a service-level target needs. The ACD's simulation
//! test (`crates/acd/tests/erlang_sim.rs`) checks the real queue against these.
//!
//! Numerics: Erlang B by its recurrence `B(k) = A·B(k−1) / (k + A·B(k−1))` stays in [0, 1] at
//! every step, so nothing overflows where `A^N / N!` would (N = 500 and beyond), and Erlang C
//! follows as `N·B / (N − A·(1 − B))`.

use crate::{ServiceTarget, StaffingError};

/// Probability that a caller waits at all, for `agents` agents and `erlangs` of traffic
/// (arrival rate × handle time). 1.0 when the queue is unstable (`erlangs >= agents`).
pub fn erlang_c(agents: u32, erlangs: f64) -> f64 {
    let n = f64::from(agents);
    if agents == 0 || erlangs >= n {
        return 1.0;
    }
    if erlangs <= 0.0 {
        return 0.0;
    }
    let b = erlang_b(agents, erlangs);
    n * b / (n - erlangs * (1.0 - b))
}

/// Erlang B: the blocking probability of `agents` servers with no queue (its recurrence).
pub fn erlang_b(agents: u32, erlangs: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=agents {
        b = erlangs * b / (f64::from(k) + erlangs * b);
    }
    b
}

/// Fraction of callers answered within `threshold_secs`, for handle time `aht_secs`.
pub fn service_level(agents: u32, erlangs: f64, aht_secs: f64, threshold_secs: f64) -> f64 {
    let n = f64::from(agents);
    if erlangs >= n {
        return 0.0;
    }
    1.0 - erlang_c(agents, erlangs) * (-(n - erlangs) * threshold_secs / aht_secs).exp()
}

/// Average speed of answer (mean wait over all callers), in seconds.
pub fn average_speed_of_answer(agents: u32, erlangs: f64, aht_secs: f64) -> f64 {
    let n = f64::from(agents);
    if erlangs >= n {
        return f64::INFINITY;
    }
    erlang_c(agents, erlangs) * aht_secs / (n - erlangs)
}

/// Share of the agents' time spent on calls (capped at 1 when the queue is unstable).
pub fn occupancy(agents: u32, erlangs: f64) -> f64 {
    if agents == 0 {
        return 1.0;
    }
    (erlangs / f64::from(agents)).clamp(0.0, 1.0)
}

/// What Erlang C predicts for one number of agents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangCFigures {
    pub agents: u32,
    /// Probability of waiting.
    pub p_wait: f64,
    /// Fraction answered within the target's threshold.
    pub service_level: f64,
    /// Mean wait over all callers, seconds.
    pub asa_secs: f64,
    pub occupancy: f64,
}

/// The figures for `agents` agents.
pub fn figures(agents: u32, erlangs: f64, aht_secs: f64, target: ServiceTarget) -> ErlangCFigures {
    ErlangCFigures {
        agents,
        p_wait: erlang_c(agents, erlangs),
        service_level: service_level(agents, erlangs, aht_secs, target.within_secs),
        asa_secs: average_speed_of_answer(agents, erlangs, aht_secs),
        occupancy: occupancy(agents, erlangs),
    }
}

/// The most agents an answer may name: a bound on the search, not a realistic center.
pub const MAX_AGENTS: u32 = 100_000;

/// The fewest agents meeting `target` for `erlangs` of traffic with handle time `aht_secs`
/// (0 when there is no traffic).
pub fn agents_needed(
    erlangs: f64,
    aht_secs: f64,
    target: ServiceTarget,
) -> Result<u32, StaffingError> {
    check_load(erlangs, aht_secs)?;
    target.check()?;
    if erlangs == 0.0 {
        return Ok(0);
    }
    // Stability needs more agents than erlangs; start at the first stable count.
    let floor = erlangs.floor();
    if floor >= f64::from(MAX_AGENTS) {
        return Err(StaffingError::Unreachable { erlangs });
    }
    let mut n = floor as u32 + 1;
    while n <= MAX_AGENTS {
        if service_level(n, erlangs, aht_secs, target.within_secs) >= target.fraction {
            return Ok(n);
        }
        n += 1;
    }
    Err(StaffingError::Unreachable { erlangs })
}

/// Erlangs and handle time must be finite, non-negative and (for the handle time) positive.
pub(crate) fn check_load(erlangs: f64, aht_secs: f64) -> Result<(), StaffingError> {
    if !erlangs.is_finite() || erlangs < 0.0 {
        return Err(StaffingError::Invalid {
            what: "traffic (erlangs)",
            value: erlangs,
        });
    }
    if !aht_secs.is_finite() || aht_secs <= 0.0 {
        return Err(StaffingError::Invalid {
            what: "average handle time",
            value: aht_secs,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() < eps
    }

    /// Erlang C from the textbook sum, term by term in the log domain: an independent check of
    /// the recurrence at sizes where `A^N / N!` overflows.
    fn erlang_c_log_sum(agents: u32, a: f64) -> f64 {
        let n = f64::from(agents);
        let ln_fact = |k: u32| (1..=k).map(|i| f64::from(i).ln()).sum::<f64>();
        let mut terms: Vec<f64> = (0..agents)
            .map(|k| f64::from(k) * a.ln() - ln_fact(k))
            .collect();
        let last = n * a.ln() - ln_fact(agents) + (n / (n - a)).ln();
        terms.push(last);
        let max = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = terms.iter().map(|t| (t - max).exp()).sum();
        (last - max).exp() / sum
    }

    #[test]
    fn textbook_values() {
        assert!(close(erlang_c(2, 1.0), 1.0 / 3.0, 1e-12));
        assert!(close(erlang_c(3, 2.0), 4.0 / 9.0, 1e-12));
        assert_eq!(erlang_c(10, 10.0), 1.0);
        assert_eq!(erlang_c(5, 0.0), 0.0);
    }

    /// The worked example in ../shared/DESIGN.md, to the digits given there.
    #[test]
    fn design_worked_example() {
        let round = |x: f64, digits: i32| (x * 10f64.powi(digits)).round() / 10f64.powi(digits);
        // 100 calls per 30 min at 180 s: 10 erlangs.
        let a = 100.0 * 180.0 / 1800.0;
        assert_eq!(round(service_level(13, a, 180.0, 20.0) * 100.0, 2), 79.56);
        assert_eq!(round(service_level(14, a, 180.0, 20.0) * 100.0, 2), 88.84);
        assert_eq!(round(average_speed_of_answer(14, a, 180.0), 2), 7.84);
        let target = ServiceTarget::new(0.80, 20.0).unwrap();
        assert_eq!(agents_needed(a, 180.0, target).unwrap(), 14);
        let f = figures(14, a, 180.0, target);
        assert!(close(f.occupancy, 10.0 / 14.0, 1e-12));
    }

    #[test]
    fn large_n_is_finite_and_matches_the_log_domain_sum() {
        for (n, a) in [(500, 480.0), (500, 499.5), (2000, 1950.0), (50, 40.0)] {
            let c = erlang_c(n, a);
            let check = erlang_c_log_sum(n, a);
            assert!(
                c.is_finite() && (0.0..=1.0).contains(&c),
                "C({n}, {a}) = {c}"
            );
            assert!(close(c, check, 1e-9), "C({n}, {a}) = {c}, log sum {check}");
        }
        let target = ServiceTarget::new(0.80, 20.0).unwrap();
        let n = agents_needed(480.0, 180.0, target).unwrap();
        assert!(service_level(n, 480.0, 180.0, 20.0) >= 0.80);
        assert!(service_level(n - 1, 480.0, 180.0, 20.0) < 0.80);
        // Economies of scale: far fewer spare agents per erlang than at 10 erlangs.
        assert!((481..=500).contains(&n), "{n}");
    }

    #[test]
    fn no_traffic_needs_no_agents_and_bad_input_is_an_error() {
        let target = ServiceTarget::new(0.8, 20.0).unwrap();
        assert_eq!(agents_needed(0.0, 180.0, target).unwrap(), 0);
        assert!(agents_needed(f64::NAN, 180.0, target).is_err());
        assert!(agents_needed(5.0, 0.0, target).is_err());
        assert!(agents_needed(-1.0, 180.0, target).is_err());
    }
}
