#!/usr/bin/env bash
# The intake benchmark in one command (issue 8, item 7): builds intake_bench (and the intake
# service and ensure_topics with it), starts a Redis server of its own, makes sure the
# platform's topics exist, and runs intake_bench, which starts the real intake binary on a free
# port against that Redis and the Kafka broker, waits for its health to say SERVING, measures
# the broker's raw produce ceiling, unary submits, client streams and the latency at 1,000/s,
# prints each figure beside its target, and stops the intake; then the Redis is stopped.
#
#   bench/run-intake-bench.sh                          # the full run (a few minutes)
#   bench/run-intake-bench.sh --unary 10000 --stream-items 1000 --rate-seconds 10   # quicker
#
# Settings (environment): BUILD_DIR (default <repo>/build-bench, Release), BENCH_REDIS_PORT
# (16402), KAFKA_BOOTSTRAP (127.0.0.1:9092; deploy/stack.sh start runs one), BENCH_DIR (scratch
# directory for the Redis log and the intake's log, default a fresh one under /tmp). Any
# intake_bench flag passes on (intake_bench --help). Exit status: 0 when every target is met,
# 2 when one is missed, 1 on error.
#
# The intake publishes to the platform's own complaints.received.v1 of that broker: point it at
# a broker of the bench's own (or a development one), never at a shared environment's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=run-intake-bench
target=intake_bench
. "$here/bench-common.sh"

"$BUILD_DIR/tools/ensure_topics" --bootstrap "$KAFKA_BOOTSTRAP" \
  --catalogue "$repo/deploy/topics.conf" >/dev/null

log "redis on port $BENCH_REDIS_PORT, kafka $KAFKA_BOOTSTRAP, intake log $BENCH_DIR/intake.log"
status=0
"$BUILD_DIR/bench/intake_bench" --redis-port "$BENCH_REDIS_PORT" --bootstrap "$KAFKA_BOOTSTRAP" \
  --intake-binary "$BUILD_DIR/services/intake/intake" --intake-log "$BENCH_DIR/intake.log" \
  "$@" || status=$?
exit "$status"
