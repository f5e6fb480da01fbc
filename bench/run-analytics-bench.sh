#!/usr/bin/env bash
# The analytics aggregates in one command: builds analytics_bench, starts a Redis server of its
# own (for the checkpoint), publishes ten million events to Kafka topics of the run's own, and
# prints the broker's raw consume ceiling, the rebuild rate of the aggregates (target 200,000
# events/s), the checkpoint time, and AnalyticsService query p50/p99 with a million complaints
# loaded (target p99 <= 50 ms); then stops that Redis.
#
#   bench/run-analytics-bench.sh                      # 10,000,000 events (several minutes)
#   bench/run-analytics-bench.sh --events 1000000     # any analytics_bench flag passes on
#
# Settings (environment): BUILD_DIR (default <repo>/build-bench, Release), BENCH_REDIS_PORT
# (16402), KAFKA_BOOTSTRAP (127.0.0.1:9092; deploy/stack.sh start runs one), BENCH_DIR (scratch
# directory for the Redis log, default a fresh one under /tmp).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=run-analytics-bench
target=analytics_bench
. "$here/bench-common.sh"

log "redis on port $BENCH_REDIS_PORT, kafka $KAFKA_BOOTSTRAP, log $BENCH_DIR/bench.log"
"$BUILD_DIR/bench/analytics_bench" --redis-port "$BENCH_REDIS_PORT" \
  --bootstrap "$KAFKA_BOOTSTRAP" "$@" 2>"$BENCH_DIR/bench.log"
