# Sourced by bench/run-*.sh: checks the tools and Kafka, builds the bench's program, and runs a
# Redis server of the bench's own (stopped when the script exits). The caller sets `name` (for
# log lines) and `target` (the CMake target), and may set `default_redis_port` (16402) and
# `default_build_dir` (build-bench, a Release build). The settings a user may give in the
# environment: BUILD_DIR, BENCH_REDIS_PORT, KAFKA_BOOTSTRAP (127.0.0.1:9092) and BENCH_DIR (a
# fresh directory under /tmp); this sets them, and `repo`.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$repo/${default_build_dir:-build-bench}}
BENCH_REDIS_PORT=${BENCH_REDIS_PORT:-${default_redis_port:-16402}}
KAFKA_BOOTSTRAP=${KAFKA_BOOTSTRAP:-127.0.0.1:9092}
. "$repo/deploy/stack-credentials.sh"  # the bench runs as the stack's admin
BENCH_DIR=${BENCH_DIR:-$(mktemp -d "/tmp/$name.XXXXXX")}

log() { printf '%s: %s\n' "$name" "$*" >&2; }
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
if ! build_log=$(cmake --build "$BUILD_DIR" --target "$target" -j"$(nproc)" 2>&1); then
  printf '%s\n' "$build_log" | tail -40 >&2
  log "$target does not build"
  exit 1
fi

# Redis as production would keep SLA state, minus persistence (the benchmarks measure memory
# and speed, not durability): sorted sets stay listpack-encoded up to 128 entries of 64 bytes,
# which the store's buckets rely on (they are Redis's defaults; pinned here as in stack.sh).
mkdir -p "$BENCH_DIR"
redis-server --port "$BENCH_REDIS_PORT" --bind 127.0.0.1 --dir "$BENCH_DIR" \
  --save "" --appendonly no --zset-max-listpack-entries 128 --zset-max-listpack-value 64 \
  --daemonize yes --pidfile "$BENCH_DIR/redis.pid" --logfile "$BENCH_DIR/redis.log"
stop_redis() {
  if [ -f "$BENCH_DIR/redis.pid" ]; then
    redis-cli -p "$BENCH_REDIS_PORT" shutdown nosave >/dev/null 2>&1 ||
      kill "$(cat "$BENCH_DIR/redis.pid")" 2>/dev/null || true
  fi
}
trap stop_redis EXIT
for _ in $(seq 50); do
  [ "$(redis-cli -p "$BENCH_REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done
