#!/usr/bin/env bash
# Routing's consume rate and received -> assignment latency in one command: builds routing_bench
# (and routing), starts a Redis server of its own (bench-common.sh), and runs the real routing
# binary against it and the given Kafka: it fills complaints.received.v1 with --complaints new
# complaints, reads them with a do-nothing consumer (the raw ceiling), times one routing instance
# routing them all, then measures latency at --rate complaints/s. Point it at a scratch stack
# (deploy/stack.sh with STACK_DIR and ports of its own, topics from deploy/topics.conf): it fills
# the complaint topics.
#
#   bench/run-routing-bench.sh                                  # 100,000; 1,000/s for 20 s
#   bench/run-routing-bench.sh --complaints 20000 --rate 500    # any routing_bench flag
#
# Settings (environment): BUILD_DIR (default <repo>/build, as deploy/build.sh makes it),
# BENCH_REDIS_PORT (16404), KAFKA_BOOTSTRAP (127.0.0.1:9092), BENCH_DIR (scratch directory for
# the Redis and routing logs, default a fresh one under /tmp).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=run-routing-bench
target=routing_bench
default_redis_port=16404
default_build_dir=build
. "$here/bench-common.sh"

log "redis on port $BENCH_REDIS_PORT, kafka $KAFKA_BOOTSTRAP, logs in $BENCH_DIR"
"$BUILD_DIR/bench/routing_bench" --redis-port "$BENCH_REDIS_PORT" --bootstrap "$KAFKA_BOOTSTRAP" \
  --log-dir "$BENCH_DIR" "$@"
