#!/usr/bin/env bash
# Coverage-guided fuzzing with AFL++ (cargo-afl, stable Rust): each of switchboard-fuzz's
# targets under AFL's instrumentation, seeded with the same corpus, for a set time.
#   crates/fuzz/afl.sh [SECONDS_PER_TARGET=600] [TARGET...]
# Needs `cargo install cargo-afl` (it builds AFL++ itself; `cargo afl config --build` once).
# Findings land in target/afl/<target>/default/{crashes,hangs}; the exit status is non-zero
# if any target found a crash. A crash file replays with
#   target/afl-build/release/switchboard-fuzz-afl <target> < FILE
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
secs=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(sip sdp rtp rtcp dialplan switch in-dialog)
fi
command -v cargo-afl >/dev/null || cargo install cargo-afl
export CARGO_TARGET_DIR=${AFL_TARGET_DIR:-$root/target/afl-build}
(cd crates/fuzz/afl && cargo afl build --release)
bin=$CARGO_TARGET_DIR/release/switchboard-fuzz-afl
# AFL's checks for the machine's CPU governor and core dump handler refuse to start in
# containers; neither changes what is found, only how fast.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
status=0
for t in "${targets[@]}"; do
    work=$root/target/afl/$t
    rm -rf "$work/in"
    "$bin" "$t" --dump-corpus "$work/in"
    # -V: stop after the time; -t: a switch target input runs a whole call (ms timeout).
    nice -n 10 cargo afl fuzz -i "$work/in" -o "$work" -V "$secs" -t 2000 -- "$bin" "$t" \
        > "$work.log" 2>&1 || true
    stats=$work/default/fuzzer_stats
    crashes=$(find "$work/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
    execs=$(awk -F': *' '/^execs_done/ {print $2}' "$stats" 2>/dev/null || echo "?")
    edges=$(awk -F': *' '/^edges_found/ {print $2}' "$stats" 2>/dev/null || echo "?")
    echo "$t: ${secs}s, $execs executions, $edges edges, $crashes crashes"
    [ "$crashes" -eq 0 ] || status=1
done
exit $status
