#!/usr/bin/env bash
# Memory of one big sorted set (skiplist encoding), reddish against Redis.
#
#   scripts/bench_bigzset.sh [SIZES]      SIZES: comma-separated member counts (10000,100000,1000000)
#
# For each size and each server, a fresh server (persistence off, free port,
# pinned to SERVER_CPU) receives ZADD bigz SCORE member:I for I in 0..N-1,
# with scores from a fixed-seed random generator, so both servers hold the
# same bytes. The loader (python, pinned to CLIENT_CPU) pipelines single-member
# ZADDs in batches of BATCH and times each batch: a stall while an arena or
# the member index grows shows as the worst batch time. Reported per member:
# used_memory growth, RSS growth, and what MEMORY USAGE bigz SAMPLES 0 says
# (it should be close to the used_memory growth).
#
# Environment:
#   REDDISH    server binary (target/release/reddish-server; built unless REDDISH_SKIP_BUILD=1)
#   BATCH      ZADDs per timed pipeline batch (1000)
#
# Output: a Markdown table meant to be pasted into a note.
#
# Figures of 2026-11-27 (2-core shared machine), used_memory bytes per member,
# reddish before the skiplist layout change / after / Redis 7.0.15:
#   10,000 members:   127 /  62 / 131   (RSS  123 /  73-85 / 137-144)
#   100,000 members:  135 /  60 / 113   (RSS  113 /  57    / 115)
#   1,000,000 members: 109 / 53 / 110   (RSS  108 /  51    / 119)
# Members of up to 23 bytes inline (48-byte nodes, was 15 in 40; same day):
#   10,000: 70 / 131 (RSS 89 / 140); 100,000: 69 / 113 (RSS 65 / 115);
#   1,000,000: 61 / 110 (RSS 59 / 117)
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES="${1:-10000,100000,1000000}"
REDDISH="${REDDISH:-target/release/reddish-server}"
BATCH="${BATCH:-1000}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"

for tool in redis-server redis-cli python3 taskset; do
    command -v "$tool" >/dev/null || { echo "bench_bigzset.sh: $tool is missing" >&2; exit 1; }
done
if [ -z "${REDDISH_SKIP_BUILD:-}" ]; then
    cargo build --release --quiet
fi
[ -x "$REDDISH" ] || { echo "bench_bigzset.sh: no $REDDISH" >&2; exit 1; }

WORK="$(mktemp -d /tmp/reddish-bigzset.XXXXXX)"
PID=""
cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

freeport() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {
    local bin="$1"
    PORT="$(freeport)"
    taskset -c "$SERVER_CPU" "$bin" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no \
        >"$WORK/server.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do
        if redis-cli -p "$PORT" PING 2>/dev/null | grep -q PONG; then
            return 0
        fi
        sleep 0.05
    done
    echo "bench_bigzset.sh: $bin did not start" >&2
    cat "$WORK/server.log" >&2
    exit 1
}

stop_server() {
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
}

used_memory() {
    redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}'
}

rss_bytes() {
    awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"
}

# load PORT N: prints "worst_batch_ms p99_batch_ms seconds".
load() {
    taskset -c "$CLIENT_CPU" python3 - "$1" "$2" "$BATCH" <<'EOF'
import random, socket, sys, time
port, n, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(20261127)
s = socket.create_connection(("127.0.0.1", port), timeout=120)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
times = []
t_start = time.perf_counter()
for lo in range(0, n, batch):
    parts = []
    for i in range(lo, min(n, lo + batch)):
        score = repr(rng.random() * 1e9).encode()
        member = b"member:%d" % i
        parts.append(b"*4\r\n$4\r\nZADD\r\n$4\r\nbigz\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                     % (len(score), score, len(member), member))
    data = b"".join(parts)
    t0 = time.perf_counter()
    s.sendall(data)
    for _ in parts:
        line = f.readline()
        if not line.startswith(b":"):
            sys.exit("unexpected reply %r" % line)
    times.append(time.perf_counter() - t0)
total = time.perf_counter() - t_start
times.sort()
p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
print("%.2f %.2f %.2f" % (times[-1] * 1e3, p99 * 1e3, total))
EOF
}

printf '| members | server | used_memory B/member | RSS B/member | MEMORY USAGE B/member | worst %s-ZADD batch ms | p99 batch ms | load s |\n' "$BATCH"
printf '|---:|---|---:|---:|---:|---:|---:|---:|\n'
IFS=',' read -r -a sizes <<<"$SIZES"
for n in "${sizes[@]}"; do
    for server in reddish redis; do
        bin="$REDDISH"
        [ "$server" = redis ] && bin=redis-server
        start_server "$bin"
        sleep 0.2
        um0="$(used_memory "$PORT")"
        rss0="$(rss_bytes "$PID")"
        read -r worst p99 secs <<<"$(load "$PORT" "$n")"
        # A fresh connection reads the figures, so the loader's buffers are gone.
        sleep 0.2
        card="$(redis-cli -p "$PORT" ZCARD bigz | tr -d '\r')"
        [ "$card" = "$n" ] || echo "bench_bigzset.sh: $server holds $card of $n" >&2
        enc="$(redis-cli -p "$PORT" OBJECT ENCODING bigz | tr -d '\r')"
        [ "$enc" = skiplist ] || echo "bench_bigzset.sh: $server encodes bigz as $enc" >&2
        um1="$(used_memory "$PORT")"
        rss1="$(rss_bytes "$PID")"
        mu="$(redis-cli -p "$PORT" MEMORY USAGE bigz SAMPLES 0 | tr -d '\r')"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$server" \
            "$(awk -v a="$um0" -v b="$um1" -v k="$n" 'BEGIN {printf "%.1f", (b - a) / k}')" \
            "$(awk -v a="$rss0" -v b="$rss1" -v k="$n" 'BEGIN {printf "%.1f", (b - a) / k}')" \
            "$(awk -v a="$mu" -v k="$n" 'BEGIN {printf "%.1f", a / k}')" \
            "$worst" "$p99" "$secs"
        stop_server
    done
done
echo
echo "(one sorted set per fresh server: ZADD bigz <random score> member:I, I < N, single-member ZADDs pipelined $BATCH per batch; bytes per member from used_memory and VmRSS growth; MEMORY USAGE with SAMPLES 0)"
