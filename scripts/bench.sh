#!/usr/bin/env bash
# Side-by-side measurements of reddish against Redis (Debian's redis-server).
#
#   scripts/bench.sh                      throughput and CPU efficiency (redis-benchmark)
#   scripts/bench.sh memory [N] [SIZE]    memory for N keys of SIZE-byte values
#   scripts/bench.sh conns [N]            memory per idle connection (N = 10000)
#   scripts/bench.sh growth [N]           worst reply latency while one db grows 0 -> N keys (10000000)
#   scripts/bench.sh collections [N] [KINDS]  memory per key of N small collections (100000) of
#                                         each KIND (hash,zset,intset,list: 10 small elements each)
#   scripts/bench.sh flush [N]            worst PING while FLUSHALL ASYNC frees N keys (9000000)
#   scripts/bench.sh zlatency [N] [OPS]   p50/p99 latency of single ZADD/ZRANK/ZRANGE requests on one
#                                         sorted set of N members (1000000), OPS of each (20000)
#
# Throughput: both servers start with the same flags (persistence off, free
# ports on 127.0.0.1), the server pinned to CPU 0 and redis-benchmark to
# CPU 1, so the server gets one core as Redis's single thread does. Each
# test and pipeline depth runs against reddish and Redis in alternation,
# ROUNDS times, and the median is kept; alternating spreads the noise of a
# busy machine over both, and which server goes first flips every round.
# A ratio is the median of the rounds' own ratios: the two runs of a round
# are a second or two apart and share the machine's load of the moment,
# which drifts much more between rounds. Besides requests per second, each run reads the
# server's utime+stime from /proc/PID/stat before and after and reports
# requests per CPU-second: the cost of a request, which stays meaningful
# when the machine is too busy for throughput to be.
#
# The last column counts how often the server's core woke from a halt, per
# 1,000 requests. At -P 1, and for the lightest commands at -P 16,
# redis-benchmark's core is the bottleneck (99% busy), and the kernel work
# of a request runs on the core of whoever sends it: the client's write
# also wakes the server if the server is asleep. On a VM whose idle loop
# halts at once (cpuidle haltpoll with guest_halt_poll_ns 0, as here) each
# such wakeup costs the client an IPI, about 7 us measured, against ~11 us
# for a whole PING round trip. A server that finishes its work sooner
# sleeps more often and can slow the client that way (an A/B of PING_MBULK
# at -P 16: 9 wakeups per 1,000 requests against Redis's 3, and 0.04 us
# more client CPU per request, enough for a 5% lower throughput). The
# column shows when this is at play.
#
# Environment (throughput mode):
#   TESTS      redis-benchmark tests     (PING_INLINE,PING_MBULK,SET,GET,INCR,MSET)
#   REQUESTS   requests per run at -P 1  (100000)
#   REQUESTS_PIPELINED  requests per run at -P > 1 (1000000)
#   CLIENTS    connections               (50)
#   PIPELINES  pipeline depths           ("1 16")
#   ROUNDS     runs per server and test  (3)
#   KEYSPACE   -r value                  (100000)
#   EXTRA      more redis-benchmark arguments
#   REDDISH    server binary             (target/release/reddish-server)
#   BUDGET     seconds for all runs; later runs are skipped past it (1800)
#
# Environment (growth mode):
#   GROWTH_SCHED=0   skip recording scheduler events (perf sched, when perf is
#                    installed) that name who kept the server or client off
#                    its core during the run
#
# Environment (conns mode):
#   CONNS_ACTIVE=1   each connection sends one PING before idling
#   CONNS_WAIT       seconds to wait before reading RSS (0.3; 4 lets idle trimming run)
#
# The output is a Markdown table meant to be pasted into a note.
set -euo pipefail

cd "$(dirname "$0")/.."
LIB="python3 scripts/benchlib.py"
MODE="${1:-throughput}"

TESTS="${TESTS:-PING_INLINE,PING_MBULK,SET,GET,INCR,MSET}"
REQUESTS="${REQUESTS:-100000}"
REQUESTS_PIPELINED="${REQUESTS_PIPELINED:-1000000}"
CLIENTS="${CLIENTS:-50}"
PIPELINES="${PIPELINES:-1 16}"
ROUNDS="${ROUNDS:-3}"
KEYSPACE="${KEYSPACE:-100000}"
EXTRA="${EXTRA:-}"
REDDISH="${REDDISH:-target/release/reddish-server}"
BUDGET="${BUDGET:-1800}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"

