#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or CI: installs what it needs (SIPp, baresip,
# PostgreSQL when no server is reachable), then runs every unit, scenario and end-to-end test.
#   ./tests/run.sh            # everything
#   ./tests/run.sh -p switchboard-sip    # extra arguments go to `cargo test`
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v sipp >/dev/null || need+=(sip-tester)
command -v baresip >/dev/null || need+=(baresip)
if [ ${#need[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${need[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq >&2
  $sudo_cmd apt-get install -y -qq "${need[@]}" >&2
fi

# PostgreSQL: the service when reachable, else a throwaway cluster (stopped on exit).
SWITCHBOARD_TEST_PG_URL="$(bash tests/ensure-postgres.sh)"
export SWITCHBOARD_TEST_PG_URL
echo "tests/run.sh: PostgreSQL at ${SWITCHBOARD_TEST_PG_URL}" >&2

# End-to-end tests run the real binary: build it first so they can find it.
cargo build --bin switchboard
export SWITCHBOARD_BIN="$PWD/target/debug/switchboard"
cargo test --workspace "$@"
