#!/usr/bin/env python3
"""Helpers for scripts/bench.sh (standard library only).

    benchlib.py freeport                     print a free TCP port on 127.0.0.1
    benchlib.py resp N SIZE                  write N SETs (key:%012d, SIZE-byte values) as RESP to stdout
    benchlib.py table RESULTS                print the throughput table from bench.sh's TSV
    benchlib.py conns PORT PID N             open N idle connections, report RSS growth
    benchlib.py zlatency PORT N OPS          fill one sorted set with N members, then time OPS single
                                             ZADD / ZRANK / ZRANGE requests each; prints p50/p99 (us)
    benchlib.py collresp KIND N              write N small collections of KIND (hash, zset, intset,
                                             list, set) as RESP to stdout, one command per key
    benchlib.py preempted SCHED_DATA PID...  from a `perf sched record` file: for each PID, the longest
                                             time it was runnable but kept off its CPU by other tasks,
                                             and which tasks ran meanwhile
    benchlib.py kthread COMM                 until SIGTERM, sample the CPU time of the tasks named COMM*
                                             (e.g. kdamond) every 2 ms; then print the most they ran
                                             within any 60 ms window and in all, in ms

Everything talks to 127.0.0.1 only and every wait has a timeout.
"""

import math
import os
import socket
import statistics
import sys
import time


def freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def resp(n, size):
    # Deterministic: exactly n distinct keys, values of exactly `size` bytes,
    # so both servers hold the same data and bytes/key compare like for like.
    value = (b"v" * size)
    head = b"*3\r\n$3\r\nSET\r\n$16\r\n"
    tail = b"\r\n$%d\r\n%s\r\n" % (size, value)
    out = sys.stdout.buffer
    chunk = []
    for i in range(n):
        chunk.append(head + b"key:%012d" % i + tail)
        if len(chunk) == 10000:
            out.write(b"".join(chunk))
            chunk = []
    out.write(b"".join(chunk))
    out.flush()