case "$MODE" in
    throughput | memory | conns | growth | collections | zlatency | flush) ;;
    -h | --help | help) sed -n '2,61p' "$0"; exit 0 ;;
    *) echo "usage: scripts/bench.sh [memory [N] [SIZE] | conns [N] | growth [N] | collections [N] [KINDS] | zlatency [N] [OPS] | flush [N]]" >&2; exit 2 ;;
esac

for tool in redis-server redis-benchmark redis-cli python3 taskset; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing (make deps)" >&2; exit 1; }
done

if [ -z "${REDDISH_SKIP_BUILD:-}" ]; then
    cargo build --release --quiet
fi
[ -x "$REDDISH" ] || { echo "bench.sh: no $REDDISH" >&2; exit 1; }

# Idle connections need file descriptors in the servers and in the client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK="$(mktemp -d /tmp/reddish-bench.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME EXTRA_FLAGS... : starts reddish or redis pinned to
# SERVER_CPU on a free port; sets PORT and PID.
start_server() {
    local name="$1"
    shift
    local bin
    case "$name" in
        reddish) bin="$REDDISH" ;;
        redis) bin="redis-server" ;;
    esac
    for _attempt in 1 2 3 4 5; do
        PORT="$($LIB freeport)"
        taskset -c "$SERVER_CPU" "$bin" --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no \
            "$@" >"$WORK/$name.log" 2>&1 &
        PID=$!
        PIDS+=("$PID")
        for _ in $(seq 100); do
            if redis-cli -p "$PORT" PING 2>/dev/null | grep -q PONG; then
                return 0
            fi
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.05
        done
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    done
    echo "bench.sh: $name did not start; log:" >&2
    cat "$WORK/$name.log" >&2
    exit 1
}

stop_server() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# CPU seconds (utime+stime) the process has used, from /proc/PID/stat.
cpu_ticks() {
    # Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
    local rest
    rest="$(sed 's/.*) //' "/proc/$1/stat")"
    awk '{print $12 + $13}' <<<"$rest"
}
TICKS="$(getconf CLK_TCK)"

# Times the server's core woke from an idle state other than polling (a
# halt: on a VM, waking it costs the waker an IPI and the hypervisor a VM
# exit), summed from cpuidle's per-state counters; 0 where sysfs has none.
idle_wakeups() {
    local n=0 d
    for d in /sys/devices/system/cpu/cpu"$SERVER_CPU"/cpuidle/state*; do
        [ -r "$d/usage" ] || continue
        [ "$(cat "$d/name")" = POLL ] && continue
        n=$((n + $(cat "$d/usage")))
    done
    echo "$n"
}

# The command a redis-benchmark test sends (PING_INLINE -> PING, LRANGE_100 -> LRANGE).
test_command() {
    local t="${1%%_*}"
    echo "$t"
}

# The redis-benchmark arguments of a test. redis-benchmark's own LRANGE_<N>
# tests first run an "LPUSH (needed to benchmark LRANGE)" phase of as many
# requests in the same invocation: its CSV row comes first and its CPU time
# joins LRANGE's. So LRANGE_<N> runs here as the command itself, on a list
# of 600 "xxx" elements filled once per server (fill_lists) under a key of
# its own, which the LPOP/RPOP tests cannot empty.
bench_args() {
    case "$1" in
        LRANGE_*) echo "LRANGE lrange:list 0 $((${1#LRANGE_} - 1))" ;;
        *) echo "-t $1" ;;
    esac
}

fill_lists() {
    redis-cli -p "$1" DEL lrange:list >/dev/null
    redis-benchmark -p "$1" -c 1 -n 600 -q LPUSH lrange:list xxx >/dev/null 2>&1
}

# True if the server knows the command of this test.
supports() {
    local port="$1" cmd="$2"
    ! redis-cli -p "$port" "$cmd" __bench_probe__ 2>&1 | grep -qi "unknown command"
}

