"""Starts ringside (or redis-server when RINGSIDE_TEST_TARGET=redis) on a free port for the
Python-driven integration tests, and always stops it again."""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

READY_DEADLINE = 20.0
STOP_DEADLINE = 20.0

# Directives only ringside knows; dropped when redis-server stands in for it.
RINGSIDE_ONLY = {"--threads", "--io-backend", "--io-uring-entries", "--recv-buffers",
                 "--recv-buffer-size", "--bigbulk-threshold"}


def import_redis_or_skip():
    """The python3-redis module; without it the calling test script exits 77 (skipped)."""
    try:
        import redis
    except ImportError:
        print("python3-redis is not installed; skipping")
        sys.exit(77)
    return redis


def byte_mismatch(got, expected, what):
    """None when `got` is `expected` byte for byte; else where they part, for a failure."""
    if got == expected:
        return None
    if got is None:
        return "%s: nil, expected %d bytes" % (what, len(expected))
    first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b),
                 min(len(got), len(expected)))
    return "%s: %d bytes back, %d sent, first difference at byte %d" % (
        what, len(got), len(expected), first)


def target_is_redis():
    return os.environ.get("RINGSIDE_TEST_TARGET") == "redis"


def parse_args(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, help="the ringside binary under test")
    return parser.parse_args(argv)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _answers_ping_tls(port, context):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _drop_ringside_only(extra):
    kept, skip = [], False
    for arg in extra:
        if arg in RINGSIDE_ONLY:
            skip = True
            continue
        if skip and not arg.startswith("--"):
            continue
        skip = False
        kept.append(arg)
    return kept


class Server:
    """A running server; use as a context manager so it is stopped whatever happens."""

    def __init__(self, binary, extra=(), tls_probe=None):
        """tls_probe: an ssl.SSLContext the tls-* directives in `extra` let through. With it
        the server also gets a free --tls-port (self.tls_port), and is ready once it answers
        PING there too, over a connection made with that context."""
        self.binary = binary
        self.extra = list(extra)
        self.tls_probe = tls_probe
        self.port = 0
        self.tls_port = 0
        self.proc = None
        self.log = None
        self.final_output = ""

    def __enter__(self):
        for attempt in range(3):
            self.port = free_port()
            tls = []
            if self.tls_probe is not None:
                self.tls_port = free_port()
                while self.tls_port == self.port:
                    self.tls_port = free_port()
                tls = ["--tls-port", str(self.tls_port)]
            if target_is_redis():
                argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                        "--save", "", "--appendonly", "no", "--daemonize", "no"] + tls
                argv += _drop_ringside_only(self.extra)
            else:
                argv = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port),
                        "--loglevel", "warning"] + tls
                # ctest runs each script once per backend; a test naming one itself wins.
                backend = os.environ.get("RINGSIDE_TEST_IO_BACKEND")
                if backend:
                    argv += ["--io-backend", backend]
                argv += self.extra
            self.log = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=subprocess.STDOUT)
            deadline = time.monotonic() + READY_DEADLINE
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break  # probably lost the port to someone else; try another
                if _answers_ping(self.port) and (
                        self.tls_probe is None or
                        _answers_ping_tls(self.tls_port, self.tls_probe)):
                    return self
                time.sleep(0.01)
            output = self.output()
            self.stop()
            if attempt == 2:
                raise RuntimeError("%s did not come up:\n%s" % (argv[0], output))
        raise RuntimeError("unreachable")

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            sys.stderr.write("---- server output ----\n%s---- end ----\n" % self.output())
        self.stop()
        return False

    def output(self):
        if self.log is None:
            return self.final_output
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        """SIGTERM, then SIGKILL after a deadline; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log is not None:
            self.final_output = self.output()
            self.log.close()
            self.log = None
        return self.proc.returncode
