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
# A second simulator: callers who ask the self-service line a question instead of waiting.
ASKER_PID_FILE="$CC_LOCAL/callsim-asker.pid"
ASKER_LOG="$CC_LOCAL/logs/callsim-asker.log"
# The demo's shop systems: local stand-ins for Shopify and Google Calendar (the real ones cannot
# be reached from here), which the server talks to over HTTPS like to the real ones.
FAKES_BIN="$CC_ROOT/build/$PRESET/tests/fakes/callcommander-provider-fakes"
FAKES_PID_FILE="$CC_LOCAL/provider-fakes.pid"
FAKES_LOG="$CC_LOCAL/logs/provider-fakes.log"
FAKES_PORT=${CALLCOMMANDER_DEV_FAKES_PORT:-8444}
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

callsim_running() { # [PID_FILE]
    local file=${1:-$CALLSIM_PID_FILE}
    [ -f "$file" ] || return 1
    runs "$(cat "$file")" "$CALLSIM_BIN"
}

stop_callsim() {
    local file pid
    for file in "$CALLSIM_PID_FILE" "$ASKER_PID_FILE"; do
        callsim_running "$file" || { rm -f "$file"; continue; }
        pid=$(cat "$file")
        kill -INT "$pid" 2>/dev/null || true # no new calls; its staff sign out
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -TERM "$pid" 2>/dev/null || true # a second signal: at once
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$file"
    done
}

fakes_running() {
    [ -f "$FAKES_PID_FILE" ] || return 1
    runs "$(cat "$FAKES_PID_FILE")" "$FAKES_BIN"
}

stop_fakes() {
    fakes_running || { rm -f "$FAKES_PID_FILE"; return 0; }
    local pid
    pid=$(cat "$FAKES_PID_FILE")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$FAKES_PID_FILE"
}

stop_all() {
    say "Stopping the demo phone line (call simulator)"
    stop_callsim
    say "Stopping the demo shop systems (provider fakes)"
    stop_fakes
    say "Stopping the server"
    stop_server
    say "Stopping PostgreSQL"
    cc_pg_stop dev
}

case "${1:-up}" in
stop) stop_all; exit 0 ;;
status)
    server_running && echo "server: running (pid $(cat "$PID_FILE"), $SERVER_URL)" || echo "server: stopped"
    fakes_running && echo "demo shop systems: running (pid $(cat "$FAKES_PID_FILE"), https://127.0.0.1:$FAKES_PORT)" || echo "demo shop systems: stopped"
    callsim_running "$ASKER_PID_FILE" && echo "self-service callers: running (pid $(cat "$ASKER_PID_FILE"))" || echo "self-service callers: stopped"
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
stop_fakes
cc_build "$PRESET" callcommander callcommander-server callcommander-callsim \
    callcommander-provider-fakes
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

# The token a Prometheus scraper presents for /metrics (docs/deployment.md).
METRICS_TOKEN_FILE="$CC_LOCAL/metrics-token"
[ -s "$METRICS_TOKEN_FILE" ] || (umask 077; openssl rand -hex 32 >"$METRICS_TOKEN_FILE")

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
integrations.ca_file = $CC_LOCAL/tls/ca.pem
# The demo shop systems listen on this machine (never set this for real providers).
integrations.allow_private_addresses = true
metrics.token = $(cat "$METRICS_TOKEN_FILE")
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

say "Connecting the demo shop systems: Shopify (stock) and Google Calendar, as an admin would"
mkdir -p "$(dirname "$FAKES_LOG")"
: >"$FAKES_LOG"
setsid nohup "$FAKES_BIN" --cert "$CC_LOCAL/tls/server.pem" --key "$CC_LOCAL/tls/server.key" \
    --port "$FAKES_PORT" --demo >>"$FAKES_LOG" 2>&1 </dev/null &
