//! A small, deterministic, coverage-free mutation fuzzer for Switchboard, on stable Rust.
//!
//! Each [`Target`] loads a seed corpus from the repository (the RFC 4475/5118 torture messages,
//! the shipped dialplans, built-in SDP/RTP/INVITE samples), derives inputs from it with byte,
//! line and token mutations ([`mutate`]) seeded by `--seed`, and runs its entry point under
//! `catch_unwind`. A panic is a crash: the input is written to
//! `target/fuzz-crashes/<target>/<hash>` and counted. `switchboard-fuzz <target> --seconds N
//! --seed S` runs one target; `crates/fuzz/run.sh` runs them all. The unit tests run every
//! target for a few hundred fixed-seed iterations so the harness cannot rot unnoticed.

pub mod mutate;
mod targets;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use targets::Target;

/// Where a run stops.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    Iterations(u64),
    Time(Duration),
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub iterations: u64,
    /// Crashing inputs, each saved under its hash.
    pub crashes: Vec<PathBuf>,
}

/// Runs `target` over mutations of its corpus until `budget` is spent.
pub fn run(target: Target, budget: Budget, seed: u64, crash_dir: &Path) -> Report {
    let corpus = target.corpus();
    let mut rng = mutate::Rng::new(seed);
    let mut ctx = target.context();
    let mut report = Report::default();
    // A panic inside a target is expected and reported; keep stderr to the summary.
    let quiet = std::env::var_os("FUZZ_SHOW_PANICS").is_none();
    let previous_hook = std::panic::take_hook();
    if quiet {
        std::panic::set_hook(Box::new(|_| {}));
    }
    #[allow(clippy::disallowed_methods)] // the fuzzer runs on the wall clock by design
    let started = Instant::now();
    loop {
        match budget {
            Budget::Iterations(n) if report.iterations >= n => break,
            Budget::Time(d) if report.iterations % 64 == 0 && started.elapsed() >= d => break,
            _ => {}
        }
        // Seeds themselves come first: a crash on an unmutated seed is the cheapest to read.
        let input = match corpus.get(report.iterations as usize) {
            Some(seed) => seed.clone(),
            None => mutate::mutate(&mut rng, &corpus),
        };
        report.iterations += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| target.exec(&mut ctx, &input)));
        if outcome.is_err() {
            let path = save_crash(crash_dir, target, &input);
            eprintln!("CRASH {} -> {}", target.name(), path.display());
            report.crashes.push(path);
            // State after a panic may be torn: start the target's context afresh.
            ctx = target.context();
        }
    }
    if quiet {
        std::panic::set_hook(previous_hook);
    }
    report
}

fn save_crash(dir: &Path, target: Target, input: &[u8]) -> PathBuf {
    let mut h = DefaultHasher::new();
    input.hash(&mut h);
    let dir = dir.join(target.name());
    let path = dir.join(format!("{:016x}", h.finish()));
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input)) {
        eprintln!("cannot save crash {}: {e}", path.display());
    }
    path
}

/// The repository root (seed files are read from it).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every target runs a fixed-seed batch without crashing: the harness builds, its corpus
    /// loads, and any crash fixed since stays fixed for these inputs.
    #[test]
    fn every_target_runs_a_fixed_seed_batch_cleanly() {
        let dir =
            std::env::temp_dir().join(format!("switchboard-fuzz-test-{}", std::process::id()));
        for t in Target::ALL {
            assert!(!t.corpus().is_empty(), "{} has no seeds", t.name());
            let iterations = match t {
                Target::Switch | Target::Dialplan | Target::InDialog => 150,
                _ => 2000,
            };
            let r = run(t, Budget::Iterations(iterations), 42, &dir);
            assert_eq!(r.iterations, iterations);
            assert!(
                r.crashes.is_empty(),
                "{} crashed: {:?}",
                t.name(),
                r.crashes
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_run_is_reproducible_from_its_seed() {
        let corpus = Target::Sip.corpus();
        let a: Vec<_> = {
            let mut r = mutate::Rng::new(7);
            (0..50).map(|_| mutate::mutate(&mut r, &corpus)).collect()
        };
        let mut r = mutate::Rng::new(7);
        let b: Vec<_> = (0..50).map(|_| mutate::mutate(&mut r, &corpus)).collect();
        assert_eq!(a, b);
    }
}