throughput() {
    local results="$WORK/results.tsv"
    : >"$results"
    start_server reddish
    local rport="$PORT" rpid="$PID"
    start_server redis
    local sport="$PORT" spid="$PID"
    echo "reddish pid $rpid port $rport, redis pid $spid port $sport; server on CPU $SERVER_CPU, redis-benchmark on CPU $CLIENT_CPU" >&2
    fill_lists "$rport"
    fill_lists "$sport"
    local IFS_SAVE="$IFS"
    IFS=',' read -r -a tests <<<"$TESTS"
    IFS="$IFS_SAVE"
    for pl in $PIPELINES; do
        local n="$REQUESTS"
        [ "$pl" -gt 1 ] && n="$REQUESTS_PIPELINED"
        for t in "${tests[@]}"; do
            local cmd
            cmd="$(test_command "$t")"
            for round in $(seq "$ROUNDS"); do
                # The order flips every round: whichever server runs second
                # in a pair measured faster at pipeline 1 (LRANGE_100: the
                # second won 5 of 5 rounds with reddish first, 4 of 4 with
                # Redis first), so a fixed order biased every ratio.
                local order="reddish redis"
                [ $((round % 2)) -eq 0 ] && order="redis reddish"
                for server in $order; do
                    local port pid
                    if [ "$server" = reddish ]; then port=$rport pid=$rpid; else port=$sport pid=$spid; fi
                    if ! supports "$port" "$cmd"; then
                        printf '%s\t%s\t%s\t%s\tunsupported\t0\t0\t0\n' "$t" "$pl" "$server" "$round" >>"$results"
                        continue
                    fi
                    if [ "$SECONDS" -gt "$BUDGET" ]; then
                        echo "bench.sh: over the $BUDGET s budget, skipping $t -P $pl on $server" >&2
                        continue
                    fi
                    local c0 c1 w0 w1 out rps
                    c0="$(cpu_ticks "$pid")"
                    w0="$(idle_wakeups)"
                    # shellcheck disable=SC2086
                    out="$(timeout 120 taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" \
                        -n "$n" -P "$pl" -r "$KEYSPACE" --csv -q $(bench_args "$t") $EXTRA 2>/dev/null || true)"
                    c1="$(cpu_ticks "$pid")"
                    w1="$(idle_wakeups)"
                    rps="$(awk -F'"' 'NR > 1 && $2 != "" {print $4; exit}' <<<"$out")"
                    if [ -z "$rps" ]; then
                        echo "bench.sh: no result for $t -P $pl on $server" >&2
                        continue
                    fi
                    local cpu
                    cpu="$(awk -v a="$c0" -v b="$c1" -v hz="$TICKS" 'BEGIN {printf "%.3f", (b - a) / hz}')"
                    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$pl" "$server" "$round" "$rps" "$n" "$cpu" "$((w1 - w0))" >>"$results"
                    printf '  %-12s -P %-3s %-8s round %s: %12s req/s, %6ss CPU, %7s idle wakeups\n' "$t" "$pl" "$server" "$round" "$rps" "$cpu" "$((w1 - w0))" >&2
                done
            done
        done
    done
    echo
    echo "reddish vs Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'): redis-benchmark -c $CLIENTS -r $KEYSPACE, -n $REQUESTS at -P 1 and $REQUESTS_PIPELINED when pipelined, median of $ROUNDS alternating runs, each server on one pinned core"
    echo
    $LIB table "$results"
}

# used_memory from INFO memory, or "n/a" when the server has no INFO.
used_memory() {
    local v
    v="$(redis-cli -p "$1" INFO memory 2>/dev/null | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}')"
    echo "${v:-n/a}"
}

rss_bytes() {
    awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"
}

memory() {
    local n="${1:-1000000}" size="${2:-32}"
    local data="$WORK/load.resp"
    $LIB resp "$n" "$size" >"$data"
    printf '| server | keys (DBSIZE) | load errors | used_memory | RSS | RSS delta | RSS bytes/key | used_memory bytes/key |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
    local rows=()
    for server in reddish redis; do
        start_server "$server"
        local port="$PORT" pid="$PID"
        local rss0 um0
        rss0="$(rss_bytes "$pid")"
        um0="$(used_memory "$port")"
        local pipe_out
        pipe_out="$(timeout 600 redis-cli -p "$port" --pipe <"$data" 2>&1 | tail -1 || true)"
        echo "$server: $pipe_out" >&2
        local errors keys rss um
        errors="$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$pipe_out")"
        keys="$(redis-cli -p "$port" DBSIZE | tr -d '\r')"
        rss="$(rss_bytes "$pid")"
        um="$(used_memory "$port")"
        local per_rss per_um
        per_rss="$(awk -v a="$rss0" -v b="$rss" -v k="$keys" 'BEGIN {if (k > 0) printf "%.1f", (b - a) / k; else print "-"}')"
        per_um="-"
        if [ "$um" != n/a ] && [ "$um0" != n/a ]; then
            per_um="$(awk -v a="$um0" -v b="$um" -v k="$keys" 'BEGIN {if (k > 0) printf "%.1f", (b - a) / k; else print "-"}')"
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$server" "$keys" "${errors:-?}" "$um" "$rss" "$((rss - rss0))" "$per_rss" "$per_um"
        rows+=("$per_rss")
        stop_server "$pid"
    done
    echo
    awk -v a="${rows[0]}" -v b="${rows[1]}" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "RSS bytes per key, reddish/redis: %.2f\n", a / b; else print "RSS bytes per key ratio: n/a"}'
    echo "($n SETs of key:%012d with $size-byte values, loaded with redis-cli --pipe; RSS from /proc/PID/status)"
}

