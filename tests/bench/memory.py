#!/usr/bin/env python3
"""RSS of redis-server and ringside holding the same small values.

Each target is started empty (no persistence) on a free loopback port, loaded over one
pipelined connection with N keys `key:<i>` of one shape, read back (every key's HLEN, SCARD or
STRLEN must be what was written), and its VmRSS read from /proc. Shapes: a hash (HSET key f1
v1 ... f5 v5), a set (SADD key 1 2 3 4 5) and a string of 32 bytes (SET). Prints one line per
shape, and the ratio to redis-server.

    tests/bench/memory.py [--keys 1000000] [--ringside build-test/ringside]
"""

import argparse
import os
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"
BATCH = 10000


def frame(args):
    return b"".join([b"*%d\r\n" % len(args)] + [b"$%d\r\n%s\r\n" % (len(a), a) for a in args])


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


VALUE_32 = b"v" * 32

# name: (write command for key i, its reply, read-back command, its reply)
SHAPES = {
    "hash of 5": (lambda k: [b"HSET", k, b"f1", b"v1", b"f2", b"v2", b"f3", b"v3", b"f4", b"v4",
                             b"f5", b"v5"], b":5", b"HLEN", b":5"),
    "set of 5": (lambda k: [b"SADD", k, b"1", b"2", b"3", b"4", b"5"], b":5", b"SCARD", b":5"),
    "string of 32 B": (lambda k: [b"SET", k, VALUE_32], b"+OK", b"STRLEN", b":32"),
}


def read_replies(sock, count, pending):
    """Reads `count` one-line replies (integers or errors); returns them and the leftover."""
    replies = []
    while len(replies) < count:
        end = pending.find(b"\r\n")
        if end < 0:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed")
            pending += chunk
            continue
        replies.append(pending[:end])
        pending = pending[end + 2:]
    return replies, pending


def run_batches(sock, n, make):
    pending = b""
    out = []
    for start in range(0, n, BATCH):
        stop = min(n, start + BATCH)
        sock.sendall(b"".join(make(i) for i in range(start, stop)))
        replies, pending = read_replies(sock, stop - start, pending)
        out.extend(replies)
    return out


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start(name, binary, port):
    if name == "redis-server":
        argv = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    else:
        argv = [binary, "--port", str(port), "--appendonly", "no"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            return proc, socket.create_connection((HOST, port))
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(name + " did not start")


def measure(name, binary, shape, n):
    write, wrote, probe, expect = SHAPES[shape]
    proc, sock = start(name, binary, free_port())
    try:
        empty = rss_mib(proc.pid)
        written = run_batches(sock, n, lambda i: frame(write(b"key:%d" % i)))
        bad = [r for r in written if r != wrote]
        if bad:
            raise RuntimeError("%s: %d writes answered %r" % (name, len(bad), bad[0]))
        back = run_batches(sock, n, lambda i: frame([probe, b"key:%d" % i]))
        lost = sum(1 for r in back if r != expect)
        if lost:
            raise RuntimeError("%s: %d keys read back wrong" % (name, lost))
        time.sleep(1)  # let lazily freed memory settle
        return empty, rss_mib(proc.pid)
    finally:
        sock.close()
        proc.terminate()
        proc.wait()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--ringside", default=os.path.join(root, "build-test", "ringside"))
    args = ap.parse_args()
    print("| shape | keys | redis-server RSS MiB | ringside RSS MiB | ringside / redis-server |")
    print("|---|---:|---:|---:|---:|")
    for shape in SHAPES:
        _, redis = measure("redis-server", None, shape, args.keys)
        _, ringside = measure("ringside", args.ringside, shape, args.keys)
        print("| %s | %d | %.1f | %.1f | %.3f |" % (shape, args.keys, redis, ringside,
                                                  ringside / redis), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
