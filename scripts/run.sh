#!/usr/bin/env bash
# Sets up and runs Call Commander on this machine: packages, build, a project-local PostgreSQL
# with demo data, a development TLS certificate, the server, and the app pointed at it.
#
#   scripts/run.sh          set up (idempotent), start the server, launch the app
#   scripts/run.sh stop     stop the server and the PostgreSQL cluster
#   scripts/run.sh status   show what is running
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PRESET=release
PG_PORT=${CALLCOMMANDER_DEV_PG_PORT:-55432}
SERVER_PORT=${CALLCOMMANDER_DEV_PORT:-8443}
PID_FILE="$CC_LOCAL/server.pid"
SERVER_LOG="$CC_LOCAL/logs/server.log"
SERVER_BIN="$CC_ROOT/build/$PRESET/server/callcommander-server"
APP_BIN="$CC_ROOT/build/$PRESET/app/main/callcommander"
CALLSIM_BIN="$CC_ROOT/build/$PRESET/tools/callcommander-callsim"
CALLSIM_PID_FILE="$CC_LOCAL/callsim.pid"
CALLSIM_LOG="$CC_LOCAL/logs/callsim.log"
# The demo's phone line: a Twilio account whose calls the call simulator plays (the SID is made
# up; the auth token that signs its webhooks is made once per checkout).
DEMO_ACCOUNT_SID="ACd3e00000000000000000000000000001"
DEMO_TOKEN_FILE="$CC_LOCAL/twilio-demo-token"
SERVER_URL="wss://127.0.0.1:$SERVER_PORT/ws"
DEMO_PASSWORD="northwind-demo"

# Whether `pid` runs `binary`: after a reboot a pid may belong to something else, and after a
# rebuild /proc/<pid>/exe reads "... (deleted)", so the command line is what is compared.
runs() {
    local pid=$1 binary=$2
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1)" = "$binary" ]
}

# Running, and really our server.
server_running() {
    [ -f "$PID_FILE" ] || return 1
    local pid
    pid=$(cat "$PID_FILE")
    runs "$pid" "$SERVER_BIN"
}

stop_server() {
    server_running || { rm -f "$PID_FILE"; return 0; }
    local pid
    pid=$(cat "$PID_FILE")
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "    the server did not stop within 10 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
}

callsim_running() {
    [ -f "$CALLSIM_PID_FILE" ] || return 1
    local pid
    pid=$(cat "$CALLSIM_PID_FILE")
    runs "$pid" "$CALLSIM_BIN"
}

stop_callsim() {
    callsim_running || { rm -f "$CALLSIM_PID_FILE"; return 0; }
    local pid
    pid=$(cat "$CALLSIM_PID_FILE")
    kill -INT "$pid" 2>/dev/null || true # no new calls; its staff sign out
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null || true # a second signal: at once
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$CALLSIM_PID_FILE"
}

stop_all() {
    say "Stopping the demo phone line (call simulator)"
    stop_callsim
    say "Stopping the server"
    stop_server
    say "Stopping PostgreSQL"
    cc_pg_stop dev
}

case "${1:-up}" in
stop) stop_all; exit 0 ;;
status)
    server_running && echo "server: running (pid $(cat "$PID_FILE"), $SERVER_URL)" || echo "server: stopped"
    callsim_running && echo "demo calls: running (pid $(cat "$CALLSIM_PID_FILE"), log ${CALLSIM_LOG#"$CC_ROOT"/})" || echo "demo calls: stopped"
    as_pg "$PG_BIN/pg_ctl" -D "$(cc_pg_root dev)/data" status >/dev/null 2>&1 \
        && echo "postgresql: running (127.0.0.1:$PG_PORT)" || echo "postgresql: stopped"
    exit 0 ;;
up) ;;
*) die "usage: scripts/run.sh [stop|status]" ;;
esac

start=$SECONDS
cc_install_packages
# A simulator from an earlier run would outlive its binary's rebuild: stop it first.
stop_callsim
cc_build "$PRESET" callcommander callcommander-server callcommander-callsim
cc_pg_start dev "$PG_PORT"
cc_dev_certs