# Collections: for each kind, a fresh reddish and a fresh Redis are loaded
# with the same N one-command-per-key writes (redis-cli --pipe); the table
# shows used_memory and RSS growth per key and reddish/Redis ratios. The
# encodings are printed too, so a ratio is never a comparison of a listpack
# with a hash table by accident.
collections() {
    local n="${1:-100000}" kinds="${2:-hash,zset,intset,list}"
    printf '| kind | encoding | reddish used_memory B/key | redis used_memory B/key | ratio | reddish RSS B/key | redis RSS B/key | ratio |\n'
    printf '|---|---|---:|---:|---:|---:|---:|---:|\n'
    local IFS_SAVE="$IFS"
    IFS=',' read -r -a kind_list <<<"$kinds"
    IFS="$IFS_SAVE"
    for kind in "${kind_list[@]}"; do
        local data="$WORK/$kind.resp"
        $LIB collresp "$kind" "$n" >"$data"
        local um=() rss=() enc=()
        for server in reddish redis; do
            start_server "$server"
            local port="$PORT" pid="$PID"
            local rss0 um0 out keys rss1 um1 key
            sleep 0.2
            rss0="$(rss_bytes "$pid")"
            um0="$(used_memory "$port")"
            out="$(timeout 600 redis-cli -p "$port" --pipe <"$data" 2>&1 | tail -1 || true)"
            keys="$(redis-cli -p "$port" DBSIZE | tr -d '\r')"
            [ "$keys" = "$n" ] || echo "bench.sh: $server holds $keys keys of $n ($out)" >&2
            rss1="$(rss_bytes "$pid")"
            um1="$(used_memory "$port")"
            key="$(redis-cli -p "$port" RANDOMKEY | tr -d '\r')"
            enc+=("$(redis-cli -p "$port" OBJECT ENCODING "$key" | tr -d '\r')")
            rss+=("$(awk -v a="$rss0" -v b="$rss1" -v k="$keys" 'BEGIN {printf "%.1f", (b - a) / k}')")
            if [ "$um1" != n/a ] && [ "$um0" != n/a ]; then
                um+=("$(awk -v a="$um0" -v b="$um1" -v k="$keys" 'BEGIN {printf "%.1f", (b - a) / k}')")
            else
                um+=("n/a")
            fi
            stop_server "$pid"
        done
        local e="${enc[0]}"
        [ "${enc[0]}" = "${enc[1]}" ] || e="${enc[0]} (redis: ${enc[1]})"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$kind" "$e" "${um[0]}" "${um[1]}" \
            "$(awk -v a="${um[0]}" -v b="${um[1]}" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-"}')" \
            "${rss[0]}" "${rss[1]}" \
            "$(awk -v a="${rss[0]}" -v b="${rss[1]}" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-"}')"
    done
    echo
    echo "($n keys per kind, 10 elements each, loaded with redis-cli --pipe into fresh servers; bytes per key include the keyspace entry; RSS from /proc/PID/status)"
}

