#!/usr/bin/env bash
# The test command (README, .ci/run): on a fresh Debian machine, installs what is missing, builds,
# starts a real single-node KRaft Kafka and a Redis server on ports of its own, creates the topics,
# runs the unit, integration and end-to-end tests, and stops everything, whatever happens.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cd "$repo"

"$here/setup.sh"
"$here/build.sh"

# Ports and data of their own, so a running demo stack is not disturbed; fresh data every run.
export STACK_DIR="$repo/.stack-test"
export KAFKA_PORT=${TEST_KAFKA_PORT:-19092}
export KAFKA_CONTROLLER_PORT=${TEST_KAFKA_CONTROLLER_PORT:-19093}
export REDIS_PORT=${TEST_REDIS_PORT:-16379}
export KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export TEST_LOG_DIR="$STACK_DIR/logs"
# Kafka and Redis run with a user per service (deploy/stack-credentials.sh): the tests connect as
# `admin`, and give every service binary they start its own user's credentials from there.
. "$here/stack-credentials.sh"

trap '"$here/stack.sh" stop' EXIT
"$here/stack.sh" start --fresh
mkdir -p "$TEST_LOG_DIR"
build/tools/ensure_topics --bootstrap "$KAFKA_BOOTSTRAP" --catalogue "$here/topics.conf" --acls

status=0
# logscan: every log the tests left in $TEST_LOG_DIR, scanned for customer data (after e2e).
for label in unit integration e2e logscan; do
  echo "=== $label tests"
  ctest --test-dir build -L "^$label\$" --output-on-failure --timeout 600 || status=1
done
# The fault suite (tests/fault/README.md), short mode (about 4 minutes); RUN_FAULT_SUITE=0 skips it.
if [ "${RUN_FAULT_SUITE:-1}" = 1 ]; then
  echo "=== fault suite (short)"
  # On the broker the e2e tests used: the suite's services start on an empty Redis of their
  # own and rebuild from topics that hold the e2e tests' complaints too, as after a Redis loss.
  "$repo/tests/fault/run-fault-suite.sh" --short || status=1
fi
# The decoders' libFuzzer targets (fuzz/README.md): regressions replayed, then 10 s each;
# RUN_FUZZERS=0 skips them.
if [ "${RUN_FUZZERS:-1}" = 1 ]; then
  echo "=== fuzzers (short)"
  "$repo/fuzz/run-fuzzers.sh" --short || status=1
fi
exit $status
