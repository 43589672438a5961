"""TLS on tls-port, with Redis's tls-* directives and their meanings: redis-cli, python3-redis,
node-redis and raw ssl sockets; client certificates under each tls-auth-clients; big values
and pipelines; the plain port beside it; garbage and stalled handshakes; certificates,
protocols, ciphers and sessions, set at start and by CONFIG SET."""

import os
import random
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ringside_server  # noqa: E402
import tls_certs  # noqa: E402
from raw_client import Resp, closed_by_server, still_open  # noqa: E402

redis = ringside_server.import_redis_or_skip()

ARGS = None
CERTS = None  # tls_certs.generate()'s files, made once for the whole script
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "node")

# A garbage first flight is answered at once; a stalled handshake is given 10 s by ringside
# (redis-server keeps it). The deadlines leave room for a loaded machine.
GARBAGE_CLOSE_DEADLINE = 5.0
STALL_CLOSE_DEADLINE = 30.0
# Ringside must not drop a handshake as stalled before this: a slow client gets its 10 s.
STALL_CLOSE_EARLIEST = 5.0
COUNTER_DEADLINE = 5.0


def setUpModule():
    global CERTS
    CERTS = tls_certs.generate(tempfile.mkdtemp(prefix="ringside-tls-"))


def tearDownModule():
    shutil.rmtree(os.path.dirname(CERTS.ca_crt), ignore_errors=True)


def client_context(cert=True, ca=None, check_hostname=True, minimum_version=None,
                   maximum_version=None):
    """A client's context: trusts `ca` (the test CA by default) and shows client.crt
    (cert=True), other-client.crt (cert="other") or no certificate (cert=False)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = check_hostname
    ctx.load_verify_locations(ca or CERTS.ca_crt)
    if cert == "other":
        ctx.load_cert_chain(CERTS.other_client_crt, CERTS.other_client_key)
    elif cert:
        ctx.load_cert_chain(CERTS.client_crt, CERTS.client_key)
    if minimum_version is not None:
        ctx.minimum_version = minimum_version
    if maximum_version is not None:
        ctx.maximum_version = maximum_version
    return ctx


def probe_context():
    """For the readiness PING: shows the client certificate and checks nothing, so that it
    gets through to servers with expired or wrongly named certificates too."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(CERTS.client_crt, CERTS.client_key)
    return ctx


