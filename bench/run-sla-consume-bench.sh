#!/usr/bin/env bash
# The SLA timer's consumer path in one command: builds sla_consume_bench, starts a Redis server
# of its own, publishes assignment events to a Kafka topic of the run's own and has the real
# SlaTimer + RedisDeadlineStore + kafka::Consumer schedule them, in batches and one record at a
# time, beside the raw consume rate of the same topic; then stops that Redis.
#
#   bench/run-sla-consume-bench.sh                     # 200,000 events (about a minute)
#   bench/run-sla-consume-bench.sh --events 50000      # any sla_consume_bench flag passes on
#
# Settings (environment): BUILD_DIR (default <repo>/build-bench, Release), BENCH_REDIS_PORT
# (16401), KAFKA_BOOTSTRAP (127.0.0.1:9092; deploy/stack.sh start runs one), BENCH_DIR (scratch
# directory for the Redis log and the timer's log, default a fresh one under /tmp).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=run-sla-consume-bench
target=sla_consume_bench
default_redis_port=16401
. "$here/bench-common.sh"

# The timer's log (at info, as the service logs; each clock armed is a debug line): to a file.
log "redis on port $BENCH_REDIS_PORT, kafka $KAFKA_BOOTSTRAP, timer log $BENCH_DIR/timer.log"
"$BUILD_DIR/bench/sla_consume_bench" --redis-port "$BENCH_REDIS_PORT" \
  --bootstrap "$KAFKA_BOOTSTRAP" "$@" 2>"$BENCH_DIR/timer.log"
