#!/usr/bin/env bash
# Stream figures, reddish beside Redis (Debian's redis-server 7.0).
#
#   scripts/bench_streams.sh            all of the below
#   scripts/bench_streams.sh throughput XADD and XRANGE-of-10 at -P 1 and -P 16
#   scripts/bench_streams.sh memory     1,000,000 entries of 3 small fields:
#                                       used_memory and RSS, and the latency of
#                                       XRANGE of 100 entries from the middle
#
# redis-benchmark 7.0's -t list has no stream tests, so the commands are
# given on its command line (`redis-benchmark ... XADD mystream '*' f v`).
# As in scripts/bench.sh the server is pinned to CPU 0 and redis-benchmark
# to CPU 1; each measurement alternates reddish and Redis ROUNDS times and
# keeps the median, and a ratio is the median of the rounds' own ratios.
#
# Environment: ROUNDS (3), REQUESTS (100000 at -P 1; ten times that at -P 16),
# CLIENTS (50), ENTRIES (1000000), REDDISH (target/release/reddish-server).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-all}"
ROUNDS="${ROUNDS:-3}"
REQUESTS="${REQUESTS:-100000}"
CLIENTS="${CLIENTS:-50}"
ENTRIES="${ENTRIES:-1000000}"
REDDISH="${REDDISH:-target/release/reddish-server}"
LIB="python3 scripts/benchlib.py"

[ -n "${REDDISH_SKIP_BUILD:-}" ] || cargo build --release --quiet

WORK="$(mktemp -d /tmp/reddish-bench-streams.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# start NAME -> sets PORT, PID
start() {
    local bin="$REDDISH"
    [ "$1" = redis ] && bin=redis-server
    PORT="$($LIB freeport)"
    taskset -c 0 "$bin" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no >"$WORK/$1.log" 2>&1 &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 100); do
        redis-cli -p "$PORT" PING 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    echo "bench_streams.sh: $1 did not start" >&2
    exit 1
}

# CPU seconds (utime+stime) the process has used, from /proc/PID/stat.
cpu_secs() {
    sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f", ($12 + $13) / hz}'
}

# bench PORT PID PIPELINE N ARGS... -> "requests-per-second requests-per-CPU-second"
bench() {
    local port="$1" pid="$2" pl="$3" n="$4"
    shift 4
    local c0 c1 rps
    c0="$(cpu_secs "$pid")"
    rps="$(taskset -c 1 redis-benchmark -p "$port" -c "$CLIENTS" -n "$n" -P "$pl" --csv -q "$@" 2>/dev/null |
        awk -F'"' 'NR > 1 && $2 != "" {print $4; exit}')"
    c1="$(cpu_secs "$pid")"
    awk -v r="$rps" -v n="$n" -v a="$c0" -v b="$c1" 'BEGIN {printf "%s %.0f\n", r, (b - a > 0 ? n / (b - a) : 0)}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

throughput() {
    start reddish
    local rport=$PORT rpid=$PID
    start redis
    local sport=$PORT spid=$PID
    # XRANGE reads the first 10 entries of a 10,000-entry stream.
    for p in $rport $sport; do
        redis-benchmark -p "$p" -c 10 -n 10000 -q XADD rangestream '*' f1 v1 f2 v2 >/dev/null
    done
    echo "| test | pipeline | reddish req/s | Redis req/s | ratio | reddish req/CPU-s | Redis req/CPU-s | ratio |"
    echo "|---|---|---|---|---|---|---|---|"
    for pl in 1 16; do
        local n="$REQUESTS"
        [ "$pl" -gt 1 ] && n=$((REQUESTS * 10))
        for t in XADD XRANGE10; do
            local rs=() ss=() rc=() sc=()
            for round in $(seq "$ROUNDS"); do
                # Which server goes first flips every round (see bench.sh).
                local order="reddish redis"
                [ $((round % 2)) -eq 0 ] && order="redis reddish"
                for who in $order; do
                    local port=$rport pid=$rpid
                    [ "$who" = redis ] && port=$sport pid=$spid
                    local v
                    if [ "$t" = XADD ]; then
                        v="$(bench "$port" "$pid" "$pl" "$n" XADD mystream '*' field value)"
                    else
                        v="$(bench "$port" "$pid" "$pl" "$n" XRANGE rangestream - + COUNT 10)"
                    fi
                    if [ "$who" = reddish ]; then
                        rs+=("${v% *}")
                        rc+=("${v#* }")
                    else
                        ss+=("${v% *}")
                        sc+=("${v#* }")
                    fi
                done
            done
            local r s x y
            r="$(printf '%s\n' "${rs[@]}" | median)"
            s="$(printf '%s\n' "${ss[@]}" | median)"
            x="$(printf '%s\n' "${rc[@]}" | median)"
            y="$(printf '%s\n' "${sc[@]}" | median)"
            # Ratios are the median of each round's own ratio (see bench.sh).
            local tr cr
            tr="$(paste <(printf '%s\n' "${rs[@]}") <(printf '%s\n' "${ss[@]}") | awk '{print $1 / $2}' | median)"
            cr="$(paste <(printf '%s\n' "${rc[@]}") <(printf '%s\n' "${sc[@]}") | awk '{print $1 / $2}' | median)"
            echo "| $t | $pl | $r | $s | $(printf '%.2fx' "$tr") | $x | $y | $(printf '%.2fx' "$cr") |"
        done
    done
}

# The load: ENTRIES explicit IDs <i>-1, three small fields each, through
# redis-cli --pipe (explicit IDs give a known middle for the range test).
load_protocol() {
    python3 - "$ENTRIES" >"$WORK/load.resp" <<'EOF'
import sys
n = int(sys.argv[1])
out = sys.stdout
for i in range(1, n + 1):
    sid = f"{i}-1"
    v = str(i % 1000)
    args = ["XADD", "big", sid, "name", "user", "score", v, "city", "paris"]
    out.write(f"*{len(args)}\r\n")
    for a in args:
        out.write(f"${len(a)}\r\n{a}\r\n")
EOF
}

memory() {
    load_protocol
    echo "| server | entries | used_memory | RSS | XRANGE 100 from the middle: avg / p50 / p99 ms |"
    echo "|---|---|---|---|---|"
    for who in reddish redis; do
        start "$who"
        local port=$PORT pid=$PID
        local base
        base="$(redis-cli -p "$port" INFO memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')"
        redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
        local len used rss
        len="$(redis-cli -p "$port" XLEN big)"
        used="$(redis-cli -p "$port" INFO memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')"
        rss="$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$pid/status")"
        local mid=$((ENTRIES / 2)) lat
        lat="$(taskset -c 1 redis-benchmark -p "$port" -c 1 -n 20000 --csv -q XRANGE big "$mid" + COUNT 100 2>/dev/null |
            awk -F'"' 'NR > 1 && $2 != "" {print $6 " / " $10 " / " $14; exit}')"
        echo "| $who | $len | $((used - base)) (+ $base at start) | $rss | $lat |"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
    done
}

case "$MODE" in
    throughput) throughput ;;
    memory) memory ;;
    all) throughput; echo; memory ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac
