#!/bin/sh
# Side-by-side RTP relay cost: the bare C relay (perfkit relay_bench, basic mode) and ours, same
# call counts, alternating so both see the same machine state. One JSON line per run on stdout.
# usage: [SECS=8] crates/media/benches/relay_vs_c.sh [CALLS...]   (default 50 200 500)
set -eu
SECS=${SECS:-8}
CALLS=${*:-50 200 500}
cd "$(dirname "$0")/../../.."
gcc -O2 -o /tmp/relay_bench ../shared/perfkit/relaybench/relay_bench.c -lpthread
cargo bench -q -p switchboard-media --bench relay --no-run 2>/dev/null
for n in $CALLS; do
    /tmp/relay_bench basic "$n" "$SECS"
    cargo bench -q -p switchboard-media --bench relay -- "$n" --secs "$SECS" 2>/dev/null
done
