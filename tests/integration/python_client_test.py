"""python3-redis against the server: strings, keys, pipelines and scan_iter, as an
application would use them."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ringside_server  # noqa: E402

redis = ringside_server.import_redis_or_skip()

ARGS = None


class PythonClientTest(unittest.TestCase):
    def setUp(self):
        self.server = ringside_server.Server(ARGS.binary, ["--threads", "4"]).__enter__()
        self.addCleanup(self.check_clean_exit)
        self.r = redis.Redis(host="127.0.0.1", port=self.server.port, decode_responses=True,
                             socket_timeout=10)
        self.addCleanup(self.r.close)

    def check_clean_exit(self):
        """SIGTERM must end the server with exit status 0 (no crash on the way out)."""
        code = self.server.stop()
        self.assertEqual(code, 0, "server exit status %s; output:\n%s" %
                         (code, self.server.output()))

    def test_strings(self):
        r = self.r
        self.assertTrue(r.ping())
        self.assertTrue(r.set("greeting", "hello"))
        self.assertEqual(r.get("greeting"), "hello")
        self.assertIsNone(r.get("missing"))
        self.assertIsNone(r.set("greeting", "x", nx=True))
        self.assertTrue(r.set("greeting", "hi", xx=True, ex=100))
        self.assertTrue(95 <= r.ttl("greeting") <= 100)
        self.assertEqual(r.set("greeting", "hey", get=True), "hi")
        self.assertEqual(r.append("greeting", "!"), 4)
        self.assertEqual(r.strlen("greeting"), 4)
        self.assertEqual(r.getrange("greeting", 0, 1), "he")
        self.assertEqual(r.setrange("greeting", 1, "ol"), 4)
        self.assertEqual(r.get("greeting"), "hol!")
        self.assertEqual(r.incr("counter"), 1)
        self.assertEqual(r.incrby("counter", 41), 42)
        self.assertEqual(r.decr("counter"), 41)
        self.assertEqual(r.decrby("counter", 40), 1)
        self.assertAlmostEqual(r.incrbyfloat("float", 2.5), 2.5)
        self.assertTrue(r.mset({"a": "1", "b": "2", "c": "3"}))
        self.assertEqual(r.mget(["a", "b", "nope", "c"]), ["1", "2", None, "3"])
        self.assertFalse(r.msetnx({"a": "9", "d": "4"}))
        self.assertTrue(r.msetnx({"d": "4", "e": "5"}))
        self.assertEqual(r.getset("d", "44"), "4")
        self.assertEqual(r.getdel("d"), "44")
        self.assertEqual(r.getex("e", px=100000), "5")
        self.assertTrue(r.pttl("e") > 90000)
        self.assertTrue(r.setex("tmp", 100, "v"))
        self.assertTrue(r.psetex("ptmp", 100000, "v"))
        self.assertTrue(r.setnx("fresh", "v"))
        self.assertFalse(r.setnx("fresh", "w"))
        with self.assertRaises(redis.ResponseError) as ctx:
            r.incr("greeting")
        self.assertIn("not an integer", str(ctx.exception))
        binary = redis.Redis(host="127.0.0.1", port=self.server.port)
        blob = bytes(range(256)) * 100
        self.assertTrue(binary.set(b"bin\x00key", blob))
        self.assertEqual(binary.get(b"bin\x00key"), blob)
        binary.close()

    def test_keys(self):
        r = self.r
        r.mset({"k1": "a", "k2": "b", "k3": "c"})
        self.assertEqual(r.exists("k1", "k2", "nope"), 2)
        self.assertEqual(r.type("k1"), "string")
        self.assertEqual(r.type("nope"), "none")
        self.assertEqual(r.touch("k1", "nope"), 1)
        self.assertTrue(r.rename("k1", "k1renamed"))
        self.assertFalse(r.renamenx("k2", "k3"))
        self.assertTrue(r.expire("k2", 100))
        self.assertTrue(r.expire("k2", 200, gt=True))
        self.assertFalse(r.expire("k2", 50, gt=True))
        self.assertTrue(r.pexpire("k3", 100000))
        now = int(time.time())
        self.assertTrue(r.expireat("k1renamed", now + 1000))
        self.assertEqual(r.expiretime("k1renamed"), now + 1000)
        self.assertTrue(r.persist("k1renamed"))
        self.assertEqual(r.ttl("k1renamed"), -1)
        self.assertEqual(sorted(r.keys("k*")), ["k1renamed", "k2", "k3"])
        self.assertIn(r.randomkey(), {"k1renamed", "k2", "k3"})
        self.assertEqual(r.dbsize(), 3)
        self.assertEqual(r.delete("k2", "k3", "nope"), 2)
        self.assertEqual(r.unlink("k1renamed"), 1)
        self.assertEqual(r.dbsize(), 0)

    def test_pipeline(self):
        r = self.r
        pipe = r.pipeline(transaction=False)
        for i in range(500):
            pipe.set("p%d" % i, i)
            pipe.incr("p%d" % i)
            pipe.get("p%d" % i)
        results = pipe.execute()
        for i in range(500):
            self.assertEqual(results[3 * i:3 * i + 3], [True, i + 1, str(i + 1)])
        pipe = r.pipeline(transaction=False)
        pipe.mget(["p%d" % i for i in range(500)])
        pipe.delete(*["p%d" % i for i in range(0, 500, 2)])
        pipe.dbsize()
        mget, deleted, size = pipe.execute()
        self.assertEqual(mget, [str(i + 1) for i in range(500)])
        self.assertEqual(deleted, 250)
        self.assertEqual(size, 250)

    def test_scan_iter(self):
        r = self.r
        expected = set()
        pipe = r.pipeline(transaction=False)
        for i in range(3000):
            key = ("user:%d" if i % 3 == 0 else "item:%d") % i
            pipe.set(key, "v")
            if i % 3 == 0:
                expected.add(key)
        pipe.execute()
        self.assertEqual(set(r.scan_iter(match="user:*", count=50)), expected)
        self.assertEqual(len(set(r.scan_iter(count=100))), 3000)
        self.assertEqual(len(set(r.scan_iter(_type="string"))), 3000)

    def test_server_commands(self):
        r = self.r
        info = r.info()
        for field in ("connected_clients", "used_memory", "total_commands_processed"):
            self.assertIn(field, info)
        self.assertIn("keyspace_hits", r.info("stats"))
        self.assertTrue(r.client_setname("py"))
        self.assertEqual(r.client_getname(), "py")
        self.assertIsInstance(r.client_id(), int)
        self.assertTrue(any(c.get("name") == "py" for c in r.client_list()))
        seconds, micros = r.time()
        self.assertLess(abs(seconds - time.time()), 5)
        self.assertEqual(r.config_get("maxclients"), {"maxclients": "10000"})
        self.assertTrue(r.config_set("timeout", 100))
        self.assertEqual(r.echo("hi"), "hi")
        db1 = redis.Redis(host="127.0.0.1", port=self.server.port, db=1, decode_responses=True)
        db1.set("only-in-1", "v")
        self.assertIsNone(r.get("only-in-1"))
        self.assertEqual(db1.dbsize(), 1)
        db1.close()
        self.assertTrue(r.flushall(asynchronous=True))
        self.assertEqual(r.dbsize(), 0)


if __name__ == "__main__":
    ARGS = ringside_server.parse_args(sys.argv[1:])
    program = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)
