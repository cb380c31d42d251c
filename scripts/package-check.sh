#!/usr/bin/env bash
# Builds the Debian packages (release preset, CPack), installs them on this machine with dpkg -i,
# starts the server through its installed binary, as its system user, with the config and keys
# the package put in /etc, against a throwaway database of the test PostgreSQL cluster, checks
# /readyz, stops it, and purges both packages again.
#
#   scripts/package-check.sh     (scripts/test.sh runs it after the tests)
#
# Needs root (dpkg) and the test cluster: CALLCOMMANDER_TEST_PG, as test.sh exports it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -n "${CALLCOMMANDER_TEST_PG:-}" ] || die "CALLCOMMANDER_TEST_PG is not set: run through scripts/test.sh"
[ "$(id -u)" -eq 0 ] || die "installing packages needs root"
# Only on a machine that has never had them: the check installs, purges and deletes what the
# packages leave in /etc, which on a real node would be its keys.
for pkg in callcommander-server callcommander; do
    state=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    case "$state" in
        "" | un*) ;;
        *) die "$pkg is on this machine already ($state): not touching it" ;;
    esac
done
[ ! -e /etc/callcommander ] || die "/etc/callcommander exists: not touching this machine's keys"

start=$SECONDS
cc_build release callcommander-server callcommander
OUT="$CC_ROOT/build/release/packages"
rm -rf "$OUT"
say "Packaging (cpack)"
cpack --config "$CC_ROOT/build/release/CPackConfig.cmake" -B "$OUT" >"$CC_LOCAL/logs/cpack.log" 2>&1 \
    || { tail -n 40 "$CC_LOCAL/logs/cpack.log" >&2; die "cpack failed"; }
server_deb=$(ls "$OUT"/callcommander-server_*.deb)
app_deb=$(ls "$OUT"/callcommander_*.deb)
for deb in "$server_deb" "$app_deb"; do
    echo "    $(basename "$deb"): $(du -h "$deb" | cut -f1)"
    dpkg-deb --field "$deb" Package Version Depends | sed 's/^/      /'
done

DB=cc_package_check
export PGOPTIONS="-c client_min_messages=warning"
LOG="$CC_LOCAL/logs/package-check-server.log"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    dpkg --purge callcommander-server callcommander >/dev/null 2>&1 || true
    rm -rf /etc/callcommander # made by this check's install (refused above if it was there)
    psql "$CALLCOMMANDER_TEST_PG" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "Installing them (dpkg -i)"
dpkg -i "$server_deb" "$app_deb" >"$CC_LOCAL/logs/dpkg.log" 2>&1 \
    || { cat "$CC_LOCAL/logs/dpkg.log" >&2; die "dpkg -i failed"; }
check() { "$@" || die "after install: failed: $*"; }
[ "$(stat -c '%U:%G %a' /etc/callcommander/tls)" = "root:callcommander 750" ] \
    || die "the TLS folder is not root:callcommander 0750"
check test -x /usr/bin/callcommander-server
check test -x /usr/bin/callcommander
check test -f /usr/share/applications/callcommander.desktop
check test -f /usr/share/icons/hicolor/scalable/apps/callcommander.svg
check test -f /lib/systemd/system/callcommander-server.service
check test -f /lib/systemd/system/callcommander-purge.timer
check grep -qx /etc/callcommander/callcommander-server.conf /var/lib/dpkg/info/callcommander-server.conffiles
check getent passwd callcommander >/dev/null
[ "$(stat -c '%U:%G %a' /etc/callcommander/keys.env)" = "root:callcommander 640" ] \
    || die "keys.env is not root:callcommander 0640"
[ "$(stat -c '%U:%G %a' /etc/callcommander/callcommander-server.conf)" = "root:callcommander 640" ] \
    || die "the config is not root:callcommander 0640"
[ "$(stat -c '%U:%G %a' /etc/callcommander/tls/server.key)" = "root:callcommander 640" ] \
    || die "the TLS key is not root:callcommander 0640"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /lib/systemd/system/callcommander-server.service \
        /lib/systemd/system/callcommander-purge.service /lib/systemd/system/callcommander-purge.timer
