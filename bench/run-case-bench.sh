#!/usr/bin/env bash
# CaseService command latency in one command: builds case_bench (and routing), starts a Redis
# server of its own, runs the real routing binary against it and the given Kafka, drives cases
# through the handling step at a fixed rate, and stops that Redis.
#
#   bench/run-case-bench.sh                        # 500 commands/s for 30 s
#   bench/run-case-bench.sh --rate 200 --seconds 10   # any case_bench flag passes on
#
# Settings (environment): BUILD_DIR (default <repo>/build-bench, Release), BENCH_REDIS_PORT
# (16402), KAFKA_BOOTSTRAP (127.0.0.1:9092; deploy/stack.sh start runs one, with the topics),
# BENCH_DIR (scratch directory for the Redis log, default a fresh one under /tmp).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=run-case-bench
target=case_bench
. "$here/bench-common.sh"

log "redis on port $BENCH_REDIS_PORT, kafka $KAFKA_BOOTSTRAP"
"$BUILD_DIR/bench/case_bench" --redis-port "$BENCH_REDIS_PORT" --bootstrap "$KAFKA_BOOTSTRAP" "$@"