echo $! >"$FAKES_PID_FILE"
for _ in $(seq 1 50); do grep -q '^listening on' "$FAKES_LOG" && break; sleep 0.1; done
grep -q '^listening on' "$FAKES_LOG" || { tail -n 20 "$FAKES_LOG" >&2; die "the provider fakes did not start"; }
FAKES_CONFIG=$(head -n 1 "$FAKES_LOG")
# Through the admin API, signed in as the demo admin: credentials go in sealed, never come out.
# Bodies and tokens travel on stdin, in the environment (psql's \getenv) and in a 0600 header
# file, never on a command line, which any local user can read with ps.
API_AUTH="$CC_LOCAL/run-api-auth"
api() { # METHOD PATH < JSON body -> answer body; a failure shows the server's answer
    curl -sS --fail-with-body --cacert "$CC_LOCAL/tls/ca.pem" -X "$1" \
        -H 'Content-Type: application/json' -H @"$API_AUTH" --data-binary @- \
        "https://127.0.0.1:$SERVER_PORT$2"
}
jsonfield() { # FIELD < JSON -> its text value, read by PostgreSQL (no jq needed)
    CC_DOC="$(cat)" psql "$CC_PG_CONNINFO" -At -v field="$1" <<'SQL'
\getenv doc CC_DOC
SELECT (:'doc')::jsonb ->> :'field'
SQL
}
(umask 077; : >"$API_AUTH")
LOGIN=$(CC_PASSWORD="$DEMO_PASSWORD" psql "$CC_PG_CONNINFO" -At <<'SQL' | api POST /v1/auth/login
\getenv password CC_PASSWORD
SELECT json_build_object('organisation', 'northwind', 'email', 'dana.whitfield@northwind.example',
                         'password', :'password', 'deviceId', 'run-sh')
SQL
)
TOKEN=$(jsonfield accessToken <<<"$LOGIN")
[ -n "$TOKEN" ] || die "the demo admin could not sign in"
printf 'Authorization: Bearer %s\n' "$TOKEN" >"$API_AUTH"
# Northwind's stores in code order are the demo shop's locations and calendars 1..12.
integration_body() { # shopify | google_calendar -> the PUT body, from the fakes' configuration
    CC_FAKES_CONFIG="$FAKES_CONFIG" psql "$CC_PG_CONNINFO" -At -v provider="$1" <<'SQL'
\getenv c CC_FAKES_CONFIG
WITH cfg AS (SELECT (:'c')::jsonb AS j),
stores AS (SELECT l.id, (row_number() OVER (ORDER BY l.code))::int - 1 AS i FROM locations l
             JOIN organisations o ON o.id = l.organisation_id WHERE o.slug = 'northwind')
SELECT CASE :'provider'
  WHEN 'shopify' THEN json_build_object(
         'enabled', true,
         'settings', json_build_object('base_url', j->'shopify'->>'baseUrl'),
         'credentials', json_build_object('access_token', j->'shopify'->>'accessToken'),
         'locations', (SELECT json_object_agg(id, j->'shopify'->'locations'->>i) FROM stores))
  ELSE json_build_object(
         'enabled', true,
         'settings', json_build_object('token_url', j->'google'->>'tokenUrl',
                                       'calendar_url', j->'google'->>'calendarBaseUrl',
                                       'client_id', j->'google'->>'clientId'),
         'credentials', json_build_object('client_secret', j->'google'->>'clientSecret',
                                          'refresh_token', j->'google'->>'refreshToken'),
         'locations', (SELECT json_object_agg(id, j->'google'->'calendars'->>i) FROM stores))
  END
  FROM cfg
SQL
}
for provider in shopify google_calendar; do
    integration_body "$provider" | api PUT "/v1/admin/integrations/$provider" >/dev/null
    echo "    $provider: $(echo '{}' | api POST "/v1/admin/integrations/$provider/test")"
done
echo '{"self_service": true}' | api PUT /v1/admin/routing-rules >/dev/null
# Signed out again: the demo admin's sign-in does not linger.
REFRESH=$(jsonfield refreshToken <<<"$LOGIN")
CC_REFRESH="$REFRESH" psql "$CC_PG_CONNINFO" -At <<'SQL' | api POST /v1/auth/logout >/dev/null
\getenv token CC_REFRESH
SELECT json_build_object('refreshToken', :'token')
SQL
rm -f "$API_AUTH"
TOKEN="" REFRESH="" LOGIN=""

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
say "Starting callers who ask the self-service line about stock (~1 a minute; log: ${ASKER_LOG#"$CC_ROOT"/})"
CALLSIM_AUTH_TOKEN=$(cat "$DEMO_TOKEN_FILE") \
    setsid nohup "$CALLSIM_BIN" --url "https://127.0.0.1:$SERVER_PORT" --ca "$CC_LOCAL/tls/ca.pem" \
    --account-sid "$DEMO_ACCOUNT_SID" --numbers "$DEMO_NUMBERS" --pick random \
    --from "$DEMO_CALLERS" --rate 0.016 --duration 86400 --callback-prob 0 \
    --say "do you have the blue rain jacket in medium" --progress=300 \
    >>"$ASKER_LOG" 2>&1 </dev/null &
echo $! >"$ASKER_PID_FILE"
sleep 1
callsim_running "$ASKER_PID_FILE" || { tail -n 20 "$ASKER_LOG" >&2; die "the self-service callers did not start"; }
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
The node's figures (Prometheus): curl --cacert .local/tls/ca.pem -H "Authorization: Bearer \$(cat .local/metrics-token)" https://127.0.0.1:$SERVER_PORT/metrics
Stop everything with: scripts/run.sh stop
MSG
    exit 0
fi
say "Launching the app (close it to return; the server keeps running until scripts/run.sh stop)"
"$APP_BIN" "${APP_ARGS[@]}"
