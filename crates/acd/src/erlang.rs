//! Erlang C: the queueing-theory oracle (M/M/N, no abandons) the simulation test checks the
//! ACD against, also usable for staffing estimates.

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
    // Erlang B by its recurrence stays finite where A^N / N! overflows.
    let mut b = 1.0;
    for k in 1..=agents {
        b = erlangs * b / (f64::from(k) + erlangs * b);
    }
    n * b / (n - erlangs * (1.0 - b))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() < eps
    }

    #[test]
    fn textbook_values() {
        assert!(close(erlang_c(2, 1.0), 1.0 / 3.0, 1e-12));
        assert!(close(erlang_c(3, 2.0), 4.0 / 9.0, 1e-12));
        assert!(close(service_level(14, 10.0, 180.0, 20.0), 0.8884, 5e-5));
        assert!(close(service_level(13, 10.0, 180.0, 20.0), 0.7956, 5e-5));
        assert!(close(average_speed_of_answer(14, 10.0, 180.0), 7.84, 5e-3));
        assert_eq!(erlang_c(10, 10.0), 1.0);
        assert_eq!(erlang_c(5, 0.0), 0.0);
    }
}
