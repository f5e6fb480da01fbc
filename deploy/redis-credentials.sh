#!/usr/bin/env bash
# The Redis ACL of the local stack: one user per service, each limited to its own key prefix,
# and an `admin` for tests, tools and operators; the `default` user is off.
#
#   deploy/redis-credentials.sh <dir>
#
# Writes into <dir> (mode 0700), each file mode 0600:
#   redis-<user>     the user's credentials, two lines `user=<name>` and `password=<password>`
#                    (read by the services through redis.credentials_file, i.e. the environment
#                    variable COMPLAINTS_REDIS_CREDENTIALS_FILE, and by the tests)
#   redis-users.acl  the ACL file redis-server loads (--aclfile); it holds SHA-256 hashes of the
#                    passwords, not the passwords
# Passwords are random and made once: a credentials file that exists is kept (deploy/stack.sh
# start --fresh removes the directory first, so a fresh stack gets new ones); the ACL file is
# written again from them every time. No password goes through a command line.
set -euo pipefail
dir=${1:?usage: $0 <credentials dir>}
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

# The users and their keys. Key patterns: `~p` read and write, `%R~p` read only (Redis 7).
# Every service keeps its own state under `<service>:` (stores, rebuild markers under
# `<service>:rebuild:`); the SLA timer's prefix is `sla.redis_prefix` ("sla", keys "sla:...").
# Shared explicitly:
#  - the case ledger (libs/cases/redis_case_ledger_store.h): `case:<id>`, `case-pending`,
#    `case-unit:<unit>`, written by routing, the SLA timer and follow-up (their CaseLedger), read
#    by intake and analytics (who may see a complaint: libs/runtime/access_control.h reads
#    `case:<id>`);
#  - routing's rebuild markers `routing:rebuild:*`, read by the SLA timer and follow-up (they
#    change cases only once routing has rebuilt them: libs/runtime/state_readiness.h);
#  - the SLA timer's worklists `sla:*`, read by routing (ListCases orders by deadline).
# Commands: everything but @dangerous (FLUSHALL, KEYS, CONFIG, DEBUG, CLIENT, INFO...); the
# services use data commands, EVALSHA, SCRIPT LOAD and SELECT, none of them dangerous.
ledger='~case:* ~case-pending ~case-unit:*'
declare -A keys=(
  [intake]='~intake:* %R~case:*'
  [routing]="~routing:* $ledger %R~sla:*"
  [sla_timer]="~sla:* $ledger %R~routing:rebuild:*"
  [followup]="~followup:* $ledger %R~routing:rebuild:*"
  [analytics]='~analytics:* %R~case:*'
)
users=(admin intake routing sla_timer followup analytics)

password_of() { sed -n 's/^password=//p' "$dir/redis-$1"; }

for user in "${users[@]}"; do
  file="$dir/redis-$user"
  if [ ! -s "$file" ]; then
    password=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
    printf 'user=%s\npassword=%s\n' "$user" "$password" >"$file.tmp"
    mv "$file.tmp" "$file"
  fi
  chmod 600 "$file"
done

acl="$dir/redis-users.acl"
{
  echo "user default off resetkeys resetchannels -@all"
  for user in "${users[@]}"; do
    hash=$(printf '%s' "$(password_of "$user")" | sha256sum | cut -d' ' -f1)
    if [ "$user" = admin ]; then
      echo "user admin on #$hash ~* &* +@all"
    else
      echo "user $user on #$hash resetkeys ${keys[$user]} resetchannels +@all -@dangerous"
    fi
  done
} >"$acl.tmp"
mv "$acl.tmp" "$acl"
chmod 600 "$acl"