fi
# Every library the binaries need is there (the package's Depends brought or named them).
for bin in /usr/bin/callcommander-server /usr/bin/callcommander; do
    if ldd "$bin" | grep -q 'not found'; then
        ldd "$bin" | grep 'not found' >&2
        die "$bin misses libraries"
    fi
done

say "Starting the installed server as its system user"
psql "$CALLCOMMANDER_TEST_PG" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
conninfo="${CALLCOMMANDER_TEST_PG/dbname=postgres/dbname=$DB}"
[ "$conninfo" != "$CALLCOMMANDER_TEST_PG" ] || die "cannot name the check's database in CALLCOMMANDER_TEST_PG"
# As systemd would: the unit's user, its EnvironmentFile, the packaged config; only the database
# and the port differ.
(
    set -a
    # shellcheck disable=SC1091
    . /etc/callcommander/keys.env
    set +a
    exec setpriv --reuid=callcommander --regid=callcommander --init-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        CALLCOMMANDER_DB_CONNINFO="$conninfo" \
        CALLCOMMANDER_LISTEN_PORT=0 CALLCOMMANDER_AUTH_TOKEN_KEYS="$CALLCOMMANDER_AUTH_TOKEN_KEYS" \
        CALLCOMMANDER_SECRETS_KEYS="$CALLCOMMANDER_SECRETS_KEYS" \
        /usr/bin/callcommander-server --config /etc/callcommander/callcommander-server.conf serve
) >"$LOG" 2>&1 &
pid=$!
# Port 0: the node picks a free one and says which.
PORT=
for _ in $(seq 1 60); do
    PORT=$(sed -n 's|.*listening on https://[^:]*:\([0-9]*\).*|\1|p' "$LOG" | head -n 1)
    [ -n "$PORT" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
[ -n "$PORT" ] || { cat "$LOG" >&2; die "the installed server did not start listening"; }
ready=
for _ in $(seq 1 60); do
    if body=$(curl -sf --cacert /etc/callcommander/tls/server.pem "https://localhost:$PORT/readyz"); then
        ready=$body
        break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
[ -n "$ready" ] || { cat "$LOG" >&2; die "the installed server never answered /readyz"; }
echo "    /readyz: $ready"
migrations=$(psql "${CALLCOMMANDER_TEST_PG/dbname=postgres/dbname=$DB}" -Atc "SELECT count(*) FROM schema_migrations")
expected=$(ls "$CC_ROOT"/server/db/migrations/*.sql | wc -l)
[ "$migrations" = "$expected" ] || die "migrations on start: $migrations of $expected applied"
echo "    migrations applied on start: $migrations"
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=
[ "$code" -eq 0 ] || { cat "$LOG" >&2; die "the installed server exited with $code on SIGTERM"; }
# The retention job as its timer runs it.
(
    set -a
    . /etc/callcommander/keys.env
    set +a
    setpriv --reuid=callcommander --regid=callcommander --init-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        CALLCOMMANDER_DB_CONNINFO="$conninfo" \
        CALLCOMMANDER_AUTH_TOKEN_KEYS="$CALLCOMMANDER_AUTH_TOKEN_KEYS" \
        CALLCOMMANDER_SECRETS_KEYS="$CALLCOMMANDER_SECRETS_KEYS" \
        /usr/bin/callcommander-server --config /etc/callcommander/callcommander-server.conf purge
) >>"$LOG" 2>&1 || { cat "$LOG" >&2; die "the retention job failed"; }

say "Removing them (dpkg --purge)"
dpkg --purge callcommander-server callcommander >"$CC_LOCAL/logs/dpkg-purge.log" 2>&1 \
    || { cat "$CC_LOCAL/logs/dpkg-purge.log" >&2; die "dpkg --purge failed"; }
for f in /usr/bin/callcommander-server /usr/bin/callcommander \
    /etc/callcommander/callcommander-server.conf /lib/systemd/system/callcommander-server.service; do
    [ ! -e "$f" ] || die "$f is still there after purge"
done
# The keys stay: the database's sealed secrets open only with them.
[ -f /etc/callcommander/keys.env ] || die "purge deleted keys.env"
echo "    packages checked in $((SECONDS - start)) s"
