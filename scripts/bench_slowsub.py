#!/usr/bin/env python3
"""A subscriber that stops reading, side by side in reddish and Redis.

    scripts/bench_slowsub.py [GB]          (default 1)

For each server (reddish from target/release, then Debian's redis-server,
both with their default `client-output-buffer-limit pubsub 32mb 8mb 60`):

* a subscriber SUBSCRIBEs to one channel, then never reads again (its
  kernel receive buffer is made small so the server sees it full early);
* a publisher sends GB gigabytes of PUBLISH (1 KB messages, pipelined 64
  deep, reading every reply);
* another client sends PING once a millisecond and records each latency;
* the server's RSS is sampled every 10 ms.

It prints, per server: the peak RSS above the starting RSS, after how many
published megabytes the PUBLISH reply dropped to 0 receivers (the moment
the subscriber was disconnected), whether the subscriber's socket was
closed by the server, and the PING latency (p50, p99, max). The output is a
Markdown table, meant for a closing note.
"""

import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REDDISH = os.environ.get("REDDISH", os.path.join(ROOT, "target/release/reddish-server"))
MSG = 1024
DEPTH = 64


def freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(binary, port):
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise SystemExit(f"{binary} did not start")


def read_line(sock, buf):
    while b"\r\n" not in buf[0]:
        d = sock.recv(65536)
        if not d:
            raise EOFError
        buf[0] += d
    line, buf[0] = buf[0].split(b"\r\n", 1)
    return line


def run(binary, gbytes):
    port = freeport()
    proc = start(binary, port)
    base = rss_kb(proc.pid)
    sub = socket.socket()
    sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sub.connect(("127.0.0.1", port))
    sub.sendall(b"SUBSCRIBE ch\r\n")
    time.sleep(0.1)
    sub.recv(4096)

    stop = threading.Event()
    peak = [base]
    lat = []

    def sampler():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], rss_kb(proc.pid))
            except OSError:
                return
            time.sleep(0.01)

    def pinger():
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while not stop.is_set():
            t = time.perf_counter()
            s.sendall(b"PING\r\n")
            got = b""
            while not got.endswith(b"\r\n"):
                got += s.recv(64)
            lat.append((time.perf_counter() - t) * 1000)
            time.sleep(0.001)
        s.close()

    threads = [threading.Thread(target=sampler), threading.Thread(target=pinger)]
    for t in threads:
        t.start()

    pub = socket.create_connection(("127.0.0.1", port))
    payload = b"x" * MSG
    cmd = b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$%d\r\n%s\r\n" % (MSG, payload)
    batch = cmd * DEPTH
    total = int(gbytes * (1 << 30))
    sent = 0
    dropped_at = None
    buf = [b""]
    t0 = time.time()
    while sent < total:
        pub.sendall(batch)
        for _ in range(DEPTH):
            line = read_line(pub, buf)
            if line == b":0" and dropped_at is None:
                dropped_at = sent
        sent += MSG * DEPTH
    elapsed = time.time() - t0
    stop.set()
    for t in threads:
        t.join()

    # Closed by the server: after draining what was buffered, recv sees EOF.
    sub.settimeout(2)
    closed = False
    try:
        while True:
            d = sub.recv(1 << 20)
            if not d:
                closed = True
                break
    except (socket.timeout, ConnectionResetError):
        closed = isinstance(sys.exc_info()[1], ConnectionResetError)
    proc.terminate()
    proc.wait()
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] if lat else float("nan")
    return {
        "peak_mb": (peak[0] - base) / 1024,
        "dropped_mb": None if dropped_at is None else dropped_at / (1 << 20),
        "closed": closed,
        "p50": pct(0.5),
        "p99": pct(0.99),
        "max": lat[-1] if lat else float("nan"),
        "pings": len(lat),
        "secs": elapsed,
    }


def main():
    gbytes = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rows = [("reddish", run(REDDISH, gbytes)), ("redis 7.0", run("redis-server", gbytes))]
    print(f"Slow subscriber, {gbytes:g} GB published in {MSG}-byte messages\n")
    print("| server | peak RSS growth | subscriber dropped after | socket closed | PING p50 | PING p99 | PING max | pings | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        dropped = "never" if r["dropped_mb"] is None else f"{r['dropped_mb']:.1f} MB"
        print(
            f"| {name} | {r['peak_mb']:.1f} MB | {dropped} | {'yes' if r['closed'] else 'no'} "
            f"| {r['p50']:.3f} ms | {r['p99']:.3f} ms | {r['max']:.2f} ms | {r['pings']} | {r['secs']:.1f} |"
        )


if __name__ == "__main__":
    main()
