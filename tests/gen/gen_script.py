#!/usr/bin/env python3
"""Turns a list of commands into a differential script for
tests/differential.rs: after each command, one `@N<` line per extra message
(Pub/Sub message or RESP3 push) each connection received from the real
redis-server, counted live, so the script reads every message a subscriber
gets and compares them byte for byte.

    gen_script.py SOURCE OUTPUT [redis-server flags...]

The source uses the script syntax; `@N<` lines are what this adds."""
import socket, subprocess, sys, time, shlex, os

def enc(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
    def fill(self, timeout):
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(65536)
            if not d: raise EOFError
            self.buf += d
            return True
        except socket.timeout:
            return False
    def parse(self, i):
        j = self.buf.find(b"\r\n", i)
        if j < 0: return None
        t = self.buf[i:i+1]; body = self.buf[i+1:j]; k = j + 2
        if t in b"$=!":
            n = int(body)
            if n < 0: return k
            if len(self.buf) < k + n + 2: return None
            return k + n + 2
        if t in b"*~>%|":
            n = int(body)
            if t in b"%|": n *= 2
            for _ in range(max(n, 0)):
                k = self.parse(k)
                if k is None: return None
            return k
        return k
    def count(self, wait):
        n = 0
        deadline = time.time() + wait
        while True:
            while True:
                k = self.parse(0) if self.buf else None
                if k is None: break
                self.buf = self.buf[k:]; n += 1
            left = deadline - time.time()
            if left <= 0 or not self.fill(left): return n
    def reply(self):
        while True:
            k = self.parse(0) if self.buf else None
            if k is not None:
                r = self.buf[:k]; self.buf = self.buf[k:]; return r
            self.fill(5)

def split(line):
    return [a.encode() for a in shlex.split(line)]

def main(src, dst, flags):
    port = 17000 + os.getpid() % 1000
    p = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"] + flags, stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    try:
        conns = {}
        out = []
        for line in open(src):
            line = line.rstrip("\n")
            s = line.strip()
            if not s or s.startswith("#"):
                out.append(line); continue
            if s.startswith("!sleep"):
                out.append(line); time.sleep(int(s.split()[1]) / 1000); 
                for c in (2,3):
                    if c in conns:
                        n = conns[c].count(0.05)
                        out += ["@%d<" % c] * n
                continue
            c = 1; rest = s
            if rest.startswith("@"):
                c = int(rest[1]); rest = rest[2:].strip()
            rest = rest.lstrip("?")
            if c not in conns: conns[c] = Conn(port)
            conns[c].s.sendall(enc(split(rest)))
            conns[c].reply()
            out.append(line)
            # Messages after the reply on the same connection (RESP3 pushes
            # to a client subscribed to its own events).
            n = conns[c].count(0.03)
            out += ["@%d<" % c] * n
            for sub in (2, 3):
                if sub != c and sub in conns:
                    n = conns[sub].count(0.03)
                    out += ["@%d<" % sub] * n
        open(dst, "w").write("\n".join(out) + "\n")
    finally:
        p.terminate()

main(sys.argv[1], sys.argv[2], sys.argv[3:])
