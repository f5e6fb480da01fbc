#!/usr/bin/env bash
# The SLA timer benchmark in one command (issue 3, item 8): builds sla_bench, starts a Redis
# server of its own (the shared one is not filled with ten million keys), runs the benchmark
# against it and the Kafka broker, prints every figure next to its target and the
# redis-benchmark ceiling of the same server, then stops that Redis.
#
#   bench/run-sla-bench.sh                       # 10 million live deadlines (~10 minutes)
#   bench/run-sla-bench.sh --deadlines 1000000   # a quick check; any sla_bench flag passes on
#
# Settings (environment): BUILD_DIR (default <repo>/build-bench, Release), BENCH_REDIS_PORT
# (16400), KAFKA_BOOTSTRAP (127.0.0.1:9092; deploy/stack.sh start runs one), BENCH_DIR (scratch
# directory for the Redis log, default a fresh one under /tmp). Exit status: 0 when every
# target is met, 2 when one is missed, 1 on error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=run-sla-bench
target=sla_bench
default_redis_port=16400
. "$here/bench-common.sh"

log "redis on port $BENCH_REDIS_PORT (log $BENCH_DIR/redis.log), kafka $KAFKA_BOOTSTRAP"
status=0
"$BUILD_DIR/bench/sla_bench" --redis-port "$BENCH_REDIS_PORT" --bootstrap "$KAFKA_BOOTSTRAP" \
  --flush "$@" || status=$?
exit "$status"
