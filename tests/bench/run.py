#!/usr/bin/env python3
"""ringside's benchmark: ringside against redis-server and a plain proxy, side by side.

Usage (from the repository root, after building ringside):

    tests/bench/run.py --quick     # under 3 minutes: 5 rounds, moderate counts
    tests/bench/run.py --full      # 7 rounds, five times the counts (about 10 minutes)
    tests/bench/run.py --smoke     # tiny counts, checks the plumbing only (CTest: bench_smoke)
    tests/bench/run.py --quick --bigbulk   # the BigBulk set instead (about 3 minutes)
    tests/bench/run.py --quick --sets persistence   # AOF on, per fsync policy (1 to 3 minutes)
    tests/bench/run.py --quick --sets connections   # RESP3 and an ACL user (about 2 minutes)
    tests/bench/run.py --quick --sets tls           # TLS for clients and to the upstream

Options: --out DIR (default tests/bench/results), --ringside PATH (default build/ringside,
then build-test/ringside), --rounds N, --scale F (multiplies every request count),
--server-cpus LIST and --client-cpus LIST (taskset CPU lists; default: servers on the first
CPU, redis-benchmark on the others), --ringside-threads N (default: as many as server CPUs),
--no-pin, --clients N (default 50), --bench-threads N (redis-benchmark --threads),
--no-upstream (leaves out the two targets of ringside in front of redis-server),
--sets LIST (standard, bigbulk, persistence, connections, tls, comma-separated; default standard,
and all of them for --smoke), --bigbulk (the same as --sets bigbulk). Run with --help for the full list.

What it does. It starts, on free loopback ports, and always stops again (also on Ctrl-C or an
error): redis-server (the reference, no persistence), ringside standalone on each I/O backend
(io_uring and libevent; a ringside found serving on another backend than asked stops the run),
ringside in front of a redis-server upstream under each write policy (async and sync, each
with its own redis-server), and nutcracker (twemproxy) in front of its own redis-server.
redis-benchmark then runs every workload -- SET then GET of 32 B, 1 KiB, 16 KiB, 64 KiB and
1 MiB values at -c 50 -P 1, 32 B at -P 16, MSET then MGET of 10 keys, HSET then HGET and
HGETALL of hashes of 10 fields and SADD then SISMEMBER and SMEMBERS of sets of 10 members at
-P 1 and -P 16 -- with random keys over a fixed keyspace (-r), against the targets in turn (A B C A B C ...) for several rounds. Every
write phase is checked twice: before it, an integrity check writes random values of the
workload's size (and one byte either side) in pieces and reads them back byte for byte; after
it, the stores are read back (DBSIZE against what the keyspace and request count imply, every
key's name and STRLEN (HLEN, SCARD), and a sample's whole value against what redis-benchmark
wrote). A
target that lost or garbled writes is FAILED, not a number. Server CPU time (utime+stime from
/proc/PID/stat; for a proxy, the proxy plus its redis-server) is read around every phase.

The BigBulk set (bigbulk.py; --bigbulk) runs on servers of its own: redis-server, ringside with
BigBulk ingest at its defaults and ringside with `--bigbulk-threshold 0`, SET then GET of
16 KiB, 64 KiB, 256 KiB and 1 MiB values, with the same interleaving and checks, and records
the change of ringside's INFO bigbulk counters over every phase.

The persistence set (persistence.py; --sets persistence) runs on servers of its own too:
redis-server and ringside without an append-only file, and both with `--appendonly yes
--appendfsync P` for P in always, everysec and no, each server with a fresh --dir; SET of
32 B, 1 KiB and 16 KiB values and 32 B at -P 16, with the same interleaving and checks; after
every SET phase INFO persistence must show the AOF on, its last write ok and bytes in it, and
after the last round one more SET must make every AOF grow. The fsync always pair runs a
quarter of the requests.

The connections set (connections.py; --sets connections): one redis-server and one ringside,
each loaded as the default user over RESP2, over RESP3 (redis-benchmark -3) and as an ACL user
with key patterns (--user), SET then GET of 32 B at -P 1 and -P 16, same checks.

The TLS set (tls.py; --sets tls): redis-server and ringside each measured over a plain and a
TLS port (redis-benchmark --tls), and ringside in front of a redis-server with the link over
TLS and in plaintext; SET then GET of 32 B at -P 1 and -P 16 and of 16 KiB, same checks.

Output, in the --out folder, named after the mode: MODE.md (machine, exact command, pinning,
and the table of medians: ops/s, p50, p99, ratio to redis-server from the same run, server CPU
seconds per 100k operations), MODE.png (gnuplot chart) and MODE-runs.csv (every run); the
BigBulk set writes MODE-bigbulk.md (ops/s and ratios for all three targets in one row, server
CPU per GB, bytes ringside copied per value byte, INFO bigbulk per SET), MODE-bigbulk.png and
MODE-bigbulk-runs.csv (every run, with every INFO bigbulk counter's change); the persistence
set, MODE-persistence.md (a row per workload and AOF setting: ops/s of redis-server and
ringside, their ratio, each against itself without an AOF, p50, p99, server CPU per 100k SETs,
AOF bytes per SET, and the AOF state after the last round), MODE-persistence.png and
MODE-persistence-runs.csv (every run, with every INFO persistence counter's change).
Exit status: 0 all good; 1 a target FAILED or an output is missing; 2 bad setup (a tool is
missing: the message says which Debian package to install); 130 interrupted.

Needs: Debian packages redis-server and redis-tools (7.0 or later), nutcracker, gnuplot-nox
(or gnuplot), util-linux (taskset); Python 3 standard library only.
"""

