"""Raw client sockets for the Python-driven tests, for what the client libraries cannot do:
RESP2 and RESP3 (HELLO 3) on a plain or TLS socket whose own state (certificate, cipher,
session) a test looks at, and watching for the server to close a connection."""

import select
import time


class Resp:
    """Commands and replies over a blocking socket (plain or TLS); `sock` stays the
    caller's, to look at and to close."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def command(self, *args):
        self.send(*args)
        return self.reply()

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exactly(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        """Error replies come back as ("error", text); RESP3 null as None."""
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            return ("error", rest)
        if kind in (b":", b"("):
            return int(rest)
        if kind == b",":
            return float(rest)
        if kind == b"#":
            return rest == b"t"
        if kind == b"_":
            return None
        if kind in (b"$", b"="):
            return None if int(rest) < 0 else self.exactly(int(rest))
        if kind in (b"*", b"~", b">"):
            return None if int(rest) < 0 else [self.reply() for _ in range(int(rest))]
        if kind == b"%":
            return {self.reply(): self.reply() for _ in range(int(rest))}
        raise AssertionError("not a RESP reply: %r" % line)


def closed_by_server(sock, deadline):
    """Reads what the server sends (a TLS alert, say) until it closes `sock` or the deadline
    passes; returns (whether it closed, the bytes read)."""
    received = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([sock], [], [], remaining)[0]:
            return False, received
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return True, received
        if not chunk:
            return True, received
        received += chunk


def still_open(sock):
    """True when the server has neither closed `sock` nor sent anything on it."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        sock.recv(1)
        return False  # closed (b""), or sent something
    except BlockingIOError:
        return True
    except ConnectionResetError:
        return False
    finally:
        sock.settimeout(timeout)
