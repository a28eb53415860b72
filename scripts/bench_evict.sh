#!/usr/bin/env bash
# Eviction under load, reddish beside Redis 7.0 (issue 5's closing figures).
#
# For each policy (allkeys-lru, allkeys-lfu): start the server with
# maxmemory 100mb, run `redis-benchmark -t set -r 10000000` (-n requests,
# 32-byte values, 50 clients, pipeline 1), poll INFO memory every 50 ms
# for the peak of used_memory/maxmemory, and print requests per second.
#
#   scripts/bench_evict.sh [requests]      (default 2000000; needs --release)
#   POLICIES="allkeys-lfu volatile-lru"  which policies to run (allkeys-lru allkeys-lfu)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
REDDISH=target/release/reddish-server
[ -x "$REDDISH" ] || cargo build --release --bin reddish-server

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

run() { # name binary policy
    local name=$1 bin=$2 policy=$3 port
    port=$(free_port)
    "$bin" --port "$port" --save "" --appendonly no --maxmemory 100mb \
        --maxmemory-policy "$policy" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    local peakf
    peakf=$(mktemp)
    (
        peak=0
        while kill -0 "$pid" 2>/dev/null; do
            u=$(redis-cli -p "$port" info memory 2>/dev/null | awk -F: '/^used_memory:/{print $2+0}')
            [ -n "$u" ] && [ "$u" -gt "$peak" ] && peak=$u && echo "$peak" >"$peakf"
            sleep 0.05
        done
    ) &
    local poller=$!
    local rps
    rps=$(redis-benchmark -p "$port" -t set -r 10000000 -n "$N" -d 32 -c 50 -q 2>/dev/null \
        | tr '\r' '\n' | awk '/requests per second/{print $2}' | tail -1)
    local evicted
    evicted=$(redis-cli -p "$port" info stats | awk -F: '/^evicted_keys:/{print $2+0}')
    kill "$pid"; wait "$pid" 2>/dev/null || true
    wait "$poller" 2>/dev/null || true
    local peak
    peak=$(cat "$peakf" 2>/dev/null || echo 0); rm -f "$peakf"
    python3 -c "print(f'{\"$name\":8} {\"$policy\":12} {float(\"$rps\"):>10.0f} rps  peak used/max {int(\"$peak\")/104857600:.4f}  evicted {\"$evicted\"}')"
    echo "$rps"  >"/tmp/bench_evict_${name}_${policy}"
}

for policy in ${POLICIES:-allkeys-lru allkeys-lfu}; do
    run reddish "$REDDISH" "$policy"
    run redis /usr/bin/redis-server "$policy"
    python3 -c "a=float(open('/tmp/bench_evict_reddish_$policy').read());b=float(open('/tmp/bench_evict_redis_$policy').read());print(f'$policy throughput ratio reddish/redis {a/b:.2f}')"
done