import argparse
import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source folder free of __pycache__

import bigbulk  # noqa: E402
import connections  # noqa: E402
import tls  # noqa: E402
import machine  # noqa: E402
import persistence  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402
import workloads  # noqa: E402
from report import FAILED, NA, OK, Run  # noqa: E402
from resp_client import ReplyError  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODES = {"smoke": 2, "quick": 5, "full": 7}   # mode -> default rounds
TOOLS = {  # program -> Debian package that provides it
    "redis-server": "redis-server", "redis-benchmark": "redis-tools",
    "nutcracker": "nutcracker", "gnuplot": "gnuplot-nox", "taskset": "util-linux",
}
# How ringside is told about its upstream; the run refuses to start when `ringside --help`
# does not list it.
UPSTREAM_DIRECTIVE = "upstream"
UPSTREAM_POLICIES = ("async", "sync")


@dataclasses.dataclass(frozen=True)
class Suite:
    """A set of workloads with its own targets and outputs."""
    name: str           # as --sets spells it
    title: str          # the table's heading
    suffix: str         # of the output files: MODE{suffix}.md
    groups: list
    servers_text: str   # which processes share the server CPUs
    # None for the standard set; else the module with the set's own targets and outputs:
    # start_targets, settings_lines, header_note, csv_columns, markdown, chart, and optionally
    # REQUIRED_DIRECTIVE (checked before anything starts) and final_check (after the rounds).
    module: object = None


SUITES = {
    "standard": Suite("standard", "ringside benchmark", "", workloads.GROUPS,
                      "servers (redis-server, ringside on io_uring and on libevent, ringside "
                      "in front of redis-server under each write policy, nutcracker and its "
                      "redis-server)"),
    "bigbulk": Suite("bigbulk", "ringside BigBulk benchmark", "-bigbulk", bigbulk.GROUPS,
                     bigbulk.SERVERS_TEXT, bigbulk),
    "persistence": Suite("persistence", "ringside persistence (AOF) benchmark", "-persistence",
                         persistence.GROUPS, persistence.SERVERS_TEXT, persistence),
    "connections": Suite("connections", "ringside RESP3 and ACL benchmark", "-connections",
                         connections.GROUPS, connections.SERVERS_TEXT, connections),
    "tls": Suite("tls", "ringside TLS benchmark", "-tls", tls.GROUPS, tls.SERVERS_TEXT, tls),
}


class SetupError(Exception):
    """The machine or the command line cannot run the benchmark; exit status 2."""


