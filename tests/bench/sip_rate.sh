#!/bin/bash
# SIP call-rate ladder through the release switch, with SIPp→SIPp direct and Kamailio (stateful
# proxy) measured in the same run as references. Not part of the test suite.
#
#   tests/bench/sip_rate.sh [RATE...]            default ladder: 500 1000 2000 3000
#   MODES="switch switch-rtp direct kamailio"    which targets, in this order per rate
#   DUR=15 HOLD=1000                             seconds offered per step; call hold in ms
#   RECORD=none                                  the switch's [recording] record (all: record)
#   OUT=/tmp/switchboard-bench/sip-rate-<time>   where per-step logs and summary.jsonl go
#   SWITCHBOARD_BIN=...                          default /work/target-bench/release/switchboard
#   KAM_OPTS="-x tlsf -m 2048" KAM_CHILDREN=4     Kamailio allocator, shared memory, UDP workers
#   PERF="-F 999 -g"                             also `perf record` the target in the steady state
#                                                (then: perf report -i STEP_DIR/perf.data)
#
# Modes: switch = authenticated calls (407 challenge, MD5 digest) through the switch, no RTP;
# switch-rtp = the same with G.711 played by the caller and echoed by the callee through the
# relay; direct = SIPp caller straight to the SIPp callee (the generator's ceiling); kamailio =
# the perfkit Kamailio config (tm + rr) between them. Pass: < 0.1 % failed calls.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LIB="python3 $HERE/benchlib.py"
PERFKIT=${PERFKIT:-$ROOT/../shared/perfkit}
BIN=${SWITCHBOARD_BIN:-/work/target-bench/release/switchboard}
MODES=${MODES:-switch switch-rtp direct kamailio}
DUR=${DUR:-15}
HOLD=${HOLD:-1000}
OUT=${OUT:-/tmp/switchboard-bench/sip-rate-$(date +%Y%m%d-%H%M%S)}
KAM_OPTS=${KAM_OPTS:--x tlsf -m 2048}
KAM_CHILDREN=${KAM_CHILDREN:-4}
BUFF=4194304
# Media ports below the kernel's ephemeral range (32768+), where SIPp and the kernel pick theirs.
MEDIA_MIN=${MEDIA_MIN:-10000}
MEDIA_MAX=${MEDIA_MAX:-32767}
RATES=("$@")
[ ${#RATES[@]} -eq 0 ] && RATES=(500 1000 2000 3000)

command -v sipp >/dev/null || { echo "sipp not found (apt-get install sip-tester)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no switch binary at $BIN; build it: CARGO_TARGET_DIR=/work/target-bench cargo build --release --bin switchboard" >&2; exit 1; }
if [[ " $MODES " == *" kamailio "* ]] && ! command -v kamailio >/dev/null; then
  echo "kamailio not installed: skipping that reference (apt-get install kamailio)" >&2
  MODES=${MODES//kamailio/}
fi
# SIPp and the switch ask for big socket buffers; the kernel caps them at rmem_max.
if [ "$(sysctl -n net.core.rmem_max 2>/dev/null || echo 0)" -lt 8388608 ]; then
  sysctl -qw net.core.rmem_max=8388608 net.core.wmem_max=8388608 2>/dev/null ||
    echo "warning: could not raise net.core.rmem_max (not root?); UDP drops may cap the rates" >&2
fi
ulimit -n 65536 2>/dev/null || true
mkdir -p "$OUT"
echo "results in $OUT" >&2

# Started processes, stopped by pid at the end of each step (and on Ctrl-C).
PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  wait 2>/dev/null
  PIDS=()
}
trap 'stop_all; exit 130' INT TERM

password() { [ "$1" = 2001 ] && echo bench-2001-secret || echo bench-2002-secret; }

# Starts the switch in $1 (a step dir); sets TARGET_PID and SIP_PORT.
start_switch() {
  local d=$1 http
  read -r SIP_PORT http < <($LIB ports 2)
  local cfg
  cfg=$($LIB config "$d" "$SIP_PORT" "$http" "$MEDIA_MIN" "$MEDIA_MAX")
  "$BIN" serve --config "$cfg" >"$d/switch.out" 2>"$d/switch.log" &
  TARGET_PID=$!
  PIDS+=("$TARGET_PID")
  $LIB wait-http "$http" 20 || { echo "switch did not start: $(tail -5 "$d/switch.log")" >&2; return 1; }
}

# Registers the callee's SIPp port as extension 2002 (digest auth, 401 challenge first).
register_callee() {
  local d=$1 port=$2
  (cd "$d" && sipp "127.0.0.1:$SIP_PORT" -sf "$ROOT/tests/sipp/register.xml" -i 127.0.0.1 -p "$port" \
    -au 2002 -ap "$(password 2002)" -s 2002 -m 1 -nostdin -timeout 10s -trace_err \
    >register.log 2>&1)
}

start_kamailio() {
  local d=$1 uas_port=$2
  read -r SIP_PORT < <($LIB ports 1)
  sed -e "s/#!KAMAILIO_CHILDREN!#/$KAM_CHILDREN/" -e "s/127\.0\.0\.1:5060/127.0.0.1:$SIP_PORT/" \
    -e "s/127\.0\.0\.1:5090/127.0.0.1:$uas_port/" "$PERFKIT/kamailio-proxy.cfg" >"$d/kamailio.cfg"
  # shellcheck disable=SC2086 # KAM_OPTS is a list of options
  kamailio -f "$d/kamailio.cfg" -DD -E -M 16 $KAM_OPTS -P "$d/kam.pid" -w "$d" >"$d/kamailio.log" 2>&1 &
  TARGET_PID=$!
  PIDS+=("$TARGET_PID")
  for _ in $(seq 50); do
    ss -Hlun "sport = :$SIP_PORT" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  echo "kamailio did not start: $(tail -5 "$d/kamailio.log")" >&2
  return 1
}

run_step() {
  local mode=$1 rate=$2
  local d="$OUT/$mode-r$rate"
  rm -rf "$d"; mkdir -p "$d"
  local uas_port uac_port uas_mp uac_mp
  read -r uas_port uac_port uas_mp uac_mp < <($LIB ports 4)
  local scen=uac_plain.xml auth=() echo=() target
  TARGET_PID=""
  case $mode in
    switch | switch-rtp)
      start_switch "$d" || { stop_all; return; }
      register_callee "$d" "$uas_port" || { echo "callee registration failed ($d/register.log)" >&2; stop_all; return; }
      target=127.0.0.1:$SIP_PORT
      scen=uac_auth.xml
      auth=(-au 2001 -ap "$(password 2001)")
      [ "$mode" = switch-rtp ] && { scen=uac_auth_rtp.xml; echo=(-rtp_echo); }
      ;;
    direct) target=127.0.0.1:$uas_port ;;
    kamailio)
      start_kamailio "$d" "$uas_port" || { stop_all; return; }
      target=127.0.0.1:$SIP_PORT
      # Kamailio's workers can forward a 180 after the 200 of the same call; SIPp would abort
      # that call as unexpected (perfkit does the same).
      auth=(-default_behaviors all,-abortunexp)
      ;;
  esac
  (cd "$d" && exec sipp -sf "$HERE/uas.xml" -i 127.0.0.1 -p "$uas_port" -mp "$uas_mp" "${echo[@]}" \
    -nostdin -buff_size $BUFF -trace_err >uas.log 2>&1) &
  local uas=$!
  PIDS+=("$uas")
  sleep 1
  local groups=("uas=$uas")
  [ -n "$TARGET_PID" ] && groups+=("target=$TARGET_PID")
  (cd "$d" && exec sipp "$target" -sf "$HERE/$scen" -i 127.0.0.1 -p "$uac_port" -mp "$uac_mp" \
    -s 2002 -key caller 2001 "${auth[@]}" -r "$rate" -m $((rate * DUR)) -d "$HOLD" \
    -timeout $((DUR + 40))s -recv_timeout 10s -buff_size $BUFF -max_recv_loops 10000 \
    -trace_stat -stf stat.csv -fd 1 -trace_err -trace_screen -screen_file screen.log -nostdin \
    >uac.log 2>&1) &
  local uac=$!
  PIDS+=("$uac")
  # Steady state: from 3 s after the start (ramp-up done) to the last second the caller lives.
  sleep 3
  $LIB snap "$d/a.json" "${groups[@]}" "uac=$uac"
  local perf_pid=""
  if [ -n "${PERF:-}" ] && [ -n "$TARGET_PID" ]; then
    # shellcheck disable=SC2086 # PERF is a list of perf options
    perf record $PERF -p "$TARGET_PID" -o "$d/perf.data" >"$d/perf.log" 2>&1 &
    perf_pid=$!
  fi
  while kill -0 "$uac" 2>/dev/null; do
    $LIB snap "$d/b.tmp" "${groups[@]}" "uac=$uac"
    [ -n "$TARGET_PID" ] && [ "$mode" != kamailio ] && $LIB mem "$TARGET_PID" >"$d/mem.tmp"
    kill -0 "$uac" 2>/dev/null && mv "$d/b.tmp" "$d/b.json" && { [ -f "$d/mem.tmp" ] && mv "$d/mem.tmp" "$d/mem.json"; }
    sleep 1
  done
  wait "$uac"; local rc=$?
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null; fi
  local cpu stats rss=null hwm=null
  cpu=$($LIB diff "$d/a.json" "$d/b.json" 2>/dev/null || echo null)
  stats=$($LIB stat "$d/stat.csv" 2>/dev/null || echo null)
  if [ -f "$d/mem.json" ]; then
    rss=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rss_kb"])' "$d/mem.json")
    hwm=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hwm_kb"])' "$d/mem.json")
  fi
  stop_all
  echo "{\"mode\":\"$mode\",\"rate\":$rate,\"dur_s\":$DUR,\"hold_ms\":$HOLD,\"sipp_rc\":$rc,\"stats\":$stats,\"cpu\":$cpu,\"target_rss_kb\":$rss,\"target_hwm_kb\":$hwm}" |
    tee -a "$OUT/summary.jsonl"
  sleep 2
}

for rate in "${RATES[@]}"; do
  for mode in $MODES; do
    run_step "$mode" "$rate"
  done
done
echo
$LIB report "$OUT/summary.jsonl"
