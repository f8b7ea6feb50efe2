#!/bin/bash
# Overload: the switch with a cap on calls in progress, offered 150 % of what the cap admits.
# Three steps on one switch process, the callee SIPp answering throughout:
#   before    NORMAL calls/s for STEP s: every call completes, no 503
#   overload  1.5 x CAPACITY calls/s for OVER s: the calls over the cap get 503 + Retry-After at
#             once (counted), every call the switch accepted completes (no failed call)
#   after     NORMAL calls/s again: the switch has recovered (every call completes, no 503)
# CAPACITY = CAP / hold: by Little's law, the call rate whose calls in progress fill the cap.
#
#   tests/bench/overload.sh
#   CAP=300 HOLD=1000 OVER=30 STEP=10         cap (max_calls), call hold in ms, step lengths
#   NORMAL=...                                default: CAPACITY / 2
#   SWITCHBOARD_BIN=...                       default /work/target-bench/release/switchboard
#   OUT=/tmp/switchboard-bench/overload-<time>
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LIB="python3 $HERE/benchlib.py"
BIN=${SWITCHBOARD_BIN:-/work/target-bench/release/switchboard}
CAP=${CAP:-300}
HOLD=${HOLD:-1000}
OVER=${OVER:-30}
STEP=${STEP:-10}
CAPACITY=$((CAP * 1000 / HOLD))
NORMAL=${NORMAL:-$((CAPACITY / 2))}
OFFERED=$((CAPACITY * 3 / 2))
OUT=${OUT:-/tmp/switchboard-bench/overload-$(date +%Y%m%d-%H%M%S)}
BUFF=4194304

command -v sipp >/dev/null || { echo "sipp not found" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no switch binary at $BIN" >&2; exit 1; }
mkdir -p "$OUT"
echo "results in $OUT; cap $CAP calls, capacity $CAPACITY calls/s, offered $OFFERED" >&2

PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  wait 2>/dev/null
  PIDS=()
}
trap 'stop_all; exit 130' INT TERM

read -r SIP HTTP UAS UAC UAS_MP UAC_MP < <($LIB ports 6)
CFG=$(MAX_CALLS=$CAP $LIB config "$OUT" "$SIP" "$HTTP" 10000 32767)
"$BIN" serve --config "$CFG" >"$OUT/switch.out" 2>"$OUT/switch.log" &
PIDS+=($!)
$LIB wait-http "$HTTP" 20 || { echo "switch did not start" >&2; stop_all; exit 1; }
(cd "$OUT" && sipp "127.0.0.1:$SIP" -sf "$ROOT/tests/sipp/register.xml" -i 127.0.0.1 -p "$UAS" \
  -au 2002 -ap bench-2002-secret -s 2002 -m 1 -nostdin -timeout 10s >register.log 2>&1) ||
  { echo "callee registration failed" >&2; stop_all; exit 1; }
(cd "$OUT" && exec sipp -sf "$HERE/uas.xml" -i 127.0.0.1 -p "$UAS" -mp "$UAS_MP" -nostdin \
  -buff_size $BUFF >uas.log 2>&1) &
PIDS+=($!)
sleep 1

# step NAME RATE SECONDS: one SIPp caller run; prints a JSON line.
step() {
  local name=$1 rate=$2 secs=$3 d="$OUT/$1"
  mkdir -p "$d"
  (cd "$d" && sipp "127.0.0.1:$SIP" -sf "$HERE/uac_overload.xml" -i 127.0.0.1 -p "$UAC" \
    -mp "$UAC_MP" -s 2002 -key caller 2001 -au 2001 -ap bench-2001-secret -r "$rate" \
    -m $((rate * secs)) -d "$HOLD" -timeout $((secs + 40))s -recv_timeout 10s \
    -buff_size $BUFF -max_recv_loops 10000 -trace_stat -stf stat.csv -fd 1 -trace_counts \
    -trace_err -nostdin >uac.log 2>&1)
  local rc=$? refused stats total
  refused=$($LIB received "$(ls "$d"/*_counts.csv | head -1)" 503)
  stats=$($LIB stat "$d/stat.csv")
  sleep 1 # the status is refreshed every 500 ms
  total=$($LIB status "$HTTP" overload_refusals)
  echo "{\"step\":\"$name\",\"rate\":$rate,\"secs\":$secs,\"sipp_rc\":$rc,\"refused_503\":$refused,\"switch_refusals_total\":$total,\"stats\":$stats}" |
    tee -a "$OUT/summary.jsonl"
}

step before "$NORMAL" "$STEP"
step overload "$OFFERED" "$OVER"
sleep 5
step after "$NORMAL" "$STEP"
stop_all
python3 - "$OUT/summary.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"{'step':<9} {'calls/s':>7} {'offered':>8} {'503':>7} {'completed':>9} {'failed':>6}  pass")
ok = True
for r in rows:
    st = r["stats"] or {}
    offered, refused, failed = st.get("created", 0), r["refused_503"], st.get("failed", 0)
    completed = st.get("ok", 0) - refused
    good = failed == 0 and (refused > 0 if r["step"] == "overload" else refused == 0)
    ok &= good
    print(f"{r['step']:<9} {r['rate']:>7} {offered:>8} {refused:>7} {completed:>9} {failed:>6}  {'yes' if good else 'NO'}")
sys.exit(0 if ok else 1)
PY
