"""A minimal blocking RESP2 client: enough for the harness's admin calls (PING, INFO, FLUSHALL,
DBSIZE, SCAN, STRLEN, GET) and its read-back checks, without depending on a Redis client
library.

Replies map to Python values: simple strings and bulk strings to bytes, integers to int, nil
to None, arrays to lists. An error reply raises ReplyError; a peer that closes the connection
raises ConnectionError.
"""

import socket


class ReplyError(Exception):
    """The server answered with an error reply (the message is the reply's text)."""


class Client:
    def __init__(self, host, port, timeout=10.0):
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._in = self._sock.makefile("rb")

    def close(self):
        try:
            self._in.close()
        finally:
            self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, *args):
        self._sock.sendall(_encode(args))
        return self._read()

    def pipeline(self, commands, chunks=None):
        """Sends every command before reading any reply; returns the replies in order. An error
        reply raises ReplyError, after all replies have been read (the connection stays usable).
        chunks, if given, is called with the encoded bytes and yields the pieces to send one
        by one: how a check makes a server see a command arrive in parts."""
        data = b"".join(_encode(args) for args in commands)
        for piece in chunks(data) if chunks else (data,):
            self._sock.sendall(piece)
        replies, error = [], None
        for _ in commands:
            try:
                replies.append(self._read())
            except ReplyError as e:
                replies.append(None)
                error = error or e
        if error:
            raise error
        return replies

    def _read(self):
        line = self._in.readline()
        if not line:
            raise ConnectionError("server closed the connection")
        if not line.endswith(b"\r\n"):
            raise ConnectionError("truncated reply line")
        kind, body = line[:1], line[1:-2]
        if kind == b"+":
            return body
        if kind == b"-":
            raise ReplyError(body.decode(errors="replace"))
        if kind == b":":
            return int(body)
        if kind == b"$":
            length = int(body)
            if length < 0:
                return None
            data = self._in.read(length + 2)
            if len(data) != length + 2:
                raise ConnectionError("server closed the connection inside a bulk reply")
            return data[:-2]
        if kind == b"*":
            count = int(body)
            if count < 0:
                return None
            return [self._read() for _ in range(count)]
        raise ConnectionError(f"unexpected reply type {kind!r}")


def _encode(args):
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = str(arg).encode()
        parts.append(b"$%d\r\n" % len(arg))
        parts.append(arg)
        parts.append(b"\r\n")
    return b"".join(parts)