# Sorted-set latency: one set of N members per server, then OPS single
# requests of each kind, one round trip each, client pinned to CLIENT_CPU.
# A small set (1000 members) is measured first as the flat baseline: with
# O(log N) operations the 1M-member figures stay close to it.
zlatency() {
    local n="${1:-1000000}" ops="${2:-20000}"
    printf '| server | members | ZADD p50 us | ZADD p99 us | ZRANK p50 us | ZRANK p99 us | ZRANGE (10) p50 us | ZRANGE p99 us |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
    for server in reddish redis; do
        start_server "$server"
        local port="$PORT" pid="$PID"
        for size in 1000 "$n"; do
            local line
            line="$(timeout 900 taskset -c "$CLIENT_CPU" $LIB zlatency "$port" "$size" "$ops")" || line=""
            if [ -z "$line" ]; then
                printf '| %s | %s | failed | | | | | |\n' "$server" "$size"
                continue
            fi
            local a b c d e f g h i j
            IFS=$'\t' read -r a b c d e f g h i j <<<"$line"
            printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$server" "$j" "$b" "$c" "$e" "$f" "$h" "$i"
        done
        stop_server "$pid"
    done
    echo
    echo "($ops requests of each kind, one at a time over one connection (python client), random members and ranks from a fixed seed; ZADD adds or updates a random member:0..$((2 * n)); ZRANGE asks 10 elements from a random rank)"
}

conns() {
    local n="${1:-10000}"
    printf '| server | idle connections held | PING on a new connection | RSS before | RSS after | RSS bytes/connection |\n'
    printf '|---|---:|---|---:|---:|---:|\n'
    local per=()
    for server in reddish redis; do
        start_server "$server" --maxclients 20000
        local line
        line="$(timeout 300 $LIB conns "$PORT" "$PID" "$n")" || line=""
        if [ -z "$line" ]; then
            printf '| %s | failed | | | | |\n' "$server"
            per+=("0")
        else
            local held alive ok before after p
            IFS=$'\t' read -r held alive ok before after p <<<"$line"
            printf '| %s | %s of %s | %s | %s KB | %s KB | %s |\n' "$server" "$alive" "$held" "$ok" "$before" "$after" "$p"
            per+=("$p")
        fi
        stop_server "$PID"
    done
    echo
    awk -v a="${per[0]}" -v b="${per[1]}" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "RSS per idle connection, reddish/redis: %.2f\n", a / b; else print "RSS per idle connection ratio: n/a"}'
    echo "(ulimit -n $(ulimit -n); RSS from /proc/PID/status; $([ "${CONNS_ACTIVE:-}" = 1 ] && echo "one PING per connection before idling" || echo "connections never used"))"
}