def collresp(kind, n):
    """One write command per key, each filling a 10-element collection of
    small items: the shapes issue 4 sets memory figures for. Deterministic,
    so both servers hold the same bytes."""
    def cmd(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    out = sys.stdout.buffer
    chunk = []
    for i in range(n):
        if kind == "hash":
            args = [b"HSET", b"hash:%08d" % i]
            for j in range(10):
                args += [b"field:%d" % j, b"value:%d" % (i + j)]
        elif kind == "zset":
            args = [b"ZADD", b"zset:%08d" % i]
            for j in range(10):
                args += [b"%d" % (i % 1000 + j), b"member:%d" % j]
        elif kind == "intset":
            args = [b"SADD", b"intset:%08d" % i] + [b"%d" % (i + j) for j in range(10)]
        elif kind == "set":
            args = [b"SADD", b"set:%08d" % i] + [b"member:%d" % j for j in range(10)]
        elif kind == "list":
            args = [b"RPUSH", b"list:%08d" % i] + [b"item:%d" % j for j in range(10)]
        else:
            sys.exit(f"unknown kind {kind}")
        chunk.append(cmd(*args))
        if len(chunk) == 10000:
            out.write(b"".join(chunk))
            chunk = []
    out.write(b"".join(chunk))
    out.flush()


def zlatency(port, n, ops):
    """Per-request latency on one big sorted set. The set is filled with
    pipelined ZADDs of 1000 members each; then every operation is one
    request on a fresh round trip (no pipelining), timed with
    perf_counter_ns, random members and ranks from a fixed seed so that
    both servers see the same sequence."""
    import random
    port, n, ops = int(port), int(n), int(ops)
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")

    def cmd(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def read_reply():
        line = f.readline()
        t = line[:1]
        if t in (b"+", b"-", b":"):
            return line
        if t == b"$":
            ln = int(line[1:])
            if ln >= 0:
                f.read(ln + 2)
            return line
        if t == b"*":
            for _ in range(int(line[1:])):
                read_reply()
            return line
        raise RuntimeError(f"bad reply {line!r}")

    rng = random.Random(7)
    s.sendall(cmd("DEL", "zlat"))
    read_reply()
    batch = 1000
    for base in range(0, n, batch):
        args = ["ZADD", "zlat"]
        for i in range(base, min(n, base + batch)):
            args += [rng.randrange(1 << 30), b"member:%d" % i]
        s.sendall(cmd(*args))
        read_reply()
    s.sendall(cmd("ZCARD", "zlat"))
    card = int(read_reply()[1:])
    results = {}
    for op in ("ZADD", "ZRANK", "ZRANGE"):
        lat = []
        for k in range(ops):
            if op == "ZADD":
                req = cmd("ZADD", "zlat", rng.randrange(1 << 30), b"member:%d" % rng.randrange(2 * n))
            elif op == "ZRANK":
                req = cmd("ZRANK", "zlat", b"member:%d" % rng.randrange(n))
            else:
                r = rng.randrange(card)
                req = cmd("ZRANGE", "zlat", r, r + 9)
            t0 = time.perf_counter_ns()
            s.sendall(req)
            read_reply()
            lat.append(time.perf_counter_ns() - t0)
        lat.sort()
        results[op] = (lat[len(lat) // 2] / 1000, lat[int(len(lat) * 0.99)] / 1000)
    print("\t".join(f"{op}\t{p50:.1f}\t{p99:.1f}" for op, (p50, p99) in results.items()) + f"\t{card}")


def fmt_num(x):
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.2f}"


def table(path):
    """TSV rows: test, pipeline, server, round, rps, requests, cpu_seconds,
    idle wakeups of the server's core (shown per 1,000 requests: each one a
    client's write that had to wake a halted core). Each server's column is
    the median over rounds; each ratio is the median of per-round ratios."""
    runs = {}
    order = []
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 8:
            continue
        test, pl, server, rnd, rps, reqs, cpu, wakeups = parts
        key = (test, int(pl))
        if key not in runs:
            runs[key] = {"reddish": {}, "redis": {}}
            order.append(key)
        if rps == "unsupported":
            runs[key][server][rnd] = None
            continue
        rps = float(rps)
        cpu = float(cpu)
        eff = float(reqs) / cpu if cpu > 0 else None
        runs[key][server][rnd] = (rps, eff, 1000.0 * float(wakeups) / float(reqs))

    def med(vals, i):
        xs = [v[i] for v in vals.values() if v is not None and v[i] is not None]
        return statistics.median(xs) if xs else None

    def paired(r, s, i):
        # The two servers of one round ran a second or two apart, under the
        # same load from whatever else the machine was doing; the load drifts
        # between rounds far more (one server's median moved 30% between two
        # runs of the same session). So a ratio is the median of the rounds'
        # own ratios, not the ratio of the two medians.
        xs = [r[k][i] / s[k][i] for k in r
              if r[k] is not None and s.get(k) is not None and r[k][i] and s[k][i]]
        return statistics.median(xs) if xs else None

    hdr = ("test", "P", "reddish req/s", "redis req/s", "ratio",
           "reddish req/cpu-s", "redis req/cpu-s", "ratio", "wakeups/1k req")
    rows = []
    tput_ratios, eff_ratios = [], []
    for key in order:
        r, s = runs[key]["reddish"], runs[key]["redis"]
        a, b = med(r, 0), med(s, 0)
        ea, eb = med(r, 1), med(s, 1)
        ratio = paired(r, s, 0)
        eratio = paired(r, s, 1)
        if ratio:
            tput_ratios.append(ratio)
        if eratio:
            eff_ratios.append(eratio)
        wa, wb = med(r, 2), med(s, 2)
        wake = f"{wa:.1f} / {wb:.1f}" if wa is not None and wb is not None else "-"
        rows.append((key[0], str(key[1]), fmt_num(a) if a else "unsupported", fmt_num(b),
                     f"{ratio:.2f}" if ratio else "-", fmt_num(ea) if ea else "-",
                     fmt_num(eb), f"{eratio:.2f}" if eratio else "-", wake))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(hdr)]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    print(line(hdr))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))

    def gmean(xs):
        return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")

    print()
    print(f"geometric mean reddish/redis: throughput {gmean(tput_ratios):.2f} "
          f"({len(tput_ratios)} rows), requests per CPU-second {gmean(eff_ratios):.2f} "
          f"({len(eff_ratios)} rows)")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def ping(port, timeout=10.0):
    """PING on a fresh connection; True if +PONG came back in time. The
    server accepts in order, so an answer also means every connection
    opened before this one has been accepted."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
                s.sendall(b"PING\r\n")
                buf = b""
                while not buf.endswith(b"\r\n"):
                    d = s.recv(64)
                    if not d:
                        break
                    buf += d
                return buf == b"+PONG\r\n"
        except OSError:
            time.sleep(0.1)
    return False


def conns(port, pid, n):
    port, pid, n = int(port), int(pid), int(n)
    active = os.environ.get("CONNS_ACTIVE") == "1"
    if not ping(port):
        print("server did not answer PING before the test", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.2)
    before = rss_kb(pid)
    socks = []
    start = time.time()
    failed = 0
    for i in range(n):
        if time.time() - start > 120:
            print(f"gave up after {i} connections (120 s)", file=sys.stderr)
            break
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            if active:
                # One command first, then idle: what a pooled client costs.
                s.sendall(b"PING\r\n")
                if s.recv(16) != b"+PONG\r\n":
                    raise OSError("bad PING reply")
            socks.append(s)
        except OSError as e:
            failed += 1
            if failed > 10:
                print(f"connect failed ({e}) after {i} connections", file=sys.stderr)
                break
        # Let the accept queue drain now and then (backlog is finite).
        if i % 1000 == 999 and not ping(port):
            print(f"PING failed after {i + 1} connections", file=sys.stderr)
            break
    ok = ping(port)
    # CONNS_WAIT lets the servers' crons run first (Redis trims the query
    # buffers of clients idle for over 2 s).
    time.sleep(float(os.environ.get("CONNS_WAIT", "0.3")))
    after = rss_kb(pid)
    # A connection the server closed at once (maxclients) reads EOF.
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            s.recv(1)  # EOF or an error reply: the server refused it
        except BlockingIOError:
            alive += 1  # nothing to read: still connected and idle
        except OSError:
            pass
    for s in socks:
        s.close()
    per = (after - before) * 1024 / max(len(socks), 1)
    # One machine-readable line for bench.sh.
    print(f"{len(socks)}\t{alive}\t{'yes' if ok else 'no'}\t{before}\t{after}\t{per:.0f}")


def preempted(data, pids):
    """Longest involuntary wait of each pid in a `perf sched record` file.

    `perf sched timehist --state` prints one row per switch-out: the task,
    how long it waited before this run, how long it ran, and its state when
    it left the CPU. A task that left in state R was preempted, so the wait
    on its next row is time it wanted the CPU and another task had it. Rows
    of other tasks on that CPU within the interval tell who had it."""
    import subprocess

    out = subprocess.run(
        ["perf", "sched", "timehist", "-i", data, "--state"],
        capture_output=True, text=True, timeout=600,
    ).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 7 or not f[1].startswith("["):
            continue
        try:
            t, wait, run = float(f[0]), float(f[-4]), float(f[-2])
        except ValueError:
            continue
        cpu = f[1].strip("[]")
        task = " ".join(f[2:-4])
        tid = task.rsplit("[", 1)[-1].rstrip("]").split("/")[0]
        rows.append((t, cpu, task, tid, wait, run, f[-1]))
    for pid in pids:
        last_state, worst = None, (0.0, 0.0, "")
        for t, cpu, task, tid, wait, run, state in rows:
            if tid != pid:
                continue
            if last_state == "R" and wait > worst[0]:
                # This run ended at t after `run` ms; the wait ended where it began.
                worst = (wait, t - run / 1000, cpu)
            last_state = state
        wait, end, cpu = worst
        start = end - wait / 1000
        others = {}
        for t, c, task, tid, _, run, _ in rows:
            if c == cpu and tid != pid and start - 1e-6 <= t - run / 1000 and t <= end + 1e-6:
                name = task.rsplit("[", 1)[0]
                others[name] = others.get(name, 0.0) + run
        who = ", ".join(f"{k} {v:.1f}" for k, v in sorted(others.items(), key=lambda kv: -kv[1])[:3])
        print(f"{wait:.1f} ms ({who or 'none'})")


def kthread(comm):
    """How long kernel threads named comm* held a core, without perf.

    A kernel built with PREEMPT_NONE lets a kernel thread keep its core
    until it yields; DAMON's pageout thread (kdamond) may work 50 ms a
    second there. Sampling its `se.sum_exec_runtime` (ns-precise, in ms)
    every 2 ms and taking the most it gained within any 60 ms shows how
    long a stretch it could have held the server's or the client's core."""
    import signal

    tids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().startswith(comm):
                        tids.append(d)
            except OSError:
                pass

    def runtime():
        total = 0.0
        for t in tids:
            try:
                with open(f"/proc/{t}/sched") as f:
                    for line in f:
                        if line.startswith("se.sum_exec_runtime"):
                            total += float(line.split(":")[1])
                            break
            except OSError:
                pass
        return total

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    samples = []
    while not stop and tids:
        samples.append((time.monotonic() * 1000, runtime()))
        time.sleep(0.002)
    most, j = 0.0, 0
    for i in range(len(samples)):
        while samples[i][0] - samples[j][0] > 60:
            j += 1
        most = max(most, samples[i][1] - samples[j][1])
    total = samples[-1][1] - samples[0][1] if samples else 0.0
    print(f"{most:.1f} ms ({total:.0f} ms in all)" if tids else "n/a")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "freeport":
        freeport()
    elif cmd == "resp":
        resp(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "table":
        table(sys.argv[2])
    elif cmd == "zlatency":
        zlatency(*sys.argv[2:5])
    elif cmd == "collresp":
        collresp(sys.argv[2], int(sys.argv[3]))
    elif cmd == "conns":
        conns(*sys.argv[2:5])
    elif cmd == "preempted":
        preempted(sys.argv[2], sys.argv[3:])
    elif cmd == "kthread":
        kthread(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