# The key that signs access tokens, made once per checkout (0600, like the rest of the secrets).
KEY_FILE="$CC_LOCAL/auth-token-key"
if [ ! -s "$KEY_FILE" ]; then
    (umask 077; printf 'dev1:%s\n' "$(openssl rand 32 | basenc --base64url | tr -d '=')" >"$KEY_FILE")
fi
# The key that seals integration secrets (Twilio auth tokens ...) in the database, made once per
# checkout and kept with it: a new key would leave the secrets already stored unreadable.
SECRETS_KEY_FILE="$CC_LOCAL/secrets-key"
if [ ! -s "$SECRETS_KEY_FILE" ]; then
    (umask 077; printf 'dev1:%s\n' "$(openssl rand 32 | basenc --base64url | tr -d '=')" >"$SECRETS_KEY_FILE")
fi

umask 077 # the config holds the database password, the signing key and the secrets key
cat >"$CC_LOCAL/server.conf" <<CONF
# Written by scripts/run.sh for local development.
listen.address = 127.0.0.1
listen.port = $SERVER_PORT
tls.cert = $CC_LOCAL/tls/server.pem
tls.key = $CC_LOCAL/tls/server.key
db.conninfo = $CC_PG_CONNINFO
auth.token_keys = $(cat "$KEY_FILE")
secrets.keys = $(cat "$SECRETS_KEY_FILE")
log.level = info
CONF
umask 022

say "Applying migrations"
"$SERVER_BIN" --config "$CC_LOCAL/server.conf" migrate 2>&1 | sed 's/^/    /'
say "Loading demo data (Northwind Outfitters: 12 stores in 3 regions)"
psql "$CC_PG_CONNINFO" -v ON_ERROR_STOP=1 -q -f "$CC_ROOT/tools/demo/demo-data.sql" | sed 's/^/    /'
# Every demo account signs in with the same password; only its Argon2id hash is stored.
DEMO_HASH=$(printf '%s\n' "$DEMO_PASSWORD" | "$SERVER_BIN" hash-password)
psql "$CC_PG_CONNINFO" -v ON_ERROR_STOP=1 -q -v hash="$DEMO_HASH" >/dev/null <<'SQL'
UPDATE users u SET password_hash = :'hash', password_changed_at = now()
  FROM organisations o WHERE o.id = u.organisation_id AND o.slug = 'northwind';
SQL
# The phone line: Twilio account, routing rules lively enough for a demo, and the staff the
# simulator signs in (everyone who takes calls but Isabella, whom the app signs in).
[ -s "$DEMO_TOKEN_FILE" ] || (umask 077; openssl rand -hex 16 >"$DEMO_TOKEN_FILE")
"$SERVER_BIN" --config "$CC_LOCAL/server.conf" set-twilio-account northwind "$DEMO_ACCOUNT_SID" \
    <"$DEMO_TOKEN_FILE" 2>&1 | sed 's/^/    /'
psql "$CC_PG_CONNINFO" -v ON_ERROR_STOP=1 -q >/dev/null <<'SQL'
INSERT INTO routing_rules (organisation_id, ring_timeout_s, overflow_after_s, voicemail_after_s,
                           wrap_up_s, missed_pause_s, callback_due_minutes)
SELECT id, 15, 45, 150, 20, 30, 30 FROM organisations WHERE slug = 'northwind';
SQL
psql "$CC_PG_CONNINFO" -At -c "SELECT u.email FROM users u JOIN organisations o ON o.id = u.organisation_id
    WHERE o.slug = 'northwind' AND u.role IN ('staff', 'manager')
      AND u.email <> 'isabella.ortiz@northwind.example' ORDER BY u.email" >"$CC_LOCAL/demo-agents.txt"
