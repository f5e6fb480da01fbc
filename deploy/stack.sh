#!/usr/bin/env bash
# Starts and stops the local infrastructure: a single-node KRaft Kafka broker (from the jars that
# setup.sh fetched) and a Redis server, both on loopback.
#
# Kafka authenticates every client with SASL/SCRAM-SHA-256 and authorizes it with ACLs (the
# broker denies what no ACL allows; `ensure_topics --acls` creates them from
# deploy/topics.conf). Each principal's credential is generated once per stack, in
# $STACK_DIR/credentials/kafka-<principal> (mode 0600, the librdkafka properties that
# `kcat -F` and COMPLAINTS_KAFKA_CREDENTIALS_FILE read): admin (the super user: operators'
# tools and tests), telephony (the IVR platforms) and one per service. No password is ever on
# a command line.
#
#   deploy/stack.sh start [--fresh]   start both (--fresh: wipe their data first) and wait until ready
#   deploy/stack.sh stop              stop both cleanly
#   deploy/stack.sh status
#
# Settings (environment): STACK_DIR (default <repo>/.stack), KAFKA_PORT (9092),
# KAFKA_CONTROLLER_PORT (9093), REDIS_PORT (6379). PROMETHEUS=1 also runs a Prometheus server
# (Debian's package) on PROMETHEUS_PORT (9090) that scrapes the services' /metrics and evaluates
# the alerting rules in deploy/prometheus/; `stop` stops it whenever it runs.
#
# Redis runs with ACL users (deploy/redis-credentials.sh): one per service, limited to its key
# prefix, and `admin`; their credentials are in $STACK_DIR/credentials/redis-<user> (mode 0600),
# made once per STACK_DIR (start --fresh makes new ones). As admin:
#   REDISCLI_AUTH=$(sed -n 's/^password=//p' .stack/credentials/redis-admin) redis-cli --user admin
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
STACK_DIR=${STACK_DIR:-$repo/.stack}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
REDIS_PORT=${REDIS_PORT:-6379}
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
kafka_dir="$STACK_DIR/kafka"
credentials_dir="$STACK_DIR/credentials"
kafka_principals=(admin telephony branch intake routing sla_timer followup analytics)
redis_dir="$STACK_DIR/redis"
prometheus_dir="$STACK_DIR/prometheus"

log() { printf 'stack: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {  # wait_for <seconds> <description> <command...>
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    if ((SECONDS >= deadline)); then log "timed out waiting for $what"; return 1; fi
    sleep 0.2
  done
}

kafka_classpath() {
  local libs="$here/kafka/libs"
  compgen -G "$libs/*.jar" >/dev/null || { log "no Kafka jars in $libs: run deploy/setup.sh"; exit 1; }
  echo "$libs/*"
}

# A random password (hex: no character needs quoting in the files it goes into).
new_password() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }

# The value of `key` in a properties file.
property() { sed -n "s/^$2=//p" "$1"; }

# Each Kafka principal's credential file, made once per stack (a fresh start makes new ones).
ensure_kafka_credentials() {
  (umask 077 && mkdir -p "$credentials_dir")
  local principal file
  for principal in "${kafka_principals[@]}"; do
    file="$credentials_dir/kafka-$principal"
    [ -f "$file" ] && continue
    (umask 077 && cat >"$file" <<CRED
# Kafka credential of principal $principal (deploy/stack.sh); kcat -F reads it too.
security.protocol=SASL_PLAINTEXT
sasl.mechanisms=SCRAM-SHA-256
sasl.username=$principal
sasl.password=$(new_password)
CRED
    )
  done
}

# Formats the broker's storage with every principal's SCRAM credential. The java launcher reads
# the class and its arguments from an argument file (mode 0600, removed after), so that no
# password shows on a command line.
format_kafka() {
  local cp=$1 principal args="$kafka_dir/format.args"
  shift
  (umask 077 && {
    printf '%s\n' kafka.tools.StorageTool format \
      -t "$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" \
      -c "$kafka_dir/server.properties"
    for principal in "${kafka_principals[@]}"; do
      printf '%s\n' --add-scram "SCRAM-SHA-256=[name=$principal,password=$(property \
        "$credentials_dir/kafka-$principal" sasl.password)]"
    done
  } >"$args")
  local status=0
  java "$@" -cp "$cp" "@$args" >"$kafka_dir/format.log" 2>&1 || status=$?
  rm -f "$args"
  if ((status != 0)); then cat "$kafka_dir/format.log" >&2; return 1; fi
}

