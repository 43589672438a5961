"""redis-benchmark against the server with two and four threads: every run completes without
errors, reports throughput for each test, and leaves data behind."""

import os
import re
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ringside_server  # noqa: E402

ARGS = None
TESTS = ["SET", "GET", "INCR", "MSET (10 keys)"]


def command(port, *argv):
    """One command over a plain socket; returns the raw reply line."""
    payload = "*%d\r\n" % len(argv) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in argv)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(payload.encode())
        return s.recv(4096).decode()


class BenchmarkTest(unittest.TestCase):
    def run_benchmark(self, threads):
        with ringside_server.Server(ARGS.binary, ["--threads", str(threads)]) as server:
            proc = subprocess.run(
                ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port),
                 "-t", "set,get,incr,mset", "-P", "16", "-c", "50", "-n", "20000", "-q"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=150)
            output = proc.stdout + proc.stderr
            self.assertEqual(proc.returncode, 0, output)
            for test in TESTS:
                match = re.search(re.escape(test) + r": ([0-9.]+) requests per second", output)
                self.assertIsNotNone(match, "no result for %s:\n%s" % (test, output))
                self.assertGreater(float(match.group(1)), 0)
            self.assertNotIn("ERR", output)
            self.assertNotIn("rror", output)
            print("threads %d:\n%s" % (threads, output.strip()))
            dbsize = command(server.port, "DBSIZE")
            self.assertRegex(dbsize, r"^:[0-9]+\r\n$")
            self.assertGreater(int(dbsize[1:]), 0)
            counter = command(server.port, "GET", "counter:__rand_int__")
            # INCR ran 20,000 times on one key (no -r): the counter holds exactly that.
            self.assertEqual(counter, "$5\r\n20000\r\n")
            self.assertEqual(command(server.port, "PING"), "+PONG\r\n")
            self.assertEqual(server.stop(), 0, server.output())

    def test_two_threads(self):
        self.run_benchmark(2)

    def test_four_threads(self):
        self.run_benchmark(4)


if __name__ == "__main__":
    ARGS = ringside_server.parse_args(sys.argv[1:])
    program = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)
