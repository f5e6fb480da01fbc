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
repo=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$repo/build-bench}
BENCH_REDIS_PORT=${BENCH_REDIS_PORT:-16400}
KAFKA_BOOTSTRAP=${KAFKA_BOOTSTRAP:-127.0.0.1:9092}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sla-bench.XXXXXX)}

log() { printf 'run-sla-bench: %s\n' "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for tool in cmake redis-server redis-cli redis-benchmark; do
  command -v "$tool" >/dev/null || { log "$tool is missing (deploy/setup.sh installs it)"; exit 1; }
done
if ! port_open "${KAFKA_BOOTSTRAP##*:}"; then
  log "no Kafka at $KAFKA_BOOTSTRAP: start one with deploy/stack.sh start"
  exit 1
fi
if port_open "$BENCH_REDIS_PORT"; then
  log "port $BENCH_REDIS_PORT is taken: set BENCH_REDIS_PORT to a free one"
  exit 1
fi

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
if ! build_log=$(cmake --build "$BUILD_DIR" --target sla_bench -j"$(nproc)" 2>&1); then
  printf '%s\n' "$build_log" | tail -40 >&2
  log "sla_bench does not build"
  exit 1
fi

# Redis as production would keep SLA state, minus persistence (the benchmark measures memory
# and speed, not durability): sorted sets stay listpack-encoded up to 128 entries of 64 bytes,
# which the store's buckets rely on (they are Redis's defaults; pinned here as in stack.sh).
mkdir -p "$BENCH_DIR"
redis-server --port "$BENCH_REDIS_PORT" --bind 127.0.0.1 --dir "$BENCH_DIR" \
  --save "" --appendonly no --zset-max-listpack-entries 128 --zset-max-listpack-value 64 \
  --daemonize yes --pidfile "$BENCH_DIR/redis.pid" --logfile "$BENCH_DIR/redis.log"
stop_redis() {
  if [ -f "$BENCH_DIR/redis.pid" ]; then
    redis-cli -p "$BENCH_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$BENCH_DIR/redis.pid")" 2>/dev/null || true
  fi
}
trap stop_redis EXIT
for _ in $(seq 50); do
  [ "$(redis-cli -p "$BENCH_REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done

log "redis on port $BENCH_REDIS_PORT (log $BENCH_DIR/redis.log), kafka $KAFKA_BOOTSTRAP"
status=0
"$BUILD_DIR/bench/sla_bench" --redis-port "$BENCH_REDIS_PORT" --bootstrap "$KAFKA_BOOTSTRAP" \
  --flush "$@" || status=$?
exit "$status"
