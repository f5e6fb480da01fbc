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
repo=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$repo/build-bench}
BENCH_REDIS_PORT=${BENCH_REDIS_PORT:-16401}
KAFKA_BOOTSTRAP=${KAFKA_BOOTSTRAP:-127.0.0.1:9092}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sla-consume-bench.XXXXXX)}

log() { printf 'run-sla-consume-bench: %s\n' "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for tool in cmake redis-server redis-cli; do
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
cmake --build "$BUILD_DIR" --target sla_consume_bench -j"$(nproc)" >/dev/null

# As run-sla-bench.sh: production's zset encoding limits, no persistence.
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

# The timer logs every clock it arms (at info, as the service does): to a file, not a terminal.
log "redis on port $BENCH_REDIS_PORT, kafka $KAFKA_BOOTSTRAP, timer log $BENCH_DIR/timer.log"
"$BUILD_DIR/bench/sla_consume_bench" --redis-port "$BENCH_REDIS_PORT" \
  --bootstrap "$KAFKA_BOOTSTRAP" "$@" 2>"$BENCH_DIR/timer.log"
