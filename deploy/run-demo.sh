#!/usr/bin/env bash
# The main job (README): on a fresh Debian machine, installs what is missing, builds, starts Kafka
# (KRaft) and Redis on loopback, creates the topics, starts the five services on a clock running
# DEMO_CLOCK_FACTOR times faster than real time (default 1800: a clock hour passes in 2 s),
# plays a realistic sample of calls through the whole loop and prints the summary.
# The stack keeps running for inspection; `deploy/run-demo.sh stop` stops it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cd "$repo"
export BUILD_DIR=${BUILD_DIR:-$repo/build}
. "$here/stack-credentials.sh"

if [ "${1:-}" = stop ]; then
  "$here/services.sh" stop
  "$here/stack.sh" stop
  exit 0
fi

"$here/setup.sh"
"$here/build.sh"
"$here/stack.sh" start
"$BUILD_DIR/tools/ensure_topics" --bootstrap "127.0.0.1:${KAFKA_PORT:-9092}" --catalogue "$here/topics.conf" \
  --acls
export COMPLAINTS_CLOCK_FACTOR=${DEMO_CLOCK_FACTOR:-1800}
"$here/services.sh" start

# Accept deadlines count working hours: from a Friday evening the next one is Monday morning,
# about 66 clock hours away, and the escalation step that reassigns (cn-default: step 2, 6
# working hours after the breach) the same afternoon; wait up to that long (in real seconds).
# demo_feed promises customers times on the services' clock: the same factor and origin.
export COMPLAINTS_CLOCK_ORIGIN_UNIX_MS
COMPLAINTS_CLOCK_ORIGIN_UNIX_MS=$(cat "${STACK_DIR:-$repo/.stack}/services/clock_origin_unix_ms")
deadline_wait=$(awk -v f="$COMPLAINTS_CLOCK_FACTOR" 'BEGIN { printf "%d", 76 * 3600 / f + 10 }')
"$BUILD_DIR/tools/demo_feed" --calls "$here/sample/calls.jsonl" --bootstrap "127.0.0.1:${KAFKA_PORT:-9092}" \
  --deadline-wait "$deadline_wait"

cat <<TXT

The stack is running (clock ${COMPLAINTS_CLOCK_FACTOR}x real time):
  Dashboard: http://127.0.0.1:50255/   (analytics; analytics.dashboard_address, else its gRPC port + 200)
  Kafka 127.0.0.1:${KAFKA_PORT:-9092}   Redis 127.0.0.1:${REDIS_PORT:-6379}
  gRPC: intake :50051  routing :50052  sla_timer :50053  followup :50054  analytics :50055
  metrics (Prometheus text): http://127.0.0.1:50151/metrics ... :50155 (gRPC port + 100)
  logs: .stack/services/*.log
  mutual TLS: every call needs a credential of .certs/ (deploy/certs.sh; README "Who may do what")
Who read or changed a complaint: $BUILD_DIR/tools/access_trail --bootstrap 127.0.0.1:${KAFKA_PORT:-9092} <complaint id>
Kafka runs with SASL/SCRAM and ACLs; its credentials are in $STACK_CREDENTIALS_DIR
  (tools: export COMPLAINTS_KAFKA_CREDENTIALS_FILE=$STACK_CREDENTIALS_DIR/kafka-admin)
Look at the topics:   kcat -F $STACK_CREDENTIALS_DIR/kafka-admin -b 127.0.0.1:9092 -C -t sla.alerts.v1 -e -J
Redis as its admin (README "Redis users"; no password on the command line):
  REDISCLI_AUTH=\$(sed -n 's/^password=//p' $STACK_CREDENTIALS_DIR/redis-admin) \\
    redis-cli --user admin -p ${REDIS_PORT:-6379}
Dead letters:         kcat -F $STACK_CREDENTIALS_DIR/kafka-admin -b 127.0.0.1:9092 -C -t ivr.calls.v1.dlq -e -f '%k %h\n'
Prometheus with the alerting rules of deploy/prometheus/: PROMETHEUS=1 deploy/stack.sh start
Monthly report:       $BUILD_DIR/tools/complaintctl/complaintctl report --month \$(date +%Y-%m) --html --output report.html
Stop everything:      deploy/run-demo.sh stop
TXT
