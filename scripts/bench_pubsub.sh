#!/usr/bin/env bash
# PUBLISH throughput, reddish against Redis (Debian's redis-server 7.0).
#
#   scripts/bench_pubsub.sh
#
# Scenarios: one channel with 1, 10 and 100 subscribers, and one subscriber
# plus 1,000 patterns that PUBLISH must match (none matches). Publishers are
# redis-benchmark clients sending `PUBLISH bench:chan hello` as a custom
# command; subscribers are scripts/bench_pubsub.py connections that read
# and discard everything. Both servers start with the same flags and
# `client-output-buffer-limit pubsub 0 0 0`, so a momentarily slow reader is
# never cut off. The server is pinned to SERVER_CPU, publishers and
# subscribers to CLIENT_CPU; each scenario runs ROUNDS times per server in
# alternation and the median is kept. Messages delivered per second are
# requests per second times subscribers.
#
# Environment: REQUESTS (200000), CLIENTS (50), PIPELINE (1), ROUNDS (3),
# REDDISH (target/release/reddish-server), SERVER_CPU (0), CLIENT_CPU (1).
set -euo pipefail

cd "$(dirname "$0")/.."
REQUESTS="${REQUESTS:-200000}"
CLIENTS="${CLIENTS:-50}"
PIPELINE="${PIPELINE:-1}"
ROUNDS="${ROUNDS:-3}"
REDDISH="${REDDISH:-target/release/reddish-server}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"

for tool in redis-server redis-benchmark redis-cli python3 taskset; do
    command -v "$tool" >/dev/null || { echo "bench_pubsub.sh: $tool is missing" >&2; exit 1; }
done
if [ -z "${REDDISH_SKIP_BUILD:-}" ]; then
    cargo build --release --quiet
fi
[ -x "$REDDISH" ] || { echo "bench_pubsub.sh: no $REDDISH" >&2; exit 1; }

WORK="$(mktemp -d /tmp/reddish-bench-pubsub.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() {
    local name="$1" bin
    case "$name" in
        reddish) bin="$REDDISH" ;;
        redis) bin="redis-server" ;;
    esac
    PORT="$(python3 scripts/benchlib.py freeport)"
    taskset -c "$SERVER_CPU" "$bin" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no \
        --client-output-buffer-limit "pubsub 0 0 0" >"$WORK/$name.log" 2>&1 &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 100); do
        redis-cli -p "$PORT" PING 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    echo "bench_pubsub.sh: $name did not start" >&2
    cat "$WORK/$name.log" >&2
    exit 1
}

start_server reddish
RPORT="$PORT"
start_server redis
SPORT="$PORT"

# run PORT NSUBS NPATTERNS: prints PUBLISH requests per second.
run() {
    local port="$1" nsubs="$2" npat="$3" fifo="$WORK/stdin.$RANDOM"
    mkfifo "$fifo"
    taskset -c "$CLIENT_CPU" python3 scripts/bench_pubsub.py "$port" bench:chan "$nsubs" "$npat" <"$fifo" >"$WORK/sub.out" &
    local sub=$!
    exec 9>"$fifo"
    for _ in $(seq 600); do
        grep -q ready "$WORK/sub.out" 2>/dev/null && break
        sleep 0.05
    done
    local out rps
    out="$(timeout 300 taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" -n "$REQUESTS" \
        -P "$PIPELINE" --csv -q PUBLISH bench:chan hello 2>/dev/null || true)"
    exec 9>&-
    wait "$sub" 2>/dev/null || true
    rm -f "$fifo"
    rps="$(awk -F'"' 'NR > 1 && $2 != "" {print $4; exit}' <<<"$out")"
    echo "${rps:-0}"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "reddish vs Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'): PUBLISH, redis-benchmark -c $CLIENTS -n $REQUESTS -P $PIPELINE, median of $ROUNDS alternating runs, server on CPU $SERVER_CPU"
echo
echo "| scenario | reddish req/s | Redis req/s | ratio | reddish msgs/s |"
echo "|---|---:|---:|---:|---:|"
for scenario in "1 0" "10 0" "100 0" "1 1000"; do
    read -r nsubs npat <<<"$scenario"
    : >"$WORK/r" ; : >"$WORK/s"
    for round in $(seq "$ROUNDS"); do
        r="$(run "$RPORT" "$nsubs" "$npat")"
        s="$(run "$SPORT" "$nsubs" "$npat")"
        echo "  $nsubs subscribers, $npat patterns, round $round: reddish $r, redis $s" >&2
        echo "$r" >>"$WORK/r"
        echo "$s" >>"$WORK/s"
    done
    r="$(median <"$WORK/r")"
    s="$(median <"$WORK/s")"
    name="$nsubs subscriber(s)"
    [ "$npat" -gt 0 ] && name="$name + $npat patterns"
    awk -v n="$name" -v r="$r" -v s="$s" -v k="$nsubs" \
        'BEGIN {printf "| %s | %.0f | %.0f | %.2f | %.0f |\n", n, r, s, (s > 0 ? r / s : 0), r * k}'
done
