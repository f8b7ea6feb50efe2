#!/usr/bin/env bash
# Runs every fuzz target for a set time, one after another, at low priority.
#   crates/fuzz/run.sh [SECONDS_PER_TARGET=300] [SEED=$(date +%s)]
# Crashing inputs land in target/fuzz-crashes/<target>/<hash>; the exit status is non-zero if
# any target crashed. To study a crash, feed the saved file to the entry point the target names
# in crates/fuzz/src/targets.rs (FUZZ_SHOW_PANICS=1 prints the panic messages during a run).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-300}
seed=${2:-$(date +%s)}
cargo build --release -p switchboard-fuzz
bin=${CARGO_TARGET_DIR:-target}/release/switchboard-fuzz
status=0
for t in sip sdp rtp rtcp dialplan switch in-dialog; do
    nice -n 10 "$bin" "$t" --seconds "$secs" --seed "$seed" || status=1
done
exit $status
