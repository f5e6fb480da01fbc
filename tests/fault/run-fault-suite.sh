#!/usr/bin/env bash
# The fault suite (tests/fault/README.md): complaints through two instances of every service
# while instances are SIGKILLed, the broker restarts and Redis loses its data; then the checks.
#
#   tests/fault/run-fault-suite.sh [--short|--full] [fault_suite flags...]
#
# Uses the Kafka that deploy/stack.sh runs under the exported STACK_DIR / KAFKA_PORT /
# KAFKA_CONTROLLER_PORT (deploy/run-tests.sh exports them); without KAFKA_BOOTSTRAP it starts a
# fresh test stack of its own on the test ports and stops it afterwards. Builds first.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"

mode=short
case "${1:-}" in
  --short) shift ;;
  --full) mode=full; shift ;;
esac

own_stack=0
if [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
  "$repo/deploy/setup.sh"
  "$repo/deploy/build.sh"
  export STACK_DIR="$repo/.stack-test"
  export KAFKA_PORT=${TEST_KAFKA_PORT:-19092}
  export KAFKA_CONTROLLER_PORT=${TEST_KAFKA_CONTROLLER_PORT:-19093}
  export REDIS_PORT=${TEST_REDIS_PORT:-16379}
  export KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
  export TEST_LOG_DIR="$STACK_DIR/logs"
  own_stack=1
  trap '"$repo/deploy/stack.sh" stop' EXIT
  "$repo/deploy/stack.sh" start --fresh
  build/tools/ensure_topics --bootstrap "$KAFKA_BOOTSTRAP" --catalogue "$repo/deploy/topics.conf"
fi
: "${STACK_DIR:?STACK_DIR must name the stack whose broker the suite restarts}"
export TEST_LOG_DIR=${TEST_LOG_DIR:-$STACK_DIR/logs}
# The suite's own Redis loads the stack's ACL users; each service instance logs in as its own.
export REDIS_CREDENTIALS_DIR=${REDIS_CREDENTIALS_DIR:-$STACK_DIR/credentials}
mkdir -p "$TEST_LOG_DIR"
[ "$own_stack" = 1 ] || [ -x build/tests/fault_suite ] || "$repo/deploy/build.sh"

build/tests/fault_suite --mode "$mode" "$@"
