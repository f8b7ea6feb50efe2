#!/usr/bin/env bash
# Instructions per call through the switch core, counted by callgrind (docs/benchmarks.md,
# "Instructions per call"). Usage: crates/switch/benches/callgrind.sh [calls] [at-once]
# Builds the `calls` bench in release, runs it with 0 calls (registrations only) and with
# `calls`, and prints (total − baseline) / calls and the top functions. Needs valgrind.
set -euo pipefail
calls=${1:-1000}
at_once=${2:-100}
target=${CARGO_TARGET_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/target}
out=${OUT:-/tmp/switchboard-callgrind}
mkdir -p "$out"
CARGO_INCREMENTAL=0 cargo build --release -p switchboard-switch --bench calls >&2
bin=$(ls -t "$target"/release/deps/calls-* | grep -v '\.d$' | head -1)
count() { # calls → instructions collected inside the core
  valgrind --tool=callgrind --callgrind-out-file="$out/calls-$1.out" \
    --toggle-collect='calls::driver_input' --toggle-collect='switch::Switch::poll_*' \
    --toggle-collect='switch::Switch::media_allocated' \
    --toggle-collect='switch::Switch::handle_timeout' \
    "$bin" "$1" "$at_once" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'
}
base=$(count 0)
total=$(count "$calls")
echo "$calls calls, $at_once at once: $(( (total - base) / calls )) instructions per call"
echo "(profile: $out/calls-$calls.out)"
callgrind_annotate "$out/calls-$calls.out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | sed -n 2,6p
callgrind_annotate --inclusive=yes "$out/calls-$calls.out" 2>/dev/null \
  | grep -E '^ *[0-9,]+ \(' | grep -E 'crates/(sip|switch|media)/src' | head -8
