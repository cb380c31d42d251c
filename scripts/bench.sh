#!/usr/bin/env bash
# Runs the benchmarks (bench/; figures and how to read them in BENCHMARKS.md):
# packages, an optimised build with the benchmarks (the "bench" preset), a project-local
# PostgreSQL 15 cluster of its own, then each benchmark in turn. Every figure is printed with its
# target from PRODUCT.md and PASS or MISS, and appended to build/bench/bench-<time>.log.
#
#   scripts/bench.sh [--quick] [p1 p2 p3 p4 p5 p6 p8]   (default: all, full sizes)
#
# --quick (or CC_BENCH_QUICK=1) runs smaller sizes: a smoke test of the benchmarks, not figures.
# Run it on an otherwise idle machine: everything shares its cores (the load average at the start
# of each benchmark is in its output).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PG_PORT=${CALLCOMMANDER_BENCH_PG_PORT:-55435}
QUICK=()
WANTED=()
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=(--quick) ;;
        p1 | p2 | p3 | p4 | p5 | p6 | p8) WANTED+=("$arg") ;;
        -h | --help)
            sed -n '2,11p' "$0"
            exit 0
            ;;
        *) die "unknown argument: $arg (expected --quick, p1, p2, p3, p4, p5, p6 or p8)" ;;
    esac
done
[ "${CC_BENCH_QUICK:-0}" != 0 ] && QUICK=(--quick)
[ ${#WANTED[@]} -eq 0 ] && WANTED=(p1 p2 p3 p4 p5 p6 p8)

declare -A PROGRAM=(
    [p1]=bench_p1_latency [p2]=bench_p2_bootstrap [p3]=bench_p3_sessions
    [p4]=bench_p4_writes [p5]=bench_p5_webhooks [p6]=bench_p6_analytics [p8]=bench_p8_offline
)

start=$SECONDS
# P4's relay runs on Node.js (Debian's, unless one is installed already).
if [[ " ${WANTED[*]} " == *" p4 "* ]] && ! command -v npm >/dev/null; then
    CC_PACKAGES+=(nodejs npm)
fi
cc_install_packages
cc_build bench callcommander-server cc_loadclient callcommander-callsim bench_p1_latency \
    bench_p2_bootstrap bench_p3_sessions bench_p4_writes bench_p5_webhooks bench_p6_analytics \
    bench_p8_offline
trap 'cc_pg_stop bench' EXIT
cc_pg_start bench "$PG_PORT"
# The benchmarks make (and drop) a database each, like the integration tests.
export CALLCOMMANDER_TEST_PG="${CC_PG_CONNINFO/dbname=callcommander/dbname=postgres}"

BIN="$CC_ROOT/build/bench/bench"
LOG="$CC_ROOT/build/bench/bench-$(date -u +%Y%m%dT%H%M%SZ).log"
export CC_BENCH_LOG="$LOG"
{
    echo "# Call Commander sync benchmarks, $(date -u +'%Y-%m-%d %H:%M UTC')"
    echo "# commit $(git -C "$CC_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
        git -C "$CC_ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
        "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM;" \
        "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (project-local cluster, defaults)"
    echo "# arguments: ${QUICK[*]:-full sizes} ${WANTED[*]}"
    echo
} >"$LOG"

# P4 runs twice: one node, then two nodes behind nginx side by side with the Node.js relay
# (bench/relay, its ws package from npm).
declare -A EXTRA_RUN=([p4]="--via nginx --relay")
if [[ " ${WANTED[*]} " == *" p4 "* ]]; then
    say "Installing the relay's ws package (npm ci in bench/relay)"
    (cd "$CC_ROOT/bench/relay" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

run_one() {
    local goal=$1 program=$2
    shift 2
    say "${goal^^}: $program $* ${QUICK[*]}"
    local t=$SECONDS
    if ! "$BIN/$program" "$@" "${QUICK[@]}"; then
        status=1
        echo "    $program failed (see above)" >&2
    fi
    echo "    ($((SECONDS - t)) s)"
}

status=0
for goal in "${WANTED[@]}"; do
    run_one "$goal" "${PROGRAM[$goal]}"
    if [ -n "${EXTRA_RUN[$goal]:-}" ]; then
        # shellcheck disable=SC2086 # the extra arguments are words
        run_one "$goal" "${PROGRAM[$goal]}" ${EXTRA_RUN[$goal]}
    fi
done
say "Figures appended to ${LOG#"$CC_ROOT"/} ($((SECONDS - start)) s in all)"
exit $status
