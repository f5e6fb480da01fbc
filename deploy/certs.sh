#!/usr/bin/env bash
# Makes the local certificate authority, the services' server certificate and one client
# credential per principal, for gRPC with mutual TLS (README.md, "Who may do what").
#
#   deploy/certs.sh                      everything missing, into $CERTS_DIR (<repo>/.certs)
#   deploy/certs.sh branch:BJ-0102 ...   also credentials for these principals
#
# A client credential is <dir>/<role>_<name>.crt + .key, its subject CN the principal
# ("branch:BJ-0101"): the services take the caller's role and, for branches and supervisors, its
# unit from it. Idempotent: what exists is kept (delete the directory to start over). The CA key
# never leaves this directory; a real deployment signs with the bank's own CA instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
CERTS_DIR=${CERTS_DIR:-$repo/.certs}
DAYS=${CERTS_DAYS:-825}
mkdir -p "$CERTS_DIR"
chmod 700 "$CERTS_DIR"
cd "$CERTS_DIR"

# The principals the demo, the tests and the tools use: one per role and several supervisors
# (units of deploy/routing/units.textproto).
principals=(
  telephony:ivr-1 agent:alice operations:ops admin:root
  supervisor:BJ-0110 supervisor:BJ-0100 supervisor:SH-0210 supervisor:HO-COMPLAINTS
)
# A branch credential for every unit of the hierarchy: the demo works each case as its unit.
while read -r code; do principals+=("branch:$code"); done \
  < <(sed -n 's/^unit { code: "\([^"]*\)".*/\1/p' "$here/routing/units.textproto")
principals+=("$@")

if [ ! -f ca.crt ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$DAYS" -subj "/O=complaints-local/CN=complaints local CA" \
    -keyout ca.key -out ca.crt 2>/dev/null
  chmod 600 ca.key
  echo "certs: made the local CA in $CERTS_DIR"
fi

# sign <file base> <CN> <extensions>
sign() {
  local base=$1 cn=$2 ext=$3
  [ -f "$base.crt" ] && return 0
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/O=complaints-local/CN=$cn" \
    -keyout "$base.key" -out "$base.csr" 2>/dev/null
  openssl x509 -req -in "$base.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$DAYS" \
    -extfile <(printf '%s\n' "$ext") -out "$base.crt" 2>/dev/null
  rm -f "$base.csr"
  chmod 600 "$base.key"
}

# The services' certificate: every service of the local stack listens on loopback.
sign server "complaints-services" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"

made=0
for principal in "${principals[@]}"; do
  case "$principal" in
    *:*) ;;
    *) echo "certs: '$principal' is not <role>:<name>" >&2; exit 1 ;;
  esac
  base=${principal//:/_}
  if [ ! -f "$base.crt" ]; then
    sign "$base" "$principal" "extendedKeyUsage=clientAuth"
    made=$((made + 1))
  fi
done
echo "certs: ready in $CERTS_DIR ($made new client credentials)"
