"""The workloads, how redis-benchmark runs them, and the read-back that proves writes landed.

A Group is a write phase and the read phase that follows it over the same keys (SET then GET,
MSET then MGET), run against one target between two FLUSHALLs. Keys are random over a fixed
keyspace of `keyspace` keys (`-r`); the keyspace is a tenth of the keys written, so after the
write phase every key is present except with negligible probability, and DBSIZE tells whether
writes were lost.
"""

import csv
import math
import re
import subprocess
import time
from dataclasses import dataclass

from resp_client import ReplyError
from servers import HOST, format_cpus

KIB = 1024
MIB = 1024 * KIB
# Keys written per key in the keyspace: with k writes over K keys, K·e^(-k/K) keys stay unset.
COVERAGE = 10
# Keys whose length the read-back checks after each write phase.
SAMPLE_KEYS = 20
KEY_PATTERN = re.compile(rb"^key:(\d{12})$")


@dataclass(frozen=True)
class Group:
    name: str           # as shown in the table: "32 B", "1 KiB -P 16", "10 keys × 32 B"
    value_size: int
    pipeline: int
    keys_per_command: int
    counts: dict        # mode -> commands per phase (-n)

    @property
    def multi(self):
        return self.keys_per_command > 1

    def phases(self):
        write, read = ("MSET", "MGET") if self.multi else ("SET", "GET")
        return [Phase(self, write, True), Phase(self, read, False)]

    def requests(self, mode, scale):
        return max(1, int(self.counts[mode] * scale))

    def keyspace(self, mode, scale):
        return max(1, self.requests(mode, scale) * self.keys_per_command // COVERAGE)


@dataclass(frozen=True)
class Phase:
    group: Group
    command: str        # SET, GET, MSET or MGET
    writes: bool

    @property
    def name(self):
        return f"{self.command} {self.group.name}"

    def load_args(self):
        """redis-benchmark arguments that choose the command (everything but host, counts)."""
        g = self.group
        if not g.multi:
            # The built-in tests: key:__rand_int__ and a random value of -d bytes. A 1 MiB value
            # could not be given on the command line anyway (one argv string is at most 128 KiB).
            return ["-t", self.command.lower(), "-d", str(g.value_size)]
        # redis-benchmark has no MGET test, and its MSET test is not ours: custom commands, each
        # __rand_int__ replaced by its own random key number.
        args = [self.command]
        for _ in range(g.keys_per_command):
            args.append("key:__rand_int__")
            if self.writes:
                args.append("v" * g.value_size)
        return args

    def probe_args(self):
        """One command like the workload's, to ask a target whether it supports it at all."""
        g = self.group
        keys = [f"bench:probe:{i}" for i in range(g.keys_per_command)]
        if not self.writes:
            return [self.command, *keys]
        value = "v" * min(g.value_size, 64)
        if g.multi:
            return [self.command, *[a for k in keys for a in (k, value)]]
        return [self.command, keys[0], value]


GROUPS = [
    Group("32 B", 32, 1, 1, {"smoke": 1000, "quick": 50000, "full": 250000}),
    Group("1 KiB", KIB, 1, 1, {"smoke": 500, "quick": 40000, "full": 200000}),
    Group("16 KiB", 16 * KIB, 1, 1, {"smoke": 200, "quick": 25000, "full": 120000}),
    Group("64 KiB", 64 * KIB, 1, 1, {"smoke": 100, "quick": 10000, "full": 50000}),
    Group("1 MiB", MIB, 1, 1, {"smoke": 20, "quick": 1000, "full": 5000}),
    Group("32 B -P 16", 32, 16, 1, {"smoke": 2000, "quick": 500000, "full": 2500000}),
    Group("10 keys × 32 B", 32, 1, 10, {"smoke": 200, "quick": 15000, "full": 80000}),
]


def probe(target, phase):
    """None if the target serves the phase's command, else why not (the cell becomes n/a)."""
    try:
        with target.client() as c:
            c.call(*phase.probe_args())
    except ReplyError as e:
        text = str(e).lower()
        if "unknown command" in text or "unsupported" in text or "not supported" in text:
            return f"{phase.command}: {e}"
    except TimeoutError:
        raise RuntimeError(f"{target.label} did not answer a probing {phase.command}")
    except OSError as e:
        if target.dead() is None:
            return f"{phase.command}: connection closed ({e})"
        raise
    return None


@dataclass
class Result:
    ops: float = 0.0        # requests per second as redis-benchmark reports them
    p50: float = 0.0        # milliseconds
    p99: float = 0.0
    cpu: float = 0.0        # server CPU seconds spent during the phase
    seconds: float = 0.0    # wall time of the redis-benchmark process
    failure: str = ""       # non-empty: the phase FAILED, and why


def benchmark_argv(target, phase, requests, keyspace, clients, bench_threads, cpus):
    argv = ["taskset", "-c", format_cpus(cpus)] if cpus else []
    argv += ["redis-benchmark", "-h", HOST, "-p", str(target.port), "-c", str(clients),
             "-n", str(requests), "-r", str(keyspace), "-P", str(phase.group.pipeline), "--csv"]
    if bench_threads:
        argv += ["--threads", str(bench_threads)]
    return argv + phase.load_args()


def run_phase(target, argv, requests, timeout):
    """Runs one redis-benchmark process against the target, with the target's CPU time read
    around it. redis-benchmark spins forever when its server vanishes, so the target's
    processes are watched while it runs."""
    result = Result()
    cpu_before = target.cpu_seconds()
    start = time.monotonic()
    bench = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        while True:
            try:
                stdout, stderr = bench.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            dead = target.dead()
            if dead or time.monotonic() - start > timeout:
                result.failure = dead or f"redis-benchmark did not finish within {timeout:.0f} s"
                return result
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.communicate()
    result.seconds = time.monotonic() - start
    dead = target.dead()
    if dead:
        result.failure = dead
        return result
    result.cpu = target.cpu_seconds() - cpu_before
    if bench.returncode != 0:
        last = (stderr.strip() or stdout.strip()).splitlines()[-3:]
        result.failure = f"redis-benchmark exited with {bench.returncode}: " + " / ".join(last)
        return result
    try:
        result.ops, result.p50, result.p99 = parse_csv(stdout)
    except ValueError as e:
        result.failure = f"cannot read redis-benchmark's output ({e}): {stdout[-300:]!r}"
    if not math.isfinite(result.ops):
        # redis-benchmark prints "inf" when the phase took under its 1 ms clock; only tiny
        # smoke counts get there, and the process's wall time is the better bound then.
        result.ops = requests / max(result.seconds, 1e-3)
    return result


def parse_csv(text):
    """(rps, p50 ms, p99 ms) from redis-benchmark 7's --csv output for a single test."""
    rows = [r for r in csv.reader(text.splitlines()) if r]
    if len(rows) < 2 or rows[0][:2] != ["test", "rps"]:
        raise ValueError("no CSV header")
    header = rows[0]
    need = ["rps", "p50_latency_ms", "p99_latency_ms"]
    missing = [n for n in need if n not in header]
    if missing:
        raise ValueError(f"CSV lacks {missing} (redis-benchmark older than 7.0?)")
    row = rows[1]
    return tuple(float(row[header.index(n)]) for n in need)


def _expected_floor(keyspace, writes):
    """Fewest distinct keys that `writes` uniform random writes over `keyspace` keys leave,
    short of a one-in-a-billion fluke. The count of never-written keys is bounded by a Poisson
    variable of mean `missing`; its tail gives the allowance."""
    missing = keyspace * (1.0 - 1.0 / keyspace) ** writes
    if missing > 50:
        return max(0, math.floor(keyspace - missing - 6.0 * math.sqrt(missing)))
    allowance, term = 0, math.exp(-missing)
    below = term    # P(Poisson(missing) <= allowance)
    while 1.0 - below >= 1e-9 and allowance < keyspace:
        allowance += 1
        term *= missing / allowance
        below += term
    return keyspace - allowance


def read_back(target, group, requests, keyspace):
    """After a write phase: key count and sampled value lengths on every store of the target.
    Returns (dbsize, failure text or "")."""
    floor = _expected_floor(keyspace, requests * group.keys_per_command)
    sizes = []
    for port in target.store_ports:
        with target.store_client(port) as c:
            dbsize = c.call("DBSIZE")
            sizes.append(dbsize)
            where = f"DBSIZE on port {port}"
            if dbsize > keyspace:
                return dbsize, f"{where} is {dbsize}, more than the {keyspace} keys written to"
            if dbsize < floor:
                return dbsize, (f"lost writes: {where} is {dbsize}, expected at least {floor} "
                                f"of {keyspace} keys after {requests} commands")
            failure = _check_sample(c, group, keyspace, port)
            if failure:
                return dbsize, failure
    return sizes[0], ""


def _check_sample(c, group, keyspace, port):
    keys, cursor = [], b"0"
    for _ in range(200):
        cursor, batch = c.call("SCAN", cursor, "COUNT", SAMPLE_KEYS)
        keys += batch
        if len(keys) >= SAMPLE_KEYS or cursor == b"0":
            break
    if not keys:
        return f"SCAN on port {port} returned no keys although DBSIZE is not 0"
    for key in keys[:SAMPLE_KEYS]:
        m = KEY_PATTERN.match(key)
        if not m or int(m.group(1)) >= keyspace:
            return f"unexpected key {key[:60]!r} on port {port}"
        length = c.call("STRLEN", key)
        if length != group.value_size:
            return (f"{key.decode()} on port {port} holds {length} bytes, "
                    f"the workload wrote {group.value_size}")
    return ""


def dbsize_unchanged(target, before):
    """After a read phase: the store still holds what the write phase left."""
    with target.store_client(target.store_ports[0]) as c:
        now = c.call("DBSIZE")
    if now != before:
        return f"DBSIZE changed from {before} to {now} during a read-only phase"
    return ""


def flush(target):
    for port in target.store_ports:
        with target.store_client(port) as c:
            c.call("FLUSHALL")
            left = c.call("DBSIZE")
        if left != 0:
            raise RuntimeError(f"{target.label}: DBSIZE on port {port} is {left} after FLUSHALL")


def self_check(target, cpus):
    """Proves on a healthy target that the read-back still catches lost writes and wrong
    values: it must pass on what redis-benchmark wrote, then fail once keys are deleted, and
    fail once a value has the wrong length. Raises RuntimeError if it does not."""
    group = GROUPS[0]
    requests, keyspace = 400, 20   # every key of so small a keyspace is in the sample
    write = group.phases()[0]
    flush(target)
    try:
        argv = benchmark_argv(target, write, requests, keyspace, 10, None, cpus)
        res = run_phase(target, argv, requests, 60)
        if res.failure:
            raise RuntimeError(f"read-back self-check: loading failed: {res.failure}")
        _, failure = read_back(target, group, requests, keyspace)
        if failure:
            raise RuntimeError(f"read-back self-check: complete data judged bad: {failure}")
        with target.store_client(target.store_ports[0]) as c:
            key = c.call("SCAN", 0, "COUNT", 100)[1][0]
            c.call("SET", key, "x" * (group.value_size + 1))
            _, failure = read_back(target, group, requests, keyspace)
            if not failure:
                raise RuntimeError("read-back self-check: a value of the wrong length passed")
            keys = c.call("SCAN", 0, "COUNT", 100)[1][:5]
            c.call("DEL", *keys)
            _, failure = read_back(target, group, requests, keyspace)
            if not failure:
                raise RuntimeError("read-back self-check: a store missing a key passed")
    finally:
        flush(target)
