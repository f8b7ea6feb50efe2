#!/bin/bash
# Memory per call in progress: the switch's RSS with N long calls up, minus its RSS before them,
# divided by N. Not part of the test suite.
#
#   tests/bench/mem_per_call.sh [signalling|media ...]   default: both
#   CALLS=2000                     calls held at once
#   RATE=200 RATE_MEDIA=50         set-up rate (with media, lower: every new call plays 6.4 s of
#                                  G.711 both ways through the relay, and the relay must keep up)
#   OUT=/tmp/switchboard-bench/mem-<time>   SWITCHBOARD_BIN=...
#
# signalling: calls without RTP (relay sessions allocated, no packets). media: the caller plays
# G.711 (pcap) and the callee echoes it, so every relay session has latched and forwarded.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LIB="python3 $HERE/benchlib.py"
BIN=${SWITCHBOARD_BIN:-/work/target-bench/release/switchboard}
CALLS=${CALLS:-2000}
RATE=${RATE:-200}
RATE_MEDIA=${RATE_MEDIA:-50}
OUT=${OUT:-/tmp/switchboard-bench/mem-$(date +%Y%m%d-%H%M%S)}
BUFF=4194304
VARIANTS=("$@")
[ ${#VARIANTS[@]} -eq 0 ] && VARIANTS=(signalling media)
[ -x "$BIN" ] || { echo "no switch binary at $BIN" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true
mkdir -p "$OUT"
echo "results in $OUT" >&2

PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  wait 2>/dev/null
  PIDS=()
}
trap 'stop_all; exit 130' INT TERM

status() { # $1: HTTP port, $2: field of /api/status
  python3 - "$1" "$2" <<'PY'
import json, sys, urllib.request
try:
    req = urllib.request.Request(
        f"http://127.0.0.1:{sys.argv[1]}/api/status",
        headers={"Authorization": "Bearer bench-token-0123456789abcdef0123456789"},
    )
    with urllib.request.urlopen(req, timeout=2) as r:
        print(json.load(r).get(sys.argv[2], 0))
except OSError:
    print(0)
PY
}
rss_kb() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["rss_kb"])' "$($LIB mem "$1")"; }

run_variant() {
  local variant=$1 d="$OUT/$1"
  rm -rf "$d"; mkdir -p "$d"
  local sip http uas_port uac_port uas_mp uac_mp
  read -r sip http uas_port uac_port uas_mp uac_mp < <($LIB ports 6)
  local cfg
  cfg=$($LIB config "$d" "$sip" "$http" 10000 32767)
  "$BIN" serve --config "$cfg" >"$d/switch.out" 2>"$d/switch.log" &
  local sw=$!
  PIDS+=("$sw")
  $LIB wait-http "$http" 20 || { echo "switch did not start" >&2; stop_all; return; }
  (cd "$d" && sipp "127.0.0.1:$sip" -sf "$ROOT/tests/sipp/register.xml" -i 127.0.0.1 -p "$uas_port" \
    -au 2002 -ap bench-2002-secret -s 2002 -m 1 -nostdin -timeout 10s >register.log 2>&1) ||
    { echo "registration failed" >&2; stop_all; return; }
  local scen=uac_auth.xml echo=() rate=$RATE
  [ "$variant" = media ] && { scen=uac_auth_rtp.xml; echo=(-rtp_echo); rate=$RATE_MEDIA; }
  (cd "$d" && exec sipp -sf "$HERE/uas.xml" -i 127.0.0.1 -p "$uas_port" -mp "$uas_mp" "${echo[@]}" \
    -nostdin -buff_size $BUFF >uas.log 2>&1) &
  PIDS+=("$!")
  # Warm-up: a few short calls so one-time allocations (runtime, database pool, first CDR batch)
  # are in the baseline, not in the per-call figure.
  (cd "$d" && sipp "127.0.0.1:$sip" -sf "$HERE/$scen" -i 127.0.0.1 -p "$uac_port" -mp "$uac_mp" \
    -s 2002 -key caller 2001 -au 2001 -ap bench-2001-secret -r 50 -m 100 -d 200 -nostdin \
    -timeout 60s >warmup.log 2>&1) || echo "warning: warm-up calls failed ($d/warmup.log)" >&2
  sleep 3
  local base
  base=$(rss_kb "$sw")
  local hold=$(( (CALLS / rate + 30) * 1000 ))
  (cd "$d" && exec sipp "127.0.0.1:$sip" -sf "$HERE/$scen" -i 127.0.0.1 -p "$uac_port" -mp "$uac_mp" \
    -s 2002 -key caller 2001 -au 2001 -ap bench-2001-secret -r "$rate" -m "$CALLS" -l "$CALLS" \
    -d "$hold" -buff_size $BUFF -timeout $((hold / 1000 + 60))s -trace_stat -stf stat.csv -fd 1 \
    -trace_err -nostdin >uac.log 2>&1) &
  local uac=$!
  PIDS+=("$uac")
  local active=0 waited=0
  while [ "$active" -lt "$CALLS" ] && [ $waited -lt $((CALLS / rate + 60)) ]; do
    sleep 1; waited=$((waited + 1))
    active=$(status "$http" active_calls)
  done
  # Let the last calls' media (6.4 s of pcap) run out and the allocator settle.
  sleep 8
  active=$(status "$http" active_calls)
  local peak
  peak=$(rss_kb "$sw")
  local mem_at_peak
  mem_at_peak=$($LIB mem "$sw")
  stop_all
  python3 - "$variant" "$CALLS" "$active" "$base" "$peak" "$mem_at_peak" <<'PY' | tee -a "$OUT/summary.jsonl"
import json, sys
variant, calls, active, base, peak = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
mem = json.loads(sys.argv[6])
print(json.dumps({
    "variant": variant, "calls_offered": calls, "calls_active": active,
    "rss_before_kb": base, "rss_with_calls_kb": peak, "hwm_kb": mem["hwm_kb"],
    "kb_per_call": round((peak - base) / active, 1) if active else None,
}))
PY
}

for v in "${VARIANTS[@]}"; do run_variant "$v"; done
