# Sourced by the scripts that use a stack of deploy/stack.sh (STACK_DIR, default <repo>/.stack):
# where each principal's credential is (STACK_CREDENTIALS_DIR: the services get their own from
# there) and the one this script's tools and tests use, the admin's, unless one is given.
STACK_CREDENTIALS_DIR=${STACK_CREDENTIALS_DIR:-${STACK_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.stack}/credentials}
export STACK_CREDENTIALS_DIR
export COMPLAINTS_KAFKA_CREDENTIALS_FILE=${COMPLAINTS_KAFKA_CREDENTIALS_FILE:-$STACK_CREDENTIALS_DIR/kafka-admin}
