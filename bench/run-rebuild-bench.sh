#!/usr/bin/env bash
# Routing's and follow-up's rebuild from Kafka after Redis lost their state, in one command:
# builds rebuild_bench (and the two services), starts a fresh scratch stack of its own (Kafka +
# Redis: the bench fills the complaint topics, so never point it at a stack you keep), and runs
#
#   bench/run-rebuild-bench.sh                          # 60,000 complaints, batched and single
#   bench/run-rebuild-bench.sh --complaints 10000 --modes batched   # any rebuild_bench flag
#
# then stops that stack. Settings (environment): BUILD_DIR (default <repo>/build, as
# deploy/build.sh makes it), BENCH_STACK_DIR (<repo>/.stack-bench), BENCH_KAFKA_PORT (19392;
# its controller the next port), BENCH_REDIS_PORT (16403), BENCH_GRPC_PORT (0: free ports;
# routing on it, follow-up on the next).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$repo/build}
export STACK_DIR=${BENCH_STACK_DIR:-$repo/.stack-bench}
export KAFKA_PORT=${BENCH_KAFKA_PORT:-19392}
export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
export REDIS_PORT=${BENCH_REDIS_PORT:-16403}
export REDIS_CREDENTIALS_DIR="$STACK_DIR/credentials"  # deploy/stack.sh's Redis ACL users

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD_DIR" --target rebuild_bench ensure_topics -j2

trap '"$repo/deploy/stack.sh" stop' EXIT
"$repo/deploy/stack.sh" start --fresh
"$BUILD_DIR/tools/ensure_topics" --bootstrap "127.0.0.1:$KAFKA_PORT" \
  --catalogue "$repo/deploy/topics.conf"
mkdir -p "$STACK_DIR/logs"
echo "run-rebuild-bench: kafka 127.0.0.1:$KAFKA_PORT, redis $REDIS_PORT, logs $STACK_DIR/logs" >&2
"$BUILD_DIR/bench/rebuild_bench" --bootstrap "127.0.0.1:$KAFKA_PORT" --redis-port "$REDIS_PORT" \
  --grpc-port "${BENCH_GRPC_PORT:-0}" --log-dir "$STACK_DIR/logs" "$@"
