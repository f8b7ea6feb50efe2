//! `switchboard-fuzz <target|all> [--seconds N] [--iterations N] [--seed S]`: see the crate docs.

use fuzz::{run, Budget, Target};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        let names: Vec<_> = Target::ALL.iter().map(|t| t.name()).collect();
        eprintln!(
            "usage: switchboard-fuzz <{}|all> [--seconds N] [--iterations N] [--seed S]",
            names.join("|")
        );
        ExitCode::from(2)
    };
    let Some(name) = args.first() else {
        return usage();
    };
    let mut budget = Budget::Time(Duration::from_secs(60));
    let mut seed = 1u64;
    let mut rest = args.iter().skip(1);
    while let Some(flag) = rest.next() {
        let Some(value) = rest.next().and_then(|v| v.parse::<u64>().ok()) else {
            return usage();
        };
        match flag.as_str() {
            "--seconds" => budget = Budget::Time(Duration::from_secs(value)),
            "--iterations" => budget = Budget::Iterations(value),
            "--seed" => seed = value,
            _ => return usage(),
        }
    }
    let targets: Vec<Target> = if name == "all" {
        Target::ALL.to_vec()
    } else if let Some(t) = Target::ALL.iter().find(|t| t.name() == name) {
        vec![*t]
    } else {
        return usage();
    };
    let crash_dir = std::env::var_os("FUZZ_CRASH_DIR")
        .map(Into::into)
        .unwrap_or_else(|| fuzz::repo_root().join("target/fuzz-crashes"));
    let mut crashed = false;
    for t in targets {
        let r = run(t, budget, seed, &crash_dir);
        println!(
            "{}: {} iterations, {} crashes (seed {seed})",
            t.name(),
            r.iterations,
            r.crashes.len()
        );
        for c in &r.crashes {
            println!("  {}", c.display());
        }
        crashed |= !r.crashes.is_empty();
    }
    if crashed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
