#!/usr/bin/env bash
# Sets up and runs the whole test suite: packages, a build with AddressSanitizer and
# UndefinedBehaviorSanitizer, a throwaway project-local PostgreSQL cluster, then ctest, then the
# Debian packages built, installed, started and purged (scripts/package-check.sh; as root).
#
#   scripts/test.sh [extra ctest arguments, e.g. -R server]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PRESET=${CALLCOMMANDER_TEST_PRESET:-asan}
PG_PORT=${CALLCOMMANDER_TEST_PG_PORT:-55433}

start=$SECONDS
cc_install_packages
cc_build "$PRESET"
trap 'cc_pg_stop test' EXIT
cc_pg_start test "$PG_PORT"

# Tests create (and drop) their own databases through this role; see tests/README.md.
export CALLCOMMANDER_TEST_PG="${CC_PG_CONNINFO/dbname=callcommander/dbname=postgres}"
say "Running the tests (ctest --preset $PRESET)"
status=0
ctest --preset "$PRESET" "$@" || status=$?
# The Debian packages as an operator installs them (root only: dpkg). Not when only some of the
# tests were asked for.
if [ $# -eq 0 ] && [ "${CALLCOMMANDER_SKIP_PACKAGES:-0}" = 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        "$CC_ROOT/scripts/package-check.sh" || status=$?
    else
        say "Skipping the package check: installing packages needs root"
    fi
fi
echo "    tests finished in $((SECONDS - start)) s in all"
exit $status
