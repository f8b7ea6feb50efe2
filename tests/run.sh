#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or CI: installs what it needs (SIPp, baresip,
# PostgreSQL when no server is reachable), then runs every unit, scenario and end-to-end test.
#   ./tests/run.sh            # everything
#   ./tests/run.sh -p switchboard-sip    # extra arguments go to `cargo test`
# A test that cannot run here fails. To skip such tests knowingly, name what is missing:
#   SWITCHBOARD_SKIP=browser,speech ./tests/run.sh   # or postgres, sipp, baresip, kamailio, all
# Skipped tests are listed at the end ("skipped: N tests", with the reasons).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v sipp >/dev/null || need+=(sip-tester)
command -v baresip >/dev/null || need+=(baresip)
command -v linphonec >/dev/null || need+=(linphone-cli)   # tests/tests/linphone_call.rs
# Kamailio as a record-routing proxy in front of the switch (tests/tests/proxy_kamailio.rs).
[ -x /usr/sbin/kamailio ] || command -v kamailio >/dev/null || need+=(kamailio)
# Speech for the in-band DTMF detector's no-false-digits test.
command -v espeak-ng >/dev/null || need+=(espeak-ng)
# Password guessing and enumeration tools for tests/tests/sip_guessing.rs.
command -v svcrack >/dev/null || need+=(sipvicious)
# The fail2ban filter of docs/security.md is checked against the switch's log there too.
command -v fail2ban-regex >/dev/null || need+=(fail2ban)
# The agent page's browser test (tests/tests/browser.rs): Debian's Chromium and Node.js.
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
# A Korean font, so the Korean pages' screenshots show Hangul rather than boxes.
fc-list :lang=ko 2>/dev/null | grep -q . || need+=(fonts-nanum)
if [ ${#need[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${need[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq >&2
  $sudo_cmd apt-get install -y -qq "${need[@]}" >&2
fi

# PostgreSQL: the service when reachable, else a throwaway cluster (stopped on exit).
pg_log=$(mktemp)
if ! SWITCHBOARD_TEST_PG_URL="$(bash tests/ensure-postgres.sh 2>"$pg_log")"; then
  cat "$pg_log" >&2
  exit 1
fi
cat "$pg_log" >&2
export SWITCHBOARD_TEST_PG_URL
pg_stop=$(grep -o '/[^ ]*/stop\.sh' "$pg_log" | tail -n 1 || true)
rm -f "$pg_log"
if [ -n "$pg_stop" ]; then
  trap 'sh "$pg_stop" >/dev/null 2>&1 || true' EXIT
fi
echo "tests/run.sh: PostgreSQL at ${SWITCHBOARD_TEST_PG_URL}" >&2

# playwright-core for the browser test, as tests/browser/package-lock.json pins it (it drives
# /usr/bin/chromium and downloads no browser of its own).
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >&2)

# End-to-end tests run the real binary: build it first so they can find it.
cargo build --bin switchboard
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
export SWITCHBOARD_BIN="$target_dir/debug/switchboard"
# Each skipped test appends a line here (need, test, reason); summarized below.
export SWITCHBOARD_SKIP_LOG="$target_dir/switchboard-skipped.log"
: >"$SWITCHBOARD_SKIP_LOG"
status=0
if [ $# -gt 0 ]; then
  cargo test "$@" || status=$?
else
  cargo test --workspace --no-fail-fast || status=$?
fi

if [ -s "$SWITCHBOARD_SKIP_LOG" ]; then
  echo "skipped: $(wc -l <"$SWITCHBOARD_SKIP_LOG") tests (SWITCHBOARD_SKIP=${SWITCHBOARD_SKIP:-})"
  # Grouped by what was missing and why: count, need, reason.
  cut -f1,3 "$SWITCHBOARD_SKIP_LOG" | sort | uniq -c | sort -rn |
    while read -r count rest; do
      need=${rest%%$'\t'*}
      why=${rest#*$'\t'}
      echo "  $count × $need: $why"
    done
else
  echo "skipped: none"
fi
exit "$status"
