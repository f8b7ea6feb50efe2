//! Erlang A checked against a discrete-event simulation of M/M/N+M written here: Poisson
//! arrivals, exponential handle times and exponential patience, first come first served,
//! seeded and in virtual time.
//!
//! The simulation needs no event queue: with first-come-first-served order, callers can be
//! taken in arrival order, each meeting the earliest time an agent is free. A caller whose
//! patience runs out before then gives up and takes no agent time. Tolerance: ±1 point on the
//! probabilities and ±4 % on waiting times over 1,000,000 calls per case (the spread across
//! seeds was about a quarter of that).

mod common;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use common::Rng;
use staffing::erlang_a::{figures, patience_from_abandons, Load};

#[derive(Debug)]
struct Measured {
    p_wait: f64,
    p_abandon: f64,
    service_level: f64,
    asa: f64,
    mean_wait: f64,
    /// The estimator fed with the simulated calls: total wait of all calls / abandons.
    patience_estimate: f64,
}

fn simulate(agents: u32, load: Load, within: f64, calls: u64, seed: u64) -> Measured {
    let mut rng = Rng(seed);
    // Agent free times in nanoseconds (ordered integers for the heap).
    let mut free: BinaryHeap<Reverse<u64>> = (0..agents).map(|_| Reverse(0)).collect();
    let ns = |s: f64| (s * 1e9) as u64;
    let warm_up = 10_000;
    let (mut waited, mut abandoned, mut within_t, mut answered) = (0u64, 0u64, 0u64, 0u64);
    let (mut wait_answered, mut wait_all) = (0.0, 0.0);
    let mut now = 0.0;
    for i in 0..calls + warm_up {
        now += rng.exp(1.0 / load.arrivals_per_sec);
        let patience = rng.exp(load.patience_secs);
        let service = rng.exp(load.aht_secs);
        let Reverse(earliest) = *free.peek().expect("at least one agent");
        let wait = (earliest as f64 / 1e9 - now).max(0.0);
        let measured = i >= warm_up;
        if wait > patience {
            if measured {
                waited += 1;
                abandoned += 1;
                wait_all += patience;
            }
            continue;
        }
        free.pop();
        free.push(Reverse(ns(now + wait + service)));
        if measured {
            answered += 1;
            waited += u64::from(wait > 0.0);
            within_t += u64::from(wait <= within);
            wait_answered += wait;
            wait_all += wait;
        }
    }
    let n = calls as f64;
    Measured {
        p_wait: waited as f64 / n,
        p_abandon: abandoned as f64 / n,
        service_level: within_t as f64 / n,
        asa: wait_answered / answered as f64,
        mean_wait: wait_all / n,
        patience_estimate: patience_from_abandons(wait_all, abandoned).unwrap_or(f64::NAN),
    }
}

fn check(agents: u32, calls_per_30min: f64, aht: f64, patience: f64) {
    let load = Load {
        arrivals_per_sec: calls_per_30min / 1800.0,
        aht_secs: aht,
        patience_secs: patience,
    };
    let seed = std::env::var("STAFFING_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(13);
    let sim = simulate(agents, load, 20.0, 1_000_000, seed);
    let model = figures(agents, load, 20.0).unwrap();
    println!("N={agents} patience={patience}: model {model:?}\n  simulated {sim:?}");
    let near = |m: f64, s: f64, abs: f64| (m - s).abs() <= abs;
    assert!(near(model.p_wait, sim.p_wait, 0.01), "P(wait)");
    assert!(near(model.p_abandon, sim.p_abandon, 0.01), "P(abandon)");
    assert!(near(model.service_level, sim.service_level, 0.01), "SL");
    assert!(
        near(model.asa_secs, sim.asa, 0.04 * sim.asa.max(1.0)),
        "ASA"
    );
    assert!(
        near(
            model.mean_wait_secs,
            sim.mean_wait,
            0.04 * sim.mean_wait.max(1.0)
        ),
        "mean wait"
    );
    // The estimator recovers the patience the callers were drawn with.
    assert!(
        near(sim.patience_estimate, patience, 0.04 * patience),
        "patience estimate"
    );
}

#[test]
fn fewer_agents_than_erlangs_is_stable_with_abandons() {
    check(9, 100.0, 180.0, 120.0);
}

#[test]
fn near_the_target_with_impatient_callers() {
    check(11, 100.0, 180.0, 60.0);
}

#[test]
fn well_staffed_with_patient_callers() {
    check(13, 100.0, 180.0, 300.0);
}

#[test]
fn a_larger_center() {
    check(95, 1000.0, 180.0, 90.0);
}
