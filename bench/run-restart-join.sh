#!/usr/bin/env bash
# How long a restarted SLA timer waits for its partitions of complaints.case.v1, with and without
# static group membership (kafka.group_instance_id): starts the real sla_timer binary in a fresh
# consumer group, SIGKILLs it once it owns every partition, starts a new one at once and prints
# the time from the new process's start to its assignment. Without a static id the group keeps
# the dead member until its session times out (session.timeout.ms, 45 s by default); with the
# same static id the broker hands the new process the partitions at once.
#
#   deploy/stack.sh start && deploy/build.sh && bench/run-restart-join.sh
#
# Settings (environment): BUILD_DIR (<repo>/build), KAFKA_BOOTSTRAP (127.0.0.1:9092), REDIS_PORT
# (6379: the timer's keys go under a prefix of the run's own), REDIS_CREDENTIALS_FILE (the
# stack's admin, <repo>/.stack/credentials/redis-admin: the run's prefix is no service's).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BUILD_DIR=${BUILD_DIR:-$repo/build}
KAFKA_BOOTSTRAP=${KAFKA_BOOTSTRAP:-127.0.0.1:9092}
REDIS_PORT=${REDIS_PORT:-6379}
. "$repo/deploy/stack-credentials.sh"  # the timers run as the stack's sla_timer principal
export COMPLAINTS_KAFKA_CREDENTIALS_FILE="$STACK_CREDENTIALS_DIR/kafka-sla_timer"
# Redis as admin: the timers' keys go under a prefix of the run's own, outside sla_timer's.
REDIS_CREDENTIALS_FILE=${REDIS_CREDENTIALS_FILE:-$STACK_CREDENTIALS_DIR/redis-admin}
work=$(mktemp -d /tmp/restart-join.XXXXXX)
binary="$BUILD_DIR/services/sla_timer/sla_timer"
[ -x "$binary" ] || { echo "run-restart-join: no $binary (deploy/build.sh builds it)" >&2; exit 1; }

# Starts a timer in `group` as `instance` (may be empty); prints its pid. Log: $work/<name>.log.
start_timer() {
  local name=$1 group=$2 instance=$3 port=$4
  COMPLAINTS_KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP COMPLAINTS_REDIS_PORT=$REDIS_PORT \
    COMPLAINTS_REDIS_CREDENTIALS_FILE=$REDIS_CREDENTIALS_FILE \
    COMPLAINTS_GRPC_ADDRESS=127.0.0.1:$port COMPLAINTS_GRPC_PLAINTEXT=true COMPLAINTS_KAFKA_GROUP_ID=$group \
    COMPLAINTS_KAFKA_GROUP_INSTANCE_ID=$instance COMPLAINTS_SLA_REDIS_PREFIX=$group \
    "$binary" >"$work/$name.log" 2>&1 &
  echo $!
}

# Milliseconds since midnight of a log line's "HH:MM:SS.mmm".
millis_of() { awk '{ split($2, t, /[:.]/); print ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4] }'; }

# Waits up to `seconds` for the case consumer's assignment in `log`; prints its line.
wait_assigned() {
  local log=$1 seconds=$2
  for _ in $(seq $((seconds * 10))); do
    if line=$(grep -a -m1 "assigned complaints.case.v1" "$log"); then echo "$line"; return 0; fi
    sleep 0.1
  done
  return 1
}

measure() {
  local label=$1 instance=$2
  local group="restart-join-$RANDOM$RANDOM"
  local first second
  first=$(start_timer first "$group" "$instance" 50163)
  wait_assigned "$work/first.log" 30 >/dev/null || { echo "first timer never joined" >&2; exit 1; }
  kill -9 "$first"
  wait "$first" 2>/dev/null || true
  second=$(start_timer second "$group" "$instance" 50164)
  local assigned
  assigned=$(wait_assigned "$work/second.log" 90) || { kill "$second"; echo "no assignment" >&2; exit 1; }
  local started
  started=$(grep -a -m1 "sla-timer running" "$work/second.log")
  kill "$second"
  wait "$second" 2>/dev/null || true
  printf '%-34s %8d ms from start to partitions\n' "$label" \
    $(($(millis_of <<<"$assigned") - $(millis_of <<<"$started")))
}

measure "static member (same instance id)" "sla-timer-0"
measure "dynamic member (no instance id)" ""
rm -rf "$work"
