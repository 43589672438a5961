"""The workloads, how redis-benchmark runs them, and the checks that prove writes landed.

A Group is a write phase and the read phase that follows it over the same keys (SET then GET,
MSET then MGET; a write-only group has no read phase), run against one target between two
FLUSHALLs. Keys are random over a fixed
keyspace of `keyspace` keys (`-r`); the keyspace is a tenth of the keys written, so after the
write phase every key is present except with negligible probability, and DBSIZE tells whether
writes were lost. The read-back then checks every key's name and length and a sample's whole
value. redis-benchmark writes the same value to every key, which a value mixed up with another
key's would match, so before each write phase the harness's own integrity check writes random
values around the group's size, sent in pieces, and reads them back byte for byte.
"""

import csv
import math
import random
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
# Keys whose whole value the read-back compares after each write phase (it checks the length
# of every key).
SAMPLE_KEYS = 20
# Commands per pipelined batch of the read-back, and keys per SCAN call.
BATCH = 1000
KEY_PATTERN = re.compile(rb"^key:(\d{12})$")
# Values the integrity check writes and reads back per group, and its keys' prefix.
CHECK_VALUES = 6
CHECK_KEY = "bench:check:"


# A collection group's commands: the write, then the reads, for each kind.
COLLECTION_COMMANDS = {
    "hash": ("HSET", ("HGET", "HGETALL")),
    "set": ("SADD", ("SISMEMBER", "SMEMBERS")),
}