class Interrupted(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(description="ringside vs redis-server vs nutcracker, with "
                                "read-back. See the top of this file.")
    mode = p.add_mutually_exclusive_group()
    for name in MODES:
        mode.add_argument(f"--{name}", dest="mode", action="store_const", const=name)
    p.add_argument("--out", default=os.path.join(REPO, "tests", "bench", "results"),
                   help="results folder (default: tests/bench/results)")
    p.add_argument("--ringside", help="ringside binary (default: build/ringside, then "
                   "build-test/ringside)")
    p.add_argument("--rounds", type=int, help="rounds (default: smoke 2, quick 5, full 7)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every request count")
    p.add_argument("--clients", type=int, default=50, help="redis-benchmark -c (default 50)")
    p.add_argument("--bench-threads", type=int, help="redis-benchmark --threads")
    p.add_argument("--server-cpus", help="taskset CPU list for the servers (default: first CPU)")
    p.add_argument("--client-cpus", help="taskset CPU list for redis-benchmark (default: the "
                   "CPUs the servers do not use)")
    p.add_argument("--ringside-threads", type=int, help="ringside --threads (default: number "
                   "of server CPUs, or of all CPUs without pinning)")
    p.add_argument("--no-pin", action="store_true", help="do not use taskset")
    p.add_argument("--no-upstream", action="store_true", help="leave out ringside in front "
                   "of redis-server (standard set)")
    sets = p.add_mutually_exclusive_group()
    sets.add_argument("--sets", help="workload sets to run, comma-separated: standard, bigbulk, "
                      "persistence, connections, tls (default: standard; all of them for --smoke)")
    sets.add_argument("--bigbulk", dest="sets", action="store_const", const="bigbulk",
                      help="run the BigBulk set only (the same as --sets bigbulk)")
    args = p.parse_args(argv)
    args.mode = args.mode or "quick"
    names = (args.sets or (",".join(SUITES) if args.mode == "smoke" else "standard")).split(",")
    unknown = [n for n in names if n.strip() not in SUITES]
    if unknown:
        p.error(f"--sets: unknown set {', '.join(unknown)} (known: {', '.join(SUITES)})")
    args.suites = [SUITES[n] for n in dict.fromkeys(n.strip() for n in names)]
    args.rounds = args.rounds or MODES[args.mode]
    if args.rounds < 1 or args.scale <= 0 or args.clients < 1:
        p.error("--rounds, --scale and --clients must be positive")
    return args


def parse_cpu_list(text):
    cpus = set()
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return sorted(cpus)


def check_tools():
    missing = [(tool, pkg) for tool, pkg in TOOLS.items() if not shutil.which(tool)]
    if missing:
        pkgs = " ".join(sorted({pkg for _, pkg in missing}))
        raise SetupError(f"missing {', '.join(t for t, _ in missing)}: "
                         f"install with `apt-get install -y {pkgs}`")
    for tool in ("redis-server", "redis-benchmark"):
        version = tool_version([tool, "--version"])
        major = next((int(w.split("=")[-1].split(".")[0]) for w in version.split()
                      if w[-1:].isdigit() and "." in w), 0)
        if major < 7:
            raise SetupError(f"{tool} 7.0 or later is needed (its --csv output has latency "
                             f"percentiles); found: {version}")


def tool_version(argv):
    done = subprocess.run(argv, capture_output=True, text=True)
    return (done.stdout + done.stderr).strip().splitlines()[0]


def find_ringside(path):
    candidates = [path] if path else [os.path.join(REPO, d, "ringside")
                                      for d in ("build", "build-test")]
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise SetupError(f"no ringside binary at {' or '.join(candidates)}; build it with "
                     "`cmake -S . -B build -DBUILD_TESTING=OFF && cmake --build build -j "
                     "--target ringside`, or pass --ringside PATH")


def ringside_build_note(binary):
    cache = os.path.join(os.path.dirname(binary), "CMakeCache.txt")
    settings = {}
    try:
        with open(cache) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                settings[key.split(":")[0]] = value
    except OSError:
        return "build settings unknown (no CMakeCache.txt beside the binary)"
    build_type = settings.get("CMAKE_BUILD_TYPE") or "unset in CMakeCache (project default)"
    note = f"CMAKE_BUILD_TYPE {build_type}"
    if settings.get("RINGSIDE_ASAN", "OFF").upper() in ("ON", "TRUE", "1"):
        note += ", **AddressSanitizer build: numbers are not representative**"
    return note


def plan_pinning(args, servers_text):
    """(server CPUs or None, client CPUs or None, ringside threads, description)."""
    available = sorted(os.sched_getaffinity(0))
    if args.no_pin or len(available) < 2:
        why = "--no-pin" if args.no_pin else "only one CPU available"
        threads = args.ringside_threads or len(available)
        return None, None, threads, f"none ({why}); ringside --threads {threads}"
    try:
        server = parse_cpu_list(args.server_cpus) if args.server_cpus else available[:1]
        client = (parse_cpu_list(args.client_cpus) if args.client_cpus
                  else [c for c in available if c not in server] or available[-1:])
    except ValueError:
        raise SetupError("--server-cpus and --client-cpus take taskset lists such as 0 or 0-1,3")
    outside = sorted(set(server + client) - set(available))
    if outside:
        raise SetupError(f"CPU {servers.format_cpus(outside)} is not available here "
                         f"(available: {servers.format_cpus(available)})")
    threads = args.ringside_threads or len(server)
    desc = (f"{servers_text} on CPU {servers.format_cpus(server)}, ringside --threads "
            f"{threads}; redis-benchmark on CPU {servers.format_cpus(client)}")
    if set(server) & set(client):
        desc += " (overlapping: numbers will be noisier)"
    return server, client, threads, desc


def start_targets(fleet, args, binary, server_cpus, threads):
    """Starts every target; the reference first. Returns the Targets in table order."""
    ports = servers.free_ports(12)
    T = servers.Target
    targets = []
    ref = fleet.redis_server("redis-server", ports[0], server_cpus)
    targets.append(T("redis", "redis-server", ports[0], [ports[0]], [ref], reference=True))
    rs = fleet.ringside(binary, ports[1], server_cpus, threads)
    targets.append(T("ringside", "ringside io_uring", ports[1], [ports[1]], [rs]))
    rsl = fleet.ringside(binary, ports[7], server_cpus, threads, name="ringside-libevent",
                         backend="libevent")
    targets.append(T("ringside-libevent", "ringside libevent", ports[7], [ports[7]], [rsl]))
    if not args.no_upstream:
        for i, policy in enumerate(UPSTREAM_POLICIES):
            up_port, rs_port = ports[8 + 2 * i], ports[9 + 2 * i]
            key = f"ringside-upstream-{policy}"
            # Each its own folder: the upstream journals are named after the shard only.
            data_dir = os.path.join(fleet.workdir, key)
            os.makedirs(data_dir, exist_ok=True)
            up = fleet.redis_server(f"{key}-redis-server", up_port, server_cpus)
            rsu = fleet.ringside(binary, rs_port, server_cpus, threads,
                                 [f"--{UPSTREAM_DIRECTIVE}", f"{servers.HOST}:{up_port}",
                                  "--upstream-write-policy", policy], name=key,
                                 data_dir=data_dir)
            # The read-back checks both stores: the upstream must hold every write too.
            targets.append(T(key, f"ringside → redis-server ({policy})", rs_port,
                             [rs_port, up_port], [rsu, up], info_sections=("upstream",),
                             before_read_back=servers.upstream_caught_up))
    backend = fleet.redis_server("nutcracker-redis-server", ports[4], server_cpus)
    nc = fleet.nutcracker(ports[5], ports[6], ports[4], server_cpus)
    targets.append(T("nutcracker", "nutcracker → redis-server", ports[5], [ports[4]],
                     [nc, backend]))
    return targets


def probe_support(targets, groups):
    """{(target key, phase name): reason it is unsupported, or None}. Stores are flushed after."""
    support = {}
    for t in targets:
        for g in groups:
            for phase in g.phases():
                support[(t.key, phase.name)] = workloads.probe(t, phase)
        workloads.flush(t)
    return support


def run_group(t, group, rnd, args, requests, keyspace, client_cpus, support):
    """One target, one write phase and then its read phases, if the group has them. Returns
    their Runs."""
    phases = group.phases()
    write, reads = phases[0], phases[1:]
    runs = []

    def record(phase, status, result=None, reason="", counters=None):
        r = Run(rnd, t.key, phase.name, status, requests, reason=reason,
                value_bytes=requests * group.keys_per_command * group.value_size,
                counters=counters or {})
        if result:
            r.ops, r.p50, r.p99, r.cpu, r.seconds = (result.ops, result.p50, result.p99,
                                                     result.cpu, result.seconds)
        runs.append(r)
        if status == OK:
            shown = (f"{r.ops:>11,.0f} ops/s  p50 {r.p50:7.3f}  p99 {r.p99:7.3f} ms  "
                     f"cpu {r.cpu:5.2f} s  ({r.seconds:.1f} s)")
        else:
            shown = f"{status}: {reason.splitlines()[0]}"
        print(f"  [{rnd}] {phase.name:<22} {t.label:<26} {shown}", flush=True)

    write_na = support[(t.key, write.name)]

    def record_read(status, reason):
        for read in reads:
            record(read, status, reason=reason)

    if write_na:
        record(write, NA, reason=write_na)
        for read in reads:
            record(read, NA, reason=support[(t.key, read.name)] or
                   f"needs {write.command}, which is not supported")
        return runs
    dead = t.dead()
    if dead:
        record(write, FAILED, reason=dead)
        record_read(FAILED, dead)
        return runs
    timeout = {"smoke": 60, "quick": 180}.get(args.mode, 900)

    def measured(phase):
        """Runs the phase; returns its Result and the change of the target's INFO counters."""
        argv = workloads.benchmark_argv(t, phase, requests, keyspace, args.clients,
                                        args.bench_threads, client_cpus)
        before = workloads.info_counters(t)
        res = workloads.run_phase(t, argv, requests, timeout)
        after = {} if res.failure else workloads.info_counters(t)
        return res, workloads.counter_changes(before, after)

    try:
        workloads.flush(t)
        failure = workloads.integrity_check(t, group, seed=rnd)
        if failure:
            record(write, FAILED, reason=failure)
            record_read(FAILED, f"its {write.command} phase failed")
            return runs
        workloads.flush(t)
        res, counters = measured(write)
        size = 0
        if not res.failure and t.before_read_back:
            res.failure = t.before_read_back(t)
        if not res.failure:
            size, res.failure = workloads.read_back(t, group, requests, keyspace)
        if not res.failure and t.after_write:
            res.failure = t.after_write(t)
        if res.failure:
            record(write, FAILED, reason=res.failure, counters=counters)
            record_read(FAILED, f"its {write.command} phase failed")
            return runs
        record(write, OK, res, counters=counters)
        for read in reads:
            read_na = support[(t.key, read.name)]
            if read_na:
                record(read, NA, reason=read_na)
                continue
            res, counters = measured(read)
            if not res.failure:
                res.failure = workloads.dbsize_unchanged(t, size)
            record(read, FAILED if res.failure else OK, res, res.failure, counters)
        workloads.flush(t)
    except (OSError, ReplyError, RuntimeError) as e:
        reason = t.dead() or f"{type(e).__name__}: {e}"
        for phase in [write, *reads][len(runs):]:
            record(phase, FAILED, reason=reason)
    return runs


def shown_command():
    """The command as typed, with the script path relative to the repository root when the
    shell was there."""
    script = os.path.abspath(sys.argv[0])
    if os.getcwd() == REPO:
        script = os.path.relpath(script, REPO)
    return shlex.join([script] + sys.argv[1:])


def check_outputs(md_path, png_path):
    problems = []
    try:
        with open(md_path) as f:
            if "| workload |" not in f.read():
                problems.append(f"no table in {md_path}")
    except OSError:
        problems.append(f"table missing: {md_path}")
    try:
        with open(png_path, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                problems.append(f"chart is not a PNG: {png_path}")
    except OSError:
        problems.append(f"chart missing: {png_path}")
    return problems


def check_directive(binary, directive, why):
    if not servers.lists_directive(binary, directive):
        raise SetupError(f"{why}: {binary} --help lists no `{directive}` directive")


def benchmark(args, suite):
    check_tools()
    binary = find_ringside(args.ringside)
    module = suite.module
    standard = module is None
    if standard and not args.no_upstream:
        check_directive(binary, UPSTREAM_DIRECTIVE, "this ringside cannot run in front of an "
                        "upstream (--no-upstream leaves those targets out)")
    required = getattr(module, "REQUIRED_DIRECTIVE", None)
    if required:
        check_directive(binary, *required)
    server_cpus, client_cpus, threads, pinning = plan_pinning(args, suite.servers_text)
    groups = suite.groups
    phase_names = [p.name for g in groups for p in g.phases()]
    started, counters_before = time.monotonic(), machine.cpu_counters()
    host = machine.description()
    header = [
        f"# {suite.title} ({args.mode})", "",
        f"- **Command:** `{shown_command()}`",
        f"- **Machine:** {host}",
        f"- **Versions:** {tool_version([binary, '--version'])} ({ringside_build_note(binary)}); "
        f"{tool_version(['redis-server', '--version'])}; "
        f"{tool_version(['redis-benchmark', '--version'])}"
        + (f"; {tool_version(['nutcracker', '--version'])}" if standard else ""),
        f"- **Pinning (taskset):** {pinning}",
        f"- **Load:** redis-benchmark -c {args.clients}"
        + (f" --threads {args.bench_threads}" if args.bench_threads else "")
        + f", {args.rounds} rounds, targets interleaved within each workload, median shown; "
        f"random keys over a keyspace of a tenth of the keys written (-r), request counts "
        f"(-n, commands per phase): "
        + ", ".join(f"{g.name} {g.requests(args.mode, args.scale):,}" for g in groups),
    ]
    print(f"{suite.title} ({args.mode})", flush=True)
    print("\n".join(header[2:]), flush=True)

    settings = {}
    with tempfile.TemporaryDirectory(prefix="ringside-bench-") as workdir, \
            servers.Fleet(workdir) as fleet:
        if standard:
            targets = start_targets(fleet, args, binary, server_cpus, threads)
        else:
            targets, settings = module.start_targets(fleet, binary, server_cpus, threads, args)
            lines = module.settings_lines(targets, settings)
            header += lines
            print("\n".join(lines), flush=True)
        for t in targets:
            procs = ", ".join(f"{p.name} pid {p.pid} on CPU {p.affinity()}" for p in t.procs)
            print(f"- target {t.label}: port {t.port}; {procs}", flush=True)
        workloads.self_check(targets[0], client_cpus)
        support = probe_support(targets, groups)
        runs = []
        for rnd in range(1, args.rounds + 1):
            print(f"round {rnd} of {args.rounds}", flush=True)
            for g in groups:
                for t in targets:
                    scale = args.scale * t.request_scale
                    requests, keyspace = g.requests(args.mode, scale), g.keyspace(args.mode, scale)
                    runs += run_group(t, g, rnd, args, requests, keyspace, client_cpus, support)
        final_check = getattr(module, "final_check", None)
        late_problems = final_check(targets, settings) if final_check else []

    elapsed = time.monotonic() - started
    notes = [module.header_note()] if not standard else [
        "- **Columns:** ops/s, p50 and p99 from redis-benchmark (for MSET/MGET, commands of 10 "
        "keys each); × = median over the rounds of ops/s divided by redis-server's ops/s on the "
        "same workload in the same round; server CPU = utime+stime of the server processes "
        "during the phase (for nutcracker: nutcracker plus its redis-server); spread = "
        "(max − min) / median of ops/s over the rounds. FAILED = an error, or the read-back "
        "or integrity check found lost or wrong writes; n/a = the target does not support the "
        "command.",
    ]
    notes.append(f"- Whole run: {elapsed:.0f} s. "
                 f"{machine.background_note(counters_before, machine.cpu_counters())}.")
    cells = report.summarise(runs, targets, phase_names)
    problems = late_problems + write_outputs(args, suite, header + notes, host, targets,
                                             phase_names, cells, runs, settings)
    for phase in phase_names:
        for t in targets:
            cell = cells[(phase, t.key)]
            if cell.status == FAILED:
                problems.append(f"FAILED: {t.label}, {phase}: {cell.reason}")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


def write_outputs(args, suite, header, host, targets, phase_names, cells, runs, settings):
    """Writes MODE.md, MODE.png and MODE-runs.csv (with the suite's suffix after MODE);
    returns what is missing or malformed."""
    os.makedirs(args.out, exist_ok=True)
    name = f"{args.mode}{suite.suffix}"
    md_path = os.path.join(args.out, f"{name}.md")
    png_path = os.path.join(args.out, f"{name}.png")
    csv_path = os.path.join(args.out, f"{name}-runs.csv")
    title = f"{suite.title} ({args.mode}), {host}"
    module = suite.module
    if module is None:
        report.write_runs_csv(csv_path, runs)
        table = report.markdown(header, targets, phase_names, cells, os.path.basename(png_path))
        report.chart(png_path, title, targets, phase_names, cells)
    else:
        report.write_runs_csv(csv_path, runs, module.csv_columns(runs))
        table = module.markdown(header, targets, phase_names, cells,
                                os.path.basename(png_path), settings)
        module.chart(png_path, title, targets, phase_names, cells)
    with open(md_path, "w") as f:
        f.write(table)
    print(table)
    print(f"results: {md_path}, {png_path}, {csv_path}")
    return check_outputs(md_path, png_path)


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])

    def interrupted(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    try:
        status = 0
        for suite in args.suites:
            status = max(status, benchmark(args, suite))
        return status
    except SetupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except servers.StartError as e:
        print(f"error: a server did not start: {e}", file=sys.stderr)
        return 1
    except (RuntimeError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Interrupted):
        print("interrupted: servers stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
