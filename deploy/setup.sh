#!/usr/bin/env bash
# Prepares a fresh Debian machine: installs the packages the build and the local stack need and
# fetches the Kafka broker's jars. Idempotent: a second run does no network work.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

packages=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  librdkafka-dev libhiredis-dev libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev
  redis-server redis-tools kcat grpc-proto tzdata zlib1g-dev libre2-dev libssl-dev
  libcpp-httplib-dev prometheus clang libfuzzer-14-dev libclang-rt-14-dev openssl
  libjemalloc-dev  # the services' allocator
  libjs-chart.js chromium fonts-wqy-microhei  # the analytics dashboard: charts served locally, its browser test, CJK glyphs
)
# A JDK and Maven are often there already (not always from Debian's packages).
command -v java >/dev/null || packages+=(default-jre-headless)
command -v mvn >/dev/null || packages+=(maven)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Systemd may start a packaged redis-server on 6379; the stack runs its own, so leave it be but
# do not depend on it.

kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")
libs="$here/kafka/libs"
if [ ! -f "$libs/.complete-$kafka_version" ]; then
  echo "setup: fetching Kafka $kafka_version jars from Maven Central"
  rm -rf "$libs"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs"
  touch "$libs/.complete-$kafka_version"
fi
# The local CA and the credentials of the services and of each role (mutual TLS, README.md).
"$here/certs.sh"
echo "setup: ready (Kafka $kafka_version)"