@dataclass(frozen=True)
class Group:
    name: str           # as shown in the table: "32 B", "1 KiB -P 16", "10 keys × 32 B"
    value_size: int
    pipeline: int
    keys_per_command: int
    counts: dict        # mode -> commands per phase (-n)
    reads: bool = True  # False: the write phase only
    # "string", or "hash" / "set": each key a collection of `items` fields (of value_size
    # bytes) or members, written by one command.
    kind: str = "string"
    items: int = 0

    @property
    def multi(self):
        return self.keys_per_command > 1

    @property
    def collection(self):
        return self.kind != "string"

    def phases(self):
        """The write phase, then (if reads) the read phases."""
        if self.collection:
            write, reads = COLLECTION_COMMANDS[self.kind]
        else:
            write, read = ("MSET", "MGET") if self.multi else ("SET", "GET")
            reads = (read,)
        return [Phase(self, write, True)] + ([Phase(self, r, False) for r in reads]
                                             if self.reads else [])

    def field(self, i):
        """The name of a collection's i-th field or member (0-based)."""
        return f"{'field' if self.kind == 'hash' else 'member'}:{i}"

    def written_items(self):
        """What each key of a collection group holds after the write phase: a hash's
        {field: value}, a set's members."""
        if self.kind == "hash":
            return {self.field(i).encode(): b"v" * self.value_size for i in range(self.items)}
        return {self.field(i).encode() for i in range(self.items)}

    def requests(self, mode, scale):
        return max(1, int(self.counts[mode] * scale))

    def keyspace(self, mode, scale):
        return max(1, self.requests(mode, scale) * self.keys_per_command // COVERAGE)

    def written_value(self):
        """The value every key holds after the write phase: the custom MSET carries the 'v's
        of load_args; redis-benchmark's built-in SET test, the -d bytes it generates."""
        return b"v" * self.value_size if self.multi else benchmark_data(self.value_size)


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
        if g.collection:
            # Custom commands over key:__rand_int__, one collection per key.
            args = [self.command, "key:__rand_int__"]
            if self.command == "HSET":
                for i in range(g.items):
                    args += [g.field(i), "v" * g.value_size]
            elif self.command == "SADD":
                args += [g.field(i) for i in range(g.items)]
            elif self.command in ("HGET", "SISMEMBER"):
                args.append(g.field(g.items // 2))
            return args
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
        if g.collection:
            return [a.replace("key:__rand_int__", "bench:probe:0") for a in self.load_args()]
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
    Group("10 fields", 16, 1, 1, {"smoke": 500, "quick": 40000, "full": 200000},
          kind="hash", items=10),
    Group("10 fields -P 16", 16, 16, 1, {"smoke": 2000, "quick": 400000, "full": 2000000},
          kind="hash", items=10),
    Group("10 members", 0, 1, 1, {"smoke": 500, "quick": 40000, "full": 200000},
          kind="set", items=10),
    Group("10 members -P 16", 0, 16, 1, {"smoke": 2000, "quick": 400000, "full": 2000000},
          kind="set", items=10),
]


_benchmark_data = bytearray()   # the longest value generated so far; shorter ones are prefixes


def benchmark_data(size):
    """The value of redis-benchmark's built-in tests for -d size: since 7.0 (its
    genBenchmarkRandomData), each byte is '0' + bits 16-21 of a 32-bit linear congruential
    generator that starts at 1234 in every process, so the same bytes every run. The
    self-check fails if a redis-benchmark writes anything else."""
    data = _benchmark_data
    if len(data) < size:
        data.clear()
        state = 1234
        for _ in range(size):
            state = (state * 1103515245 + 12345) & 0xFFFFFFFF
            data.append(48 + ((state >> 16) & 63))
    return bytes(data[:size])


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
    return argv + list(target.bench_args) + phase.load_args()


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
    """After a write phase, on every store of the target: the key count (DBSIZE), every key's
    name (SCAN) and length (STRLEN), and a sample of whole values (GET).
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
            failure = _check_keys(c, group, keyspace, dbsize, port)
            if failure:
                return dbsize, failure
    return sizes[0], ""


def _check_collections(c, group, keys, port):
    """Every key holds a collection of the group's kind and size; a sample whole."""
    size_cmd, whole_cmd = ("HLEN", "HGETALL") if group.kind == "hash" else ("SCARD", "SMEMBERS")
    for start in range(0, len(keys), BATCH):
        batch = keys[start:start + BATCH]
        for key, n in zip(batch, c.pipeline([(size_cmd, k) for k in batch])):
            if n != group.items:
                return (f"{key.decode()} on port {port} holds {n} items, "
                        f"the workload wrote {group.items}")
    expected = group.written_items()
    for key in keys[::max(1, len(keys) // SAMPLE_KEYS)][:SAMPLE_KEYS]:
        got = c.call(whole_cmd, key)
        if group.kind == "hash":
            got = dict(zip(got[::2], got[1::2])) if isinstance(got, list) else got
        else:
            got = set(got) if isinstance(got, list) else got
        if got != expected:
            return f"{key.decode()} on port {port} holds {got!r:.200}, expected {expected!r:.200}"
    return ""


def _check_keys(c, group, keyspace, dbsize, port):
    keys, cursor = set(), b"0"
    while True:
        cursor, batch = c.call("SCAN", cursor, "COUNT", BATCH)
        keys.update(batch)
        if cursor == b"0":
            break
    if len(keys) != dbsize:
        return f"SCAN on port {port} returned {len(keys)} keys, DBSIZE says {dbsize}"
    keys = sorted(keys)
    for key in keys:
        m = KEY_PATTERN.match(key)
        if not m or int(m.group(1)) >= keyspace:
            return f"unexpected key {key[:60]!r} on port {port}"
    if group.collection:
        return _check_collections(c, group, keys, port)
    for start in range(0, len(keys), BATCH):
        batch = keys[start:start + BATCH]
        for key, length in zip(batch, c.pipeline([("STRLEN", k) for k in batch])):
            if length != group.value_size:
                return (f"{key.decode()} on port {port} holds {length} bytes, "
                        f"the workload wrote {group.value_size}")
    expected = group.written_value()
    for key in keys[::max(1, len(keys) // SAMPLE_KEYS)][:SAMPLE_KEYS]:
        difference = _difference(c.call("GET", key), expected)
        if difference:
            return f"{key.decode()} on port {port}: {difference}"
    return ""


def _difference(got, expected):
    """"" if got == expected, else where they first differ, in words."""
    if got == expected:
        return ""
    if got is None:
        return "the key is gone"
    at = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b),
              min(len(got), len(expected)))
    return (f"holds {len(got)} bytes, {len(expected)} were written; they first differ at byte "
            f"{at} ({got[at:at + 8]!r} instead of {expected[at:at + 8]!r})")


def _collection_integrity_check(target, group, rng, pieces):
    """integrity_check for a collection group: random binary fields and values (members), in
    one pipeline sent in pieces, read back whole."""
    with target.client() as c:
        for i in range(CHECK_VALUES):
            key = f"{CHECK_KEY}{i}"
            items = {rng.randbytes(rng.randint(1, 20)): rng.randbytes(max(1, group.value_size))
                     for _ in range(group.items)}
            if group.kind == "hash":
                c.pipeline([["HSET", key, *[a for kv in items.items() for a in kv]]], pieces)
                got = c.call("HGETALL", key)
                got = dict(zip(got[::2], got[1::2]))
                want = items
            else:
                c.pipeline([["SADD", key, *items.keys()]], pieces)
                got, want = set(c.call("SMEMBERS", key)), set(items.keys())
            if got != want:
                return f"integrity check: {key} (random bytes) reads back different items"
    return ""


def integrity_check(target, group, seed):
    """Writes CHECK_VALUES random values, of the group's value size and one byte either side,
    as one pipeline sent in random pieces with short pauses (so the target sees headers
    whose bodies are still arriving, split at arbitrary bytes), then reads them back and
    compares them byte for byte. Multi-key groups write them with one MSET and read them
    with one MGET. Leaves its keys behind: the caller flushes. Returns failure text or ""."""
    rng = random.Random(seed)
    size = group.value_size
    sizes = [size, max(1, size - 1), size + 1] + [size] * (CHECK_VALUES - 3)
    values = [rng.randbytes(n) for n in sizes]
    keys = [f"{CHECK_KEY}{i}" for i in range(len(values))]
    largest_piece = max(64, sum(sizes) // 12)

    def pieces(data):
        pos = 0
        while pos < len(data):
            n = rng.randint(1, largest_piece)
            yield data[pos:pos + n]
            pos += n
            if rng.random() < 0.5:
                time.sleep(0.001)

    if group.collection:
        return _collection_integrity_check(target, group, rng, pieces)
    with target.client() as c:
        if group.multi:
            c.pipeline([["MSET", *[a for kv in zip(keys, values) for a in kv]]], pieces)
            got = c.call("MGET", *keys)
        else:
            c.pipeline([("SET", k, v) for k, v in zip(keys, values)], pieces)
            got = c.pipeline([("GET", k) for k in keys])
    for key, value, read in zip(keys, values, got):
        difference = _difference(read, value)
        if difference:
            return f"integrity check: {key} (random bytes): {difference}"
    return ""


def info_counters(target):
    """The numeric fields of the target's info_sections, by name ({} if it has none, or if
    the server does not know the section)."""
    counters = {}
    if not target.info_sections:
        return counters
    with target.client() as c:
        for section in target.info_sections:
            text = c.call("INFO", section).decode(errors="replace")
            for line in text.splitlines():
                name, sep, value = line.strip().partition(":")
                if not sep or name.startswith("#"):
                    continue
                try:
                    counters[name] = int(value)
                except ValueError:
                    try:
                        counters[name] = float(value)
                    except ValueError:
                        pass
    return counters


def counter_changes(before, after):
    """What happened between two info_counters readings: the difference of every counter
    present in both; a ratio (a name ending in _per_byte or _ratio, or a fraction) as read
    after, since it summarises the server's whole life, not the interval."""
    changes = {}
    for name, value in after.items():
        if isinstance(value, float) or name.endswith(("_per_byte", "_ratio")):
            changes[name] = value
        elif isinstance(before.get(name), int):
            changes[name] = value - before[name]
    return changes


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
    """Proves on a healthy target that the checks still catch lost writes and wrong values:
    the read-back must pass on what redis-benchmark wrote, then fail once a value has the
    wrong content, once a value has the wrong length, and once keys are deleted; the
    integrity check must pass. Raises RuntimeError if they do not."""
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
            for wrong, what in (("y" * group.value_size, "wrong content"),
                                ("x" * (group.value_size + 1), "the wrong length")):
                c.call("SET", key, wrong)
                _, failure = read_back(target, group, requests, keyspace)
                if not failure:
                    raise RuntimeError(f"read-back self-check: a value of {what} passed")
                c.call("SET", key, group.written_value())
            keys = c.call("SCAN", 0, "COUNT", 100)[1][:5]
            c.call("DEL", *keys)
            _, failure = read_back(target, group, requests, keyspace)
            if not failure:
                raise RuntimeError("read-back self-check: a store missing a key passed")
        flush(target)
        failure = integrity_check(target, group, 0)
        if failure:
            raise RuntimeError(f"read-back self-check: {target.label} failed the {failure}")
    finally:
        flush(target)