def tls_socket(port, ctx=None, session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        return (ctx or client_context()).wrap_socket(raw, server_hostname="127.0.0.1",
                                                     session=session)
    except BaseException:
        raw.close()
        raise


def peer_cn(sock):
    return dict(field[0] for field in sock.getpeercert()["subject"])["commonName"]


def value(size, seed):
    return random.Random(seed).randbytes(size)


def partial_client_hello():
    """The first half of a real ClientHello: the start of a handshake that then stalls."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context().wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    return hello[:len(hello) // 2]


class TlsClientTest(unittest.TestCase):
    def start(self, *extra, auth="yes", cert=None, key=None, ca_file=True):
        """A server on a free plain port and tls-port, serving the test certificate (or
        `cert`/`key`) and trusting the test CA, stopped when the test ends. auth=None leaves
        tls-auth-clients at its default."""
        args = ["--threads", "2",
                "--tls-cert-file", cert or CERTS.server_crt,
                "--tls-key-file", key or CERTS.server_key]
        if auth is not None:
            args += ["--tls-auth-clients", auth]
        if ca_file:
            args += ["--tls-ca-cert-file", CERTS.ca_crt]
        server = ringside_server.Server(ARGS.binary, args + list(extra),
                                        tls_probe=probe_context()).__enter__()
        self.addCleanup(self.check_clean_exit, server)
        return server

    def check_clean_exit(self, server):
        """SIGTERM must end the server with exit status 0 (no crash on the way out)."""
        code = server.stop()
        self.assertEqual(code, 0, "server exit status %s; output:\n%s" %
                         (code, server.output()))

    def client(self, server, cert=True, **kwargs):
        """python3-redis over TLS, checking the server's certificate and name."""
        ssl_args = dict(ssl=True, ssl_ca_certs=CERTS.ca_crt, ssl_check_hostname=True,
                        ssl_cert_reqs="required")
        if cert:
            ssl_args.update(ssl_certfile=CERTS.client_crt, ssl_keyfile=CERTS.client_key)
        r = redis.Redis(host="127.0.0.1", port=server.tls_port, socket_timeout=30,
                        **ssl_args, **kwargs)
        self.addCleanup(r.close)
        return r

    def plain(self, server, **kwargs):
        r = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30, **kwargs)
        self.addCleanup(r.close)
        return r

    def cli(self, server, *args, stdin=None, cert=True):
        argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(server.tls_port), "--tls",
                "--cacert", CERTS.ca_crt]
        if cert == "other":
            argv += ["--cert", CERTS.other_client_crt, "--key", CERTS.other_client_key]
        elif cert:
            argv += ["--cert", CERTS.client_crt, "--key", CERTS.client_key]
        return subprocess.run(argv + list(args), input=stdin, capture_output=True, text=True,
                              timeout=60)

    def raw(self, server, ctx=None, session=None):
        sock = tls_socket(server.tls_port, ctx, session)
        self.addCleanup(sock.close)
        return Resp(sock)

    def assertServes(self, server, ctx=None):
        resp = self.raw(server, ctx)
        self.assertEqual(resp.command("PING"), b"PONG")
        return resp

    def assertRefused(self, server, ctx):
        """The server ends the connection before answering PING: in the handshake, or (under
        TLS 1.3, where the client is done with the handshake before the server has checked
        the client's certificate) on the first read."""
        try:
            with tls_socket(server.tls_port, ctx) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                answer = sock.recv(64)
        except TimeoutError:
            raise
        except OSError as e:  # ssl.SSLError, a reset or a broken pipe
            return e
        self.assertFalse(answer.startswith(b"+PONG"), "served a client it must refuse")
        return None

    def assertSameBytes(self, got, expected, what):
        problem = ringside_server.byte_mismatch(got, expected, what)
        if problem:
            self.fail(problem)

    # ---- redis-cli ----

    def test_redis_cli_with_client_certificate(self):
        server = self.start(auth="yes")
        for args, out in [(["PING"], "PONG\n"), (["SET", "k", "v"], "OK\n"),
                          (["--no-raw", "GET", "k"], '"v"\n'),
                          (["--no-raw", "GET", "missing"], "(nil)\n"),
                          (["--no-raw", "INCR", "k"],
                           "(error) ERR value is not an integer or out of range\n")]:
            proc = self.cli(server, *args)
            self.assertEqual((proc.returncode, proc.stdout), (0, out), proc.stderr)
        script = "SET greeting hello\nAPPEND greeting ' world'\nGET greeting\nINCR n\n" \
                 "MGET greeting n nope\nDBSIZE\n"
        proc = self.cli(server, stdin=script)
        self.assertEqual(proc.stdout, "OK\n11\nhello world\n1\nhello world\n1\n\n3\n",
                         proc.stderr)

    def test_redis_cli_without_certificate_refused_under_auth_clients_yes(self):
        server = self.start(auth="yes")
        proc = self.cli(server, "PING", cert=False)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertNotIn("PONG", proc.stdout)
        # Piped, redis-cli exits 0 whatever happens; it must have had no answer.
        proc = self.cli(server, stdin="PING\n", cert=False)
        self.assertNotIn("PONG", proc.stdout)
        self.assertIn("Error", proc.stderr)
        proc = self.cli(server, "PING", cert="other")
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertNotIn("PONG", proc.stdout)
        self.assertEqual(self.cli(server, "PING").stdout, "PONG\n")

    # ---- client certificates ----

    def test_auth_clients_yes(self):
        server = self.start(auth="yes")
        self.assertServes(server, client_context(cert=True))
        self.assertRefused(server, client_context(cert=False))
        self.assertRefused(server, client_context(cert="other"))
        with self.assertRaises(redis.ConnectionError):
            self.client(server, cert=False).ping()

    def test_auth_clients_defaults_to_yes(self):
        server = self.start(auth=None)
        self.assertServes(server, client_context(cert=True))
        self.assertRefused(server, client_context(cert=False))
        self.assertEqual(self.client(server, decode_responses=True).config_get(
            "tls-auth-clients"), {"tls-auth-clients": "yes"})

    def test_auth_clients_optional(self):
        server = self.start(auth="optional")
        self.assertServes(server, client_context(cert=True))
        self.assertServes(server, client_context(cert=False))
        # Optional asks for a certificate: one that is shown must still verify.
        self.assertRefused(server, client_context(cert="other"))
        self.assertEqual(self.cli(server, "PING", cert=False).stdout, "PONG\n")

    def test_auth_clients_no(self):
        server = self.start(auth="no")
        self.assertServes(server, client_context(cert=False))
        self.assertServes(server, client_context(cert=True))
        # No certificate is asked for, so the client sends none and none is checked.
        self.assertServes(server, client_context(cert="other"))
        self.assertTrue(self.client(server, cert=False).ping())

    def test_ca_cert_dir_instead_of_file(self):
        server = self.start("--tls-ca-cert-dir", CERTS.ca_dir, auth="yes", ca_file=False)
        self.assertServes(server, client_context(cert=True))
        self.assertRefused(server, client_context(cert="other"))
        self.assertRefused(server, client_context(cert=False))

    # ---- python3-redis ----

    def test_python_client_pipeline_of_1000(self):
        server = self.start()
        r = self.client(server)
        self.assertTrue(r.ping())
        pipe = r.pipeline(transaction=False)
        for i in range(1000):
            pipe.set("p%d" % i, "value-%d" % i)
        self.assertEqual(pipe.execute(), [True] * 1000)
        pipe = r.pipeline(transaction=False)
        for i in range(1000):
            pipe.get("p%d" % i)
        self.assertEqual(pipe.execute(), [b"value-%d" % i for i in range(1000)])
        self.assertEqual(r.mget(["p%d" % i for i in range(1000)]),
                         [b"value-%d" % i for i in range(1000)])
        self.assertEqual(r.dbsize(), 1000)

    def test_python_client_big_values(self):
        server = self.start()
        r = self.client(server)
        for size in (1024 * 1024, 20 * 1024 * 1024):
            v = value(size, size)
            self.assertTrue(r.set("big%d" % size, v))
            self.assertEqual(r.strlen("big%d" % size), size)
            self.assertSameBytes(r.get("big%d" % size), v, "GET of %d bytes" % size)
        # The same values, read over the plain port: stored as sent, not as TLS records.
        plain = self.plain(server)
        self.assertSameBytes(plain.get("big%d" % (1024 * 1024)), value(1024 * 1024, 1024 * 1024),
                             "GET over the plain port")
        if not ringside_server.target_is_redis():
            info = plain.info("bigbulk")
            self.assertGreater(info.get("bigbulk_promotions", 0), 0, info)

    def test_resp3_hello_over_tls(self):
        server = self.start()
        resp = self.raw(server)
        hello = resp.command("HELLO", "3")
        self.assertIsInstance(hello, dict, hello)
        self.assertEqual(hello.get(b"proto"), 3, hello)
        self.assertEqual(resp.command("SET", "k", "v"), b"OK")
        resp.send("GET", "missing")
        self.assertEqual(resp.line(), b"_")  # RESP3's null, not RESP2's $-1
        self.assertEqual(resp.command("GET", "k"), b"v")

    def test_plain_tls_and_unix_socket_share_data(self):
        sock_dir = tempfile.mkdtemp(prefix="ringside-tls-sock-")
        self.addCleanup(shutil.rmtree, sock_dir, True)
        path = os.path.join(sock_dir, "ringside.sock")
        server = self.start("--unixsocket", path)
        tls, plain = self.client(server), self.plain(server)
        unix = redis.Redis(unix_socket_path=path, socket_timeout=30)
        self.addCleanup(unix.close)
        self.assertTrue(tls.set("from-tls", "1"))
        self.assertTrue(plain.set("from-plain", "2"))
        self.assertTrue(unix.set("from-unix", "3"))
        for r in (tls, plain, unix):
            self.assertEqual(r.mget("from-tls", "from-plain", "from-unix"), [b"1", b"2", b"3"])
            self.assertEqual(r.dbsize(), 3)
        # Both listeners at once: interleaved commands on open connections of each kind.
        for i in range(50):
            (tls, plain, unix)[i % 3].incr("shared")
        self.assertEqual(tls.get("shared"), b"50")

    # ---- garbage and stalled handshakes ----

    def test_garbage_instead_of_client_hello_is_closed(self):
        server = self.start()
        r = self.client(server)
        self.assertTrue(r.set("k", "v"))
        garbage = [b"*1\r\n$4\r\nPING\r\n",  # a plain-text client on the TLS port
                   b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
                   random.Random(7).randbytes(4096)]
        for data in garbage:
            with socket.create_connection(("127.0.0.1", server.tls_port), timeout=10) as s:
                s.sendall(data)
                closed, received = closed_by_server(
                    s, time.monotonic() + GARBAGE_CLOSE_DEADLINE)
                self.assertTrue(closed, "connection that sent %r not closed" % data[:20])
                self.assertNotIn(b"PONG", received)
        self.assertEqual(r.get("k"), b"v")
        self.assertEqual(self.client(server).get("k"), b"v")

    def test_stalled_handshake_does_not_hold_up_others(self):
        server = self.start()
        started = time.monotonic()
        stalled = []
        # Enough of them for every worker to hold some: silent after connecting, and silent
        # halfway through a ClientHello.
        for i in range(8):
            s = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
            self.addCleanup(s.close)
            if i % 2:
                s.sendall(partial_client_hello())
            stalled.append(s)
        for i in range(6):
            r = self.client(server)
            self.assertTrue(r.set("k%d" % i, i))
            self.assertEqual(r.get("k%d" % i), b"%d" % i)
        self.assertTrue(all(still_open(s) for s in stalled),
                        "a stalled handshake was dropped at once")
        if ringside_server.target_is_redis():
            return  # redis-server keeps a stalled handshake for as long as the client likes
        deadline = started + STALL_CLOSE_DEADLINE
        for s in stalled:
            self.assertTrue(closed_by_server(s, deadline)[0],
                            "stalled handshake still open after %.0f s" % STALL_CLOSE_DEADLINE)
        self.assertGreaterEqual(time.monotonic() - started, STALL_CLOSE_EARLIEST)
        self.assertEqual(self.client(server).get("k5"), b"5")

    # ---- certificates ----

    def test_config_set_certificate_rotation(self):
        server = self.start()
        before = self.raw(server)
        self.assertEqual(peer_cn(before.sock), "localhost")
        r = self.client(server)
        self.assertTrue(r.set("k", "v"))
        self.assertEqual(r.execute_command("CONFIG", "SET", "tls-cert-file", CERTS.rotated_crt,
                                           "tls-key-file", CERTS.rotated_key), b"OK")
        after = self.raw(server)
        self.assertEqual(peer_cn(after.sock), "rotated.localhost")
        self.assertEqual(after.command("GET", "k"), b"v")
        # Connections made before keep going on the certificate they were made with.
        self.assertEqual(before.command("GET", "k"), b"v")
        self.assertEqual(r.get("k"), b"v")
        self.assertEqual(r.config_get("tls-cert-file"), {"tls-cert-file": CERTS.rotated_crt})
        self.assertEqual(r.config_get("tls-key-file"), {"tls-key-file": CERTS.rotated_key})

        # A change that cannot be applied is refused, and the settings before it stay.
        missing = os.path.join(os.path.dirname(CERTS.ca_crt), "no-such.crt")
        with self.assertRaises(redis.ResponseError):
            r.execute_command("CONFIG", "SET", "tls-cert-file", missing)
        with self.assertRaises(redis.ResponseError):  # rotated.key does not match server.crt
            r.execute_command("CONFIG", "SET", "tls-cert-file", CERTS.server_crt)
        self.assertEqual(r.config_get("tls-cert-file"), {"tls-cert-file": CERTS.rotated_crt})
        self.assertEqual(peer_cn(self.raw(server).sock), "rotated.localhost")
        self.assertEqual(before.command("PING"), b"PONG")

    def test_encrypted_key_with_passphrase(self):
        server = self.start("--tls-key-file-pass", CERTS.passphrase, key=CERTS.server_enc_key)
        self.assertServes(server)
        r = self.client(server)
        self.assertTrue(r.set("k", "v"))
        shown = r.config_get("tls-key-file-pass")["tls-key-file-pass"]
        if ringside_server.target_is_redis():
            self.assertEqual(shown, CERTS.passphrase)
        else:
            self.assertEqual(shown, "(set)")
        self.assertEqual(r.config_get("tls-key-file"), {"tls-key-file": CERTS.server_enc_key})

    def test_encrypted_key_with_wrong_passphrase_does_not_start(self):
        with self.assertRaises(RuntimeError):
            self.start("--tls-key-file-pass", "not-" + CERTS.passphrase,
                       key=CERTS.server_enc_key)

    def test_expired_and_wrongly_named_certificates_fail_verification(self):
        server = self.start(cert=CERTS.expired_crt)
        with self.assertRaises(ssl.SSLCertVerificationError) as ctx:
            tls_socket(server.tls_port).close()
        self.assertEqual(ctx.exception.verify_code, 10, ctx.exception)  # certificate expired
        server = self.start(cert=CERTS.wrong_name_crt)
        with self.assertRaises(ssl.SSLCertVerificationError) as ctx:
            tls_socket(server.tls_port).close()
        # The name the client asks for, 127.0.0.1, is not among the certificate's.
        self.assertEqual(ctx.exception.verify_code, 64, ctx.exception)  # IP address mismatch
        resp = self.assertServes(server, client_context(check_hostname=False))
        self.assertEqual(peer_cn(resp.sock), "wrong.example")

    # ---- protocols, ciphers, sessions, CONFIG GET/SET ----

    def test_tls13_only_refuses_tls12_client(self):
        server = self.start("--tls-protocols", "TLSv1.3")
        with self.assertRaises(ssl.SSLError):
            tls_socket(server.tls_port,
                       client_context(maximum_version=ssl.TLSVersion.TLSv1_2)).close()
        resp = self.assertServes(server)
        self.assertEqual(resp.sock.version(), "TLSv1.3")

    def test_tls12_only_refuses_tls13_client(self):
        server = self.start("--tls-protocols", "TLSv1.2")
        with self.assertRaises(ssl.SSLError):
            tls_socket(server.tls_port,
                       client_context(minimum_version=ssl.TLSVersion.TLSv1_3)).close()
        resp = self.assertServes(server)
        self.assertEqual(resp.sock.version(), "TLSv1.2")

    def test_ciphers_and_ciphersuites(self):
        server = self.start("--tls-ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384",
                            "--tls-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256",
                            "--tls-prefer-server-ciphers", "yes")
        tls12 = self.assertServes(server, client_context(maximum_version=ssl.TLSVersion.TLSv1_2))
        self.assertEqual(tls12.sock.cipher()[0], "ECDHE-ECDSA-AES256-GCM-SHA384")
        tls13 = self.assertServes(server)
        self.assertEqual(tls13.sock.cipher()[0], "TLS_CHACHA20_POLY1305_SHA256")
        self.assertEqual(tls13.command("CONFIG", "SET", "tls-ciphersuites",
                                       "TLS_AES_256_GCM_SHA384"), b"OK")
        self.assertEqual(self.assertServes(server).sock.cipher()[0], "TLS_AES_256_GCM_SHA384")
        self.assertEqual(tls13.command("PING"), b"PONG")

    def test_session_resumption(self):
        server = self.start("--tls-session-caching", "yes")
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = client_context(maximum_version=version)
            first = self.raw(server, ctx)
            # A reply read takes in the TLS 1.3 session tickets, which follow the handshake.
            self.assertEqual(first.command("PING"), b"PONG")
            again = self.raw(server, ctx, session=first.sock.session)
            self.assertTrue(again.sock.session_reused, again.sock.version())
            self.assertEqual(again.command("PING"), b"PONG")
        if ringside_server.target_is_redis():
            return  # redis-server 7.0 answers a resumption it does not cache with an alert
        self.assertEqual(first.command("CONFIG", "SET", "tls-session-caching", "no"), b"OK")
        ctx = client_context(maximum_version=ssl.TLSVersion.TLSv1_2)
        first = self.raw(server, ctx)
        self.assertEqual(first.command("PING"), b"PONG")
        again = self.raw(server, ctx, session=first.sock.session)
        self.assertFalse(again.sock.session_reused)
        self.assertEqual(again.command("PING"), b"PONG")

    def test_config_get_tls_directives(self):
        settings = {
            "tls-protocols": "TLSv1.2 TLSv1.3",
            "tls-ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
            "tls-ciphersuites": "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
            "tls-prefer-server-ciphers": "yes",
            "tls-session-caching": "no",
            "tls-session-cache-size": "1000",
            "tls-session-cache-timeout": "60",
            "tls-dh-params-file": CERTS.dh_params,
            "tls-ca-cert-dir": CERTS.ca_dir,
        }
        extra = []
        for name, setting in settings.items():
            extra += ["--" + name, setting]
        server = self.start(*extra, auth="optional")
        expected = dict(settings)
        expected.update({"tls-port": str(server.tls_port), "tls-cert-file": CERTS.server_crt,
                         "tls-key-file": CERTS.server_key, "tls-ca-cert-file": CERTS.ca_crt,
                         "tls-auth-clients": "optional", "tls-key-file-pass": ""})
        r = self.client(server, decode_responses=True)
        got = r.config_get("tls-*")
        self.assertEqual({name: got.get(name) for name in expected}, expected)
        for name, setting in expected.items():
            self.assertEqual(r.config_get(name), {name: setting})

        changed = {"tls-session-cache-size": "2000", "tls-session-cache-timeout": "120",
                   "tls-session-caching": "yes", "tls-prefer-server-ciphers": "no",
                   "tls-protocols": "TLSv1.3", "tls-auth-clients": "no"}
        for name, setting in changed.items():
            self.assertTrue(r.config_set(name, setting), name)
        expected.update(changed)
        got = r.config_get("tls-*")
        self.assertEqual({name: got.get(name) for name in expected}, expected)
        self.assertEqual(self.assertServes(server, client_context(cert=False)).sock.version(),
                         "TLSv1.3")
        self.assertTrue(r.ping())

    # ---- INFO ----

    def test_info_tls_counters(self):
        if ringside_server.target_is_redis():
            self.skipTest("the INFO TLS fields are ringside's")
        server = self.start(auth="yes")
        plain = self.plain(server)

        def counters():
            info = plain.info()
            return (info["total_tls_connections_received"], info["tls_handshake_failures"],
                    info["tls_connected_clients"])

        def await_counters(want):
            deadline = time.monotonic() + COUNTER_DEADLINE
            while counters() != want and time.monotonic() < deadline:
                select.select([], [], [], 0.05)
            self.assertEqual(counters(), want)

        # The readiness probe's connection has closed; its handshake succeeded.
        received, failures, _ = counters()
        await_counters((received, failures, 0))
        held = [self.assertServes(server) for _ in range(2)]
        await_counters((received + 2, failures, 2))
        self.assertRefused(server, client_context(cert=False))
        with socket.create_connection(("127.0.0.1", server.tls_port), timeout=10) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            self.assertTrue(closed_by_server(s, time.monotonic() + GARBAGE_CLOSE_DEADLINE)[0])
        # Every connection accepted on tls-port is received; the two refused ones failed.
        await_counters((received + 4, failures + 2, 2))
        self.assertGreaterEqual(plain.info("clients")["connected_clients"], 3)
        for resp in held:
            resp.sock.close()
        await_counters((received + 4, failures + 2, 0))

    # ---- node-redis ----

    def test_node_redis(self):
        node = shutil.which("node")
        if not node or not os.path.isdir(os.path.join(NODE_DIR, "node_modules")):
            self.skipTest("node or tests/clients/node/node_modules (npm ci) missing")
        server = self.start(auth="yes")
        env = dict(os.environ,
                   REDIS_URL="rediss://127.0.0.1:%d/0" % server.tls_port,
                   REDIS_TLS_CA=CERTS.ca_crt, REDIS_TLS_CERT=CERTS.client_crt,
                   REDIS_TLS_KEY=CERTS.client_key, REDIS_TLS_OTHER_CA=CERTS.other_ca_crt)
        proc = subprocess.run([node, "tls.mjs"], cwd=NODE_DIR, env=env, capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("node-redis TLS: all checks passed", proc.stdout)


if __name__ == "__main__":
    ARGS = ringside_server.parse_args(sys.argv[1:])
    program = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)
