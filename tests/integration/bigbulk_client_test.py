"""python3-redis with big values (the BigBulk ingest path): SET/GET/MSET/MGET of 16 KiB to
2 MiB values through pipelines, on keys of every shard, read back byte for byte."""

import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ringside_server  # noqa: E402

redis = ringside_server.import_redis_or_skip()

ARGS = None

# Around the default bigbulk-threshold (16kb) and bigbulk-direct-read (32kb), and well past.
SIZES = [16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 32 * 1024, 100 * 1024, 512 * 1024 + 7,
         1024 * 1024, 2 * 1024 * 1024]


def value(size, seed):
    return random.Random(seed).randbytes(size)


class BigBulkClientTest(unittest.TestCase):
    def setUp(self):
        self.server = ringside_server.Server(ARGS.binary, ["--threads", "4"]).__enter__()
        self.addCleanup(self.check_clean_exit)
        self.r = redis.Redis(host="127.0.0.1", port=self.server.port, socket_timeout=30)
        self.addCleanup(self.r.close)

    def check_clean_exit(self):
        code = self.server.stop()
        self.assertEqual(code, 0, "server exit status %s; output:\n%s" %
                         (code, self.server.output()))

    def assertSameBytes(self, got, expected, what):
        problem = ringside_server.byte_mismatch(got, expected, what)
        if problem:
            self.fail(problem)

    def test_pipelined_set_get(self):
        values = {("set:%d" % i).encode(): value(size, i) for i, size in enumerate(SIZES * 2)}
        pipe = self.r.pipeline(transaction=False)
        for key, v in values.items():
            pipe.set(key, v)
            pipe.strlen(key)
        results = pipe.execute()
        for i, (key, v) in enumerate(values.items()):
            self.assertEqual(results[2 * i:2 * i + 2], [True, len(v)], key)
        pipe = self.r.pipeline(transaction=False)
        for key in values:
            pipe.get(key)
        for (key, v), got in zip(values.items(), pipe.execute()):
            self.assertSameBytes(got, v, "GET %s" % key.decode())

    def test_pipelined_mset_mget(self):
        batches = []
        for b in range(3):
            batches.append({("m%d:%d" % (b, i)).encode(): value(size, 1000 * b + i)
                            for i, size in enumerate(random.Random(b).sample(SIZES, 5))})
        pipe = self.r.pipeline(transaction=False)
        for batch in batches:
            pipe.mset(batch)
            pipe.get(b"small")
            pipe.mget(list(batch))
        results = pipe.execute()
        for b, batch in enumerate(batches):
            self.assertTrue(results[3 * b])
            self.assertIsNone(results[3 * b + 1])
            for (key, v), got in zip(batch.items(), results[3 * b + 2]):
                self.assertSameBytes(got, v, "MGET %s" % key.decode())
        for batch in batches:
            for key, v in batch.items():
                self.assertSameBytes(self.r.get(key), v, "GET %s" % key.decode())

    def test_big_values_take_the_bigbulk_path(self):
        if ringside_server.target_is_redis():
            self.skipTest("INFO bigbulk is ringside's")
        pipe = self.r.pipeline(transaction=False)
        for i in range(8):
            pipe.set("p%d" % i, value(1024 * 1024, i))
        self.assertEqual(pipe.execute(), [True] * 8)
        info = self.r.info("bigbulk")
        self.assertGreater(info.get("bigbulk_promotions", 0), 0, info)
        for i in range(8):
            self.assertSameBytes(self.r.get("p%d" % i), value(1024 * 1024, i), "GET p%d" % i)


if __name__ == "__main__":
    ARGS = ringside_server.parse_args(sys.argv[1:])
    program = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)