start_kafka() {
  if pid_alive "$kafka_dir/pid"; then log "kafka already running (pid $(cat "$kafka_dir/pid"))"; return; fi
  if port_open "$KAFKA_PORT"; then log "port $KAFKA_PORT is taken by another process"; return 1; fi
  if [ -f "$kafka_dir/data/meta.properties" ] && [ ! -f "$credentials_dir/kafka-admin" ]; then
    log "$kafka_dir holds a broker formatted without credentials: start it with --fresh"
    return 1
  fi
  mkdir -p "$kafka_dir/data"
  ensure_kafka_credentials
  # The client listener authenticates with SCRAM; the controller listener is plaintext on
  # loopback and carries only the node's own controller traffic (its principal, ANONYMOUS, is a
  # super user so that the broker half can talk to the controller half).
  (umask 077 && cat >"$kafka_dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=SASL_PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(property "$credentials_dir/kafka-admin" sasl.password)";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:ANONYMOUS
allow.everyone.if.no.acl.found=false
log.dirs=$kafka_dir/data
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=9223372036854775807
PROPS
  )
  local cp
  cp=$(kafka_classpath)
  local java_opts=(-Xms512m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$here/kafka/log4j.properties")
  if [ ! -f "$kafka_dir/data/meta.properties" ]; then format_kafka "$cp" "${java_opts[@]}"; fi
  nohup java "${java_opts[@]}" -cp "$cp" kafka.Kafka "$kafka_dir/server.properties" \
    >"$kafka_dir/broker.log" 2>&1 &
  echo $! >"$kafka_dir/pid"
  wait_for 90 "kafka on port $KAFKA_PORT" kafka_ready || { tail -30 "$kafka_dir/broker.log" >&2; return 1; }
  log "kafka ready on 127.0.0.1:$KAFKA_PORT (pid $(cat "$kafka_dir/pid"))"
}

# Ready means the broker answers a metadata request, not only that its port is open.
kafka_ready() {
  pid_alive "$kafka_dir/pid" || { log "kafka exited"; tail -30 "$kafka_dir/broker.log" >&2; exit 1; }
  port_open "$KAFKA_PORT" &&
    kcat -F "$credentials_dir/kafka-admin" -b "127.0.0.1:$KAFKA_PORT" -L -m 2 >/dev/null 2>&1
}

start_redis() {
  if pid_alive "$redis_dir/pid"; then log "redis already running (pid $(cat "$redis_dir/pid"))"; return; fi
  if port_open "$REDIS_PORT"; then log "port $REDIS_PORT is taken by another process"; return 1; fi
  mkdir -p "$redis_dir"
  "$here/redis-credentials.sh" "$credentials_dir"
  # Redis keeps only live state that can be rebuilt from Kafka; AOF every second bounds the
  # rebuild work after a restart. The SLA timer's minute buckets are sized to stay listpack
  # sorted sets (compact): the two zset limits are pinned to the values they are sized for.
  # The users come from the ACL file, which holds password hashes: no password on this line.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$redis_dir" \
    --aclfile "$credentials_dir/redis-users.acl" \
    --appendonly yes --appendfsync everysec --save "" \
    --zset-max-listpack-entries 128 --zset-max-listpack-value 64 \
    --daemonize yes --pidfile "$redis_dir/pid" --logfile "$redis_dir/redis.log"
  wait_for 20 "redis on port $REDIS_PORT" redis_ready
  log "redis ready on 127.0.0.1:$REDIS_PORT (pid $(cat "$redis_dir/pid"))"
}

# As admin; redis-cli reads the password from REDISCLI_AUTH, not from its command line.
redis_admin_cli() {
  REDISCLI_AUTH=$(sed -n 's/^password=//p' "$credentials_dir/redis-admin") \
    redis-cli --user admin -p "$REDIS_PORT" "$@"
}

redis_ready() { [ "$(redis_admin_cli ping 2>/dev/null)" = PONG ]; }

start_prometheus() {
  if pid_alive "$prometheus_dir/pid"; then log "prometheus already running"; return; fi
  if port_open "$PROMETHEUS_PORT"; then log "port $PROMETHEUS_PORT is taken by another process"; return 1; fi
  mkdir -p "$prometheus_dir/data"
  nohup prometheus --config.file="$here/prometheus/prometheus.yml"     --storage.tsdb.path="$prometheus_dir/data"     --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >"$prometheus_dir/prometheus.log" 2>&1 &
  echo $! >"$prometheus_dir/pid"
  wait_for 30 "prometheus on port $PROMETHEUS_PORT" prometheus_ready \
    || { tail -20 "$prometheus_dir/prometheus.log" >&2; return 1; }
  log "prometheus ready on http://127.0.0.1:$PROMETHEUS_PORT (alerts: /alerts, targets: /targets)"
}

prometheus_ready() {
  pid_alive "$prometheus_dir/pid" || { log "prometheus exited"; tail -20 "$prometheus_dir/prometheus.log" >&2; exit 1; }
  (exec 3<>"/dev/tcp/127.0.0.1/$PROMETHEUS_PORT" && printf 'GET /-/ready HTTP/1.0\r\n\r\n' >&3 \
    && head -1 <&3 | grep -q ' 200 ') 2>/dev/null
}

stop_pid() {  # stop_pid <pidfile> <name> <grace seconds>
  local pidfile=$1 name=$2 grace=$3
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in ${grace}s; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
  log "$name stopped"
}

case "${1:-}" in
  start)
    if [ "${2:-}" = "--fresh" ]; then
      "$0" stop
      rm -rf "$kafka_dir" "$redis_dir" "$prometheus_dir" "$credentials_dir"
    fi
    start_redis
    start_kafka
    if [ "${PROMETHEUS:-0}" = 1 ]; then start_prometheus; fi
    ;;
  stop)
    stop_pid "$prometheus_dir/pid" prometheus 20
    stop_pid "$kafka_dir/pid" kafka 60
    stop_pid "$redis_dir/pid" redis 20
    ;;
  status)
    pid_alive "$kafka_dir/pid" && echo "kafka: running on 127.0.0.1:$KAFKA_PORT" || echo "kafka: stopped"
    pid_alive "$redis_dir/pid" && echo "redis: running on 127.0.0.1:$REDIS_PORT" || echo "redis: stopped"
    pid_alive "$prometheus_dir/pid" && echo "prometheus: running on 127.0.0.1:$PROMETHEUS_PORT" || echo "prometheus: stopped"
    ;;
  *)
    echo "usage: $0 start [--fresh] | stop | status" >&2
    exit 2
    ;;
esac