DEMO_NUMBERS=$(psql "$CC_PG_CONNINFO" -At -c "SELECT string_agg(n.number, ',' ORDER BY n.number)
    FROM phone_numbers n JOIN organisations o ON o.id = n.organisation_id WHERE o.slug = 'northwind'")
DEMO_CALLERS=$(psql "$CC_PG_CONNINFO" -At -c "SELECT string_agg(DISTINCT p.number, ',')
    FROM customer_phones p JOIN organisations o ON o.id = p.organisation_id WHERE o.slug = 'northwind'")
echo "    sign in with company code northwind, e.g. isabella.ortiz@northwind.example (staff, NE-01),"
echo "    brian.martinez@northwind.example (manager), dana.whitfield@northwind.example (admin);"
echo "    password: $DEMO_PASSWORD"

if server_running; then
    say "Restarting the server"
    stop_server
fi
say "Starting the server on https://127.0.0.1:$SERVER_PORT (log: ${SERVER_LOG#"$CC_ROOT"/})"
mkdir -p "$(dirname "$SERVER_LOG")"
# In a session of its own: a Ctrl-C for the app in this terminal is not for the server.
setsid nohup "$SERVER_BIN" --config "$CC_LOCAL/server.conf" >>"$SERVER_LOG" 2>&1 </dev/null &
echo $! >"$PID_FILE"
ready=""
for _ in $(seq 1 100); do
    if curl -fsS --cacert "$CC_LOCAL/tls/ca.pem" "https://127.0.0.1:$SERVER_PORT/readyz" >/dev/null 2>&1; then
        ready=yes; break
    fi
    server_running || break
    sleep 0.1
done
[ -n "$ready" ] || { tail -n 20 "$SERVER_LOG" >&2; die "the server did not become ready"; }
echo "    ready: $(curl -fsS --cacert "$CC_LOCAL/tls/ca.pem" "https://127.0.0.1:$SERVER_PORT/readyz")"

say "Starting the demo phone line: a call every ~10 s to the stores, staff online (log: ${CALLSIM_LOG#"$CC_ROOT"/})"
[ -n "$DEMO_NUMBERS" ] || die "the demo data has no phone numbers for northwind"
CALLSIM_AUTH_TOKEN=$(cat "$DEMO_TOKEN_FILE") CALLSIM_AGENT_PASSWORD="$DEMO_PASSWORD" \
    setsid nohup "$CALLSIM_BIN" --url "https://127.0.0.1:$SERVER_PORT" --ca "$CC_LOCAL/tls/ca.pem" \
    --account-sid "$DEMO_ACCOUNT_SID" --numbers "$DEMO_NUMBERS" --pick random \
    --from "$DEMO_CALLERS" --rate 0.1 --duration 86400 --talk-seconds 45 \
    --patience-seconds 60 --agents-login northwind --agents-file "$CC_LOCAL/demo-agents.txt" \
    --progress=60 >>"$CALLSIM_LOG" 2>&1 </dev/null &
echo $! >"$CALLSIM_PID_FILE"
sleep 2 # a bad option, or staff who cannot sign in, end it at once
callsim_running || { tail -n 20 "$CALLSIM_LOG" >&2; die "the call simulator did not start"; }
echo "    set up in $((SECONDS - start)) s"

APP_ARGS=(--server "$SERVER_URL" --ca-cert "$CC_LOCAL/tls/ca.pem" --organisation northwind
          --email isabella.ortiz@northwind.example)
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    cat <<MSG

No display here, so the app was not opened. The server keeps running. To use the app:
  on a machine with a display:   $APP_BIN ${APP_ARGS[*]}
  in a virtual display:          xvfb-run -a $APP_BIN ${APP_ARGS[*]}
  a screenshot, signed in:       CALLCOMMANDER_PASSWORD=$DEMO_PASSWORD xvfb-run -a $APP_BIN ${APP_ARGS[*]} --screenshot app.png
  (QT_QPA_PLATFORM=offscreen also runs it, but without OpenGL its buttons draw no background)
Calls arrive every ~10 s (the call simulator plays Twilio; see ${CALLSIM_LOG#"$CC_ROOT"/}).
Stop everything with: scripts/run.sh stop
MSG
    exit 0
fi
say "Launching the app (close it to return; the server keeps running until scripts/run.sh stop)"
"$APP_BIN" "${APP_ARGS[@]}"
