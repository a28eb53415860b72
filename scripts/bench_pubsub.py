#!/usr/bin/env python3
"""Subscribers for scripts/bench_pubsub.sh (standard library only).

    bench_pubsub.py PORT CHANNEL NSUBS NPATTERNS

Opens NSUBS connections that SUBSCRIBE to CHANNEL and, if NPATTERNS > 0,
one more connection holding NPATTERNS patterns (`bench:{i}:*`, none of which
matches CHANNEL, so PUBLISH pays for matching them all and delivers to the
channel subscribers only). Prints "ready" once every subscription is
confirmed, then reads and discards everything until stdin closes, so the
servers never hold a backlog: what is measured is PUBLISH, not a slow
reader.
"""

import selectors
import socket
import sys


def enc(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def main():
    port, channel, nsubs, npat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    socks = []
    want = []
    for _ in range(nsubs):
        s = socket.create_connection(("127.0.0.1", int(port)))
        s.sendall(enc("SUBSCRIBE", channel))
        socks.append(s)
        want.append(b":1\r\n")
    if npat:
        s = socket.create_connection(("127.0.0.1", int(port)))
        s.sendall(b"".join(enc("PSUBSCRIBE", "bench:%d:*" % i) for i in range(npat)))
        socks.append(s)
        want.append(b":%d\r\n" % npat)
    # Wait for the last confirmation on each connection.
    for s, w in zip(socks, want):
        buf = b""
        s.settimeout(30)
        while not buf.endswith(w):
            d = s.recv(1 << 16)
            if not d:
                sys.exit("subscriber connection closed")
            buf += d
        s.setblocking(False)
    print("ready", flush=True)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    sel.register(sys.stdin, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is sys.stdin:
                return
            try:
                if not key.fileobj.recv(1 << 20):
                    sel.unregister(key.fileobj)
            except BlockingIOError:
                pass


main()
