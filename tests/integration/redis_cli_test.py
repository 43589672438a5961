"""redis-cli against the server: commands piped on stdin, one-shot commands, --pipe mass
insertion, and the formatted output a user sees."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ringside_server  # noqa: E402

ARGS = None


class RedisCliTest(unittest.TestCase):
    def setUp(self):
        self.server = ringside_server.Server(ARGS.binary, ["--threads", "2"]).__enter__()
        self.addCleanup(self.check_clean_exit)

    def check_clean_exit(self):
        """SIGTERM must end the server with exit status 0 (no crash on the way out)."""
        code = self.server.stop()
        self.assertEqual(code, 0, "server exit status %s; output:\n%s" %
                         (code, self.server.output()))

    def cli(self, *args, stdin=None):
        proc = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.server.port)] +
                              list(args), input=stdin, capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def test_piped_commands(self):
        script = "\n".join([
            "SET greeting hello",
            "GET greeting",
            "APPEND greeting ' world'",
            "GET greeting",
            "INCR visits",
            "INCRBY visits 9",
            "MSET a 1 b 2",
            "MGET a b nope",
            "EXISTS a b nope",
            "DEL a",
            "GET nope",
            "TYPE greeting",
            "NOSUCHCOMMAND x",
            "DBSIZE",
        ]) + "\n"
        expected = "\n".join([
            "OK",
            "hello",
            "11",
            "hello world",
            "1",
            "10",
            "OK",
            "1", "2", "",
            "2",
            "1",
            "",
            "string",
            # In raw mode redis-cli follows an error with an empty line.
            "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ", "",
            "3",
        ]) + "\n"
        self.assertEqual(self.cli(stdin=script), expected)

    def test_one_shot_and_formatted_output(self):
        self.assertEqual(self.cli("PING"), "PONG\n")
        self.assertEqual(self.cli("SET", "k", "v", "EX", "100"), "OK\n")
        self.assertEqual(self.cli("--no-raw", "GET", "k"), '"v"\n')
        self.assertEqual(self.cli("--no-raw", "GET", "missing"), "(nil)\n")
        self.assertEqual(self.cli("--no-raw", "EXISTS", "k"), "(integer) 1\n")
        self.assertEqual(self.cli("--no-raw", "MGET", "k", "missing"), '1) "v"\n2) (nil)\n')
        self.assertEqual(self.cli("--no-raw", "INCR", "k"),
                         "(error) ERR value is not an integer or out of range\n")
        self.assertEqual(self.cli("-n", "3", "SET", "in3", "x"), "OK\n")
        self.assertEqual(self.cli("-n", "3", "DBSIZE"), "1\n")
        self.assertEqual(self.cli("DBSIZE"), "1\n")
        info = self.cli("INFO", "keyspace")
        self.assertIn("db0:keys=1,expires=1", info)
        self.assertIn("db3:keys=1,expires=0", info)

    def test_mass_insertion_with_pipe(self):
        lines = []
        for i in range(10000):
            key, value = "mass:%d" % i, "value-%d" % i
            lines.append("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" %
                         (len(key), key, len(value), value))
        out = self.cli("--pipe", stdin="".join(lines))
        self.assertIn("errors: 0, replies: 10000", out)
        self.assertEqual(self.cli("DBSIZE"), "10000\n")
        self.assertEqual(self.cli("GET", "mass:9999"), "value-9999\n")

    def test_scan_and_keys_helpers(self):
        self.cli(stdin="".join("SET scan:%d v\n" % i for i in range(300)))
        keys = self.cli("--scan", "--pattern", "scan:*").split()
        self.assertEqual(sorted(keys), sorted("scan:%d" % i for i in range(300)))
        self.assertEqual(len(self.cli("KEYS", "scan:1*").split()), 111)


if __name__ == "__main__":
    ARGS = ringside_server.parse_args(sys.argv[1:])
    program = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)
