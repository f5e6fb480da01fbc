#!/usr/bin/env bash
# Starts and stops the five service binaries of the local stack, each on its default gRPC port.
#
#   deploy/services.sh start     start all five (built in build/), wait until each is SERVING
#   deploy/services.sh stop      SIGTERM all five and wait for them to drain
#   deploy/services.sh status
#
# Settings (environment): BUILD_DIR (<repo>/build), STACK_DIR (<repo>/.stack), CONFIG
# (deploy/config/local.conf), KAFKA_PORT, REDIS_PORT, and any COMPLAINTS_* override
# (e.g. COMPLAINTS_CLOCK_FACTOR=720 for a clock 720 times faster than real time).
# Each service authenticates to Redis as its own ACL user, with the credentials file that
# deploy/stack.sh made: $STACK_DIR/credentials/redis-<service> (COMPLAINTS_REDIS_CREDENTIALS_FILE).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$repo/build}
STACK_DIR=${STACK_DIR:-$repo/.stack}
CONFIG=${CONFIG:-$here/config/local.conf}
export COMPLAINTS_KAFKA_BOOTSTRAP=${COMPLAINTS_KAFKA_BOOTSTRAP:-127.0.0.1:${KAFKA_PORT:-9092}}
export COMPLAINTS_REDIS_PORT=${COMPLAINTS_REDIS_PORT:-${REDIS_PORT:-6379}}
run_dir="$STACK_DIR/services"
. "$here/stack-credentials.sh"

# name:port — the default gRPC ports, documented in README.md.
services=(intake:50051 routing:50052 sla_timer:50053 followup:50054 analytics:50055)

log() { printf 'services: %s\n' "$*" >&2; }

start() {
  mkdir -p "$run_dir"
  local origin_file="$run_dir/clock_origin_unix_ms"
  if [ -z "${COMPLAINTS_CLOCK_ORIGIN_UNIX_MS:-}" ]; then
    # Every service must read the same accelerated time: one origin for the whole stack, kept
    # while any of them runs (and read by demo_feed, which promises times on that clock).
    local running=""
    for entry in "${services[@]}"; do
      local pidfile="$run_dir/${entry%%:*}.pid"
      if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then running=1; fi
    done
    if [ -n "$running" ] && [ -s "$origin_file" ]; then
      export COMPLAINTS_CLOCK_ORIGIN_UNIX_MS=$(cat "$origin_file")
    else
      export COMPLAINTS_CLOCK_ORIGIN_UNIX_MS=$(($(date +%s%N) / 1000000))
    fi
  fi
  echo "$COMPLAINTS_CLOCK_ORIGIN_UNIX_MS" >"$origin_file"
  for entry in "${services[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    local pidfile="$run_dir/$name.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      log "$name already running"
      continue
    fi
    # Each service authenticates to Kafka and Redis as itself (deploy/topics.conf: what it may
    # write; deploy/redis-credentials.sh: its keys).
    COMPLAINTS_KAFKA_CREDENTIALS_FILE="$STACK_CREDENTIALS_DIR/kafka-$name" \
      COMPLAINTS_REDIS_CREDENTIALS_FILE="$STACK_CREDENTIALS_DIR/redis-$name" \
      COMPLAINTS_GRPC_ADDRESS="127.0.0.1:$port" \
      nohup "$BUILD_DIR/services/$name/$name" --config "$CONFIG" >"$run_dir/$name.log" 2>&1 &
    echo $! >"$pidfile"
  done
  for entry in "${services[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    "$BUILD_DIR/tools/health_probe" "127.0.0.1:$port" 60 >/dev/null \
      || { log "$name is not serving; its log:"; tail -20 "$run_dir/$name.log" >&2; exit 1; }
    log "$name serving on 127.0.0.1:$port, metrics on http://127.0.0.1:$((port + 100))/metrics (log: $run_dir/$name.log)"
  done
}

stop() {
  for entry in "${services[@]}"; do
    local name=${entry%%:*}
    local pidfile="$run_dir/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for entry in "${services[@]}"; do
    local name=${entry%%:*}
    local pidfile="$run_dir/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid deadline=$((SECONDS + 30))
    pid=$(cat "$pidfile")
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { log "$name did not stop; killing"; kill -KILL "$pid" 2>/dev/null || true; }
    rm -f "$pidfile"
  done
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    for entry in "${services[@]}"; do
      name=${entry%%:*} port=${entry##*:}
      if "$BUILD_DIR/tools/health_probe" "127.0.0.1:$port" 1 >/dev/null 2>&1; then
        echo "$name: SERVING on 127.0.0.1:$port"
      else
        echo "$name: down"
      fi
    done
    ;;
  *) echo "usage: $0 start | stop | status" >&2; exit 2 ;;
esac
