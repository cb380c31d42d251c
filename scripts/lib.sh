# Shared by run.sh and test.sh: packages, build, the project-local PostgreSQL, certificates.
# Source it; it expects bash and `set -euo pipefail`.

CC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CC_LOCAL="$CC_ROOT/.local"
PG_BIN=/usr/lib/postgresql/15/bin

# Debian 12 packages the build, the tests and the product need (see ../shared notes and README).
CC_PACKAGES=(
    cmake ninja-build g++ pkg-config git curl openssl ca-certificates
    qt6-base-dev qt6-declarative-dev qt6-websockets-dev qt6-charts-dev qt6-declarative-dev-tools
    libqt6sql6-sqlite libqt6svg6 qml6-module-qtquick qml6-module-qtquick-controls
    qml6-module-qtquick-templates qml6-module-qtquick-layouts qml6-module-qtquick-window
    qml6-module-qtqml-workerscript qml6-module-qtcharts qml6-module-qttest
    libboost-json1.81-dev libboost-system1.81-dev libpqxx-dev libssl-dev libsqlite3-dev libargon2-dev
    libhowardhinnant-date-dev tzdata
    postgresql-15 postgresql-client-15 xvfb xauth fonts-dejavu-core clang libclang-rt-14-dev
    nginx-light dpkg-dev adduser init-system-helpers
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs what is missing; says nothing when everything is there.
cc_install_packages() {
    local missing=() pkg
    for pkg in "${CC_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "Installing ${#missing[@]} Debian packages: ${missing[*]}"
    # Packages install services (nginx, PostgreSQL's main cluster); ours start their own, on
    # loopback, in the project's folders. policy-rc.d keeps the packaged ones from starting.
    # It is removed however the install ends (a subshell with its own trap), and a leftover of an
    # earlier run is recognised by its marker and replaced.
    local policy=/usr/sbin/policy-rc.d marker="# callcommander: packages installing"
    if [ -e "$policy" ] && grep -qx "$marker" "$policy"; then
        as_root rm -f "$policy"
    fi
    (
        if [ ! -e "$policy" ]; then
            trap 'as_root rm -f "$policy"' EXIT
            trap 'exit 130' INT TERM
            printf '#!/bin/sh\n%s\nexit 101\n' "$marker" | as_root tee "$policy" >/dev/null
            as_root chmod 755 "$policy"
        fi
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    ) || die "installing Debian packages failed"
}

# cc_build PRESET [TARGET...]: configure (once) and build (everything, or the targets named);
# the full log goes to .local/logs.
cc_build() {
    local preset=$1 log="$CC_LOCAL/logs/build-$1.log"
    shift
    local targets=()
    [ $# -gt 0 ] && targets=(--target "$@")
    mkdir -p "$CC_LOCAL/logs"
    say "Building ($preset preset; log: ${log#"$CC_ROOT"/})"
    local start=$SECONDS
    if ! { cmake --preset "$preset" && cmake --build --preset "$preset" "${targets[@]}"; } >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        die "build failed; the whole log is in $log"
    fi
    echo "    built in $((SECONDS - start)) s"
}

# Where a cluster lives. PostgreSQL runs as the unprivileged user `postgres` when we are root
# (it refuses to run as root), and that user must be able to walk into the folder: a clone under
# a folder closed to others gets a private folder under /var/tmp instead.
cc_pg_root() {
    local name=$1
    local dir="$CC_LOCAL/pg-$name"
    if [ "$(id -u)" -eq 0 ]; then
        local probe="$CC_ROOT"
        if ! runuser -u postgres -- test -x "$probe" 2>/dev/null; then
            local hash
            hash=$(printf '%s' "$CC_ROOT" | sha256sum | cut -c1-12)
            dir="/var/tmp/callcommander-$hash/pg-$name"
            if [ ! -d "$dir" ]; then
                echo "    note: user postgres cannot enter $CC_ROOT; the $name cluster lives in $dir" >&2
            fi
        fi
    fi
    printf '%s\n' "$dir"
}

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# cc_pg_start NAME PORT: creates (first time) and starts a cluster on 127.0.0.1:PORT with a
# role and database `callcommander`. Sets CC_PG_CONNINFO (application) and CC_PG_ADMIN_CONNINFO.
cc_pg_start() {
    local name=$1 port=$2 root
    root=$(cc_pg_root "$name")
    local data="$root/data"
    if [ ! -f "$data/PG_VERSION" ]; then
        say "Creating PostgreSQL 15 cluster '$name' in $root"
        mkdir -p "$root"
        # postgres must be able to walk into .local whatever the caller's umask; the secrets
        # inside sit in folders and files of mode 700/600.
        chmod 755 "$(dirname "$root")"
        chmod 700 "$root"
        umask 077
        openssl rand -hex 24 >"$root/superuser.password"
        openssl rand -hex 24 >"$root/app.password"
        umask 022
        [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$root"
        as_pg "$PG_BIN/initdb" -D "$data" -U postgres --auth=scram-sha-256 \
            --pwfile="$root/superuser.password" -E UTF8 --locale=C.UTF-8 >"$root/initdb.log" 2>&1 \
            || { cat "$root/initdb.log" >&2; die "initdb failed"; }
    fi
    if ! as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        # TCP on loopback only; no Unix socket (its path length limit breaks deep clone folders).
        as_pg "$PG_BIN/pg_ctl" -D "$data" -w -t 60 -l "$root/postgresql.log" \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=''" start >/dev/null \
            || { tail -n 20 "$root/postgresql.log" >&2; die "PostgreSQL ($name) did not start"; }
    fi
    local su_pw app_pw
    su_pw=$(cat "$root/superuser.password")
    app_pw=$(cat "$root/app.password")
    CC_PG_CONNINFO="host=127.0.0.1 port=$port user=callcommander password=$app_pw dbname=callcommander"
    # The application role owns its database and may create throwaway test databases. The
    # superuser's password goes through the environment, not the command line (ps shows that).
    PGPASSWORD="$su_pw" psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" \
        -v ON_ERROR_STOP=1 -q >/dev/null <<SQL
SELECT 'CREATE ROLE callcommander LOGIN CREATEDB'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'callcommander')\gexec
ALTER ROLE callcommander PASSWORD '$app_pw';
SELECT 'CREATE DATABASE callcommander OWNER callcommander'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'callcommander')\gexec
SQL
    echo "    PostgreSQL '$name' on 127.0.0.1:$port (data: $data)"
}

cc_pg_stop() {
    local root
    root=$(cc_pg_root "$1")
    [ -f "$root/data/PG_VERSION" ] || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$root/data" status >/dev/null 2>&1 || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null 2>&1 \
        || echo "    warning: PostgreSQL ($1) did not stop; see $root/postgresql.log" >&2
}

# A development certificate authority and a server certificate for 127.0.0.1 / localhost.
# Regenerated when missing or within a week of expiry.
cc_dev_certs() {
    local dir="$CC_LOCAL/tls"
    mkdir -p "$dir"
    if [ -f "$dir/server.pem" ] && openssl x509 -checkend 604800 -noout -in "$dir/server.pem" >/dev/null 2>&1; then
        return 0
    fi
    say "Generating a development TLS certificate (CA: ${dir#"$CC_ROOT"/}/ca.pem)"
    (
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
            -subj "/CN=Call Commander development CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
            -CAcreateserial -days 397 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
        rm -f "$dir/server.csr" "$dir/server.ext"
    )
    chmod 644 "$dir/ca.pem" "$dir/server.pem"
}