# Growth: N SETs (pipelined) of keys drawn from 2,000,000,000 (redis-benchmark's
# -r is an int, and random() spans 2^31), so all but ~0.25% of N are new
# keys and the table really grows from 0 to about N, into an empty server while a second client sends PING at -P 1 in batches of
# 20,000 until the load is done; the worst PING latency is the longest pause
# the table's growth (rehashing, bucket-array allocation) caused. One run per
# server, one after the other.
growth() {
    local n="${1:-10000000}"
    local sched=""
    if [ "${GROWTH_SCHED:-1}" = 1 ] && command -v perf >/dev/null && perf sched record -o "$WORK/probe.data" true >/dev/null 2>&1; then
        sched=1
    fi
    printf '| server | keys at the end (DBSIZE) | SET req/s | SET max latency ms | PING max latency ms | worst PING batch p99 ms | kdamond, most CPU in 60 ms |%s\n' \
        "${sched:+ server's longest preemption | SET client's longest preemption |}"
    printf '|---|---:|---:|---:|---:|---:|---|%s\n' "${sched:+---|---|}"
    for server in reddish redis; do
        start_server "$server"
        local port="$PORT" pid="$PID" perf_pid=""
        if [ -n "$sched" ]; then
            perf sched record -C "$SERVER_CPU,$CLIENT_CPU" -o "$WORK/sched.$server.data" >/dev/null 2>&1 &
            perf_pid=$!
            sleep 0.5
        fi
        taskset -c "$CLIENT_CPU" $LIB kthread kdamond >"$WORK/kdamond.$server" &
        local kd_pid=$!
        timeout 900 taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 50 -P 16 -n "$n" -r 2000000000 -t set -d 32 --csv \
            >"$WORK/set.$server.csv" 2>/dev/null &
        local set_pid=$!
        sleep 0.1
        local client_pid
        client_pid="$(pgrep -P "$set_pid" | head -1 || true)"
        : >"$WORK/ping.$server.csv"
        while kill -0 "$set_pid" 2>/dev/null; do
            timeout 60 taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 1 -n 20000 -t ping_mbulk --csv 2>/dev/null |
                awk -F'"' 'NR > 1 && $2 != ""' >>"$WORK/ping.$server.csv" || true
        done
        wait "$set_pid" 2>/dev/null || true
        kill -TERM "$kd_pid" 2>/dev/null || true
        wait "$kd_pid" 2>/dev/null || true
        local preempt=""
        if [ -n "$perf_pid" ]; then
            kill -INT "$perf_pid" 2>/dev/null || true
            wait "$perf_pid" 2>/dev/null || true
            preempt="$($LIB preempted "$WORK/sched.$server.data" "$pid" "${client_pid:-0}" | paste -sd '|' | sed 's/|/ | /') |"
            rm -f "$WORK/sched.$server.data"
        fi
        local keys rps setmax pingmax ping99
        keys="$(redis-cli -p "$port" DBSIZE | tr -d '\r')"
        rps="$(awk -F'"' 'NR > 1 && $2 != "" {print $4; exit}' "$WORK/set.$server.csv")"
        setmax="$(awk -F'"' 'NR > 1 && $2 != "" {print $16; exit}' "$WORK/set.$server.csv")"
        pingmax="$(awk -F'"' '$16 + 0 > m {m = $16 + 0} END {print m}' "$WORK/ping.$server.csv")"
        ping99="$(awk -F'"' '$14 + 0 > m {m = $14 + 0} END {print m}' "$WORK/ping.$server.csv")"
        printf '| %s | %s | %s | %s | %s | %s | %s |%s\n' "$server" "$keys" "${rps:-?}" "${setmax:-?}" "${pingmax:-?}" "${ping99:-?}" \
            "$(cat "$WORK/kdamond.$server" 2>/dev/null || echo '?')" "${preempt:+ $preempt}"
        stop_server "$pid"
    done
    echo
    echo "($n SETs of random keys from a keyspace of 2,000,000,000, so nearly every SET adds a key, 32-byte values, -c 50 -P 16, while one client sends PING at -P 1 in batches of 20,000)"
    echo "(kdamond: the most CPU time DAMON's kernel threads used within any 60 ms of the run, sampled every 2 ms from /proc/PID/sched;"
    echo "on a kernel without preemption (PREEMPT_NONE, as here) such a stretch can hold the server's or the clients' core: see README.md.)"
    if [ -n "$sched" ]; then
        echo "(A preemption is the longest time the thread was ready to run while other tasks held its core, from perf sched, with the tasks that"
        echo "held it and their ms. Such a wait delays every reply in flight by as much, whichever server runs: it is the machine, not the server.)"
    fi
}

# Loads N keys (8-byte values), then frees them with FLUSHALL ASYNC while
# one client sends PINGs one at a time, and prints that client's worst and
# 99.9th-percentile latency. Redis frees on a background thread; reddish in
# 1 ms slices on its one thread.
flush() {
    local n="${1:-9000000}"
    printf '| server | keys flushed | PING p99.9 ms | PING max ms |\n'
    printf '|---|---:|---:|---:|\n'
    for server in reddish redis; do
        start_server "$server"
        local port="$PORT" pid="$PID" keys out
        timeout 900 taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 50 -P 16 -n "$n" -r 1000000000 -t set -d 8 -q \
            >/dev/null 2>&1 || true
        keys="$(redis-cli -p "$port" DBSIZE | tr -d '\r')"
        timeout 120 taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 1 -n 200000 -t ping_mbulk --csv \
            >"$WORK/flush.$server.csv" 2>/dev/null &
        local probe=$!
        sleep 0.05
        redis-cli -p "$port" FLUSHALL ASYNC >/dev/null
        wait "$probe" 2>/dev/null || true
        out="$(awk -F'"' 'NR > 1 && $2 != "" {print $14 " | " $16; exit}' "$WORK/flush.$server.csv")"
        printf '| %s | %s | %s |\n' "$server" "$keys" "${out:-? | ?}"
        stop_server "$pid"
    done
    echo
    echo "(keys from redis-benchmark SET -c 50 -P 16 -r 1000000000 -d 8; the probe is redis-benchmark -c 1 -n 200000 PING_MBULK, started 50 ms before FLUSHALL ASYNC)"
}

case "$MODE" in
    growth) growth "${2:-}" ;;
    flush) flush "${2:-}" ;;
    throughput) throughput ;;
    memory) memory "${2:-}" "${3:-}" ;;
    conns) conns "${2:-}" ;;
    collections) collections "${2:-}" "${3:-}" ;;
    zlatency) zlatency "${2:-}" "${3:-}" ;;
esac
