#!/usr/bin/env python3
"""ringside's benchmark: ringside against redis-server and a plain proxy, side by side.

Usage (from the repository root, after building ringside):

    tests/bench/run.py --quick     # under 3 minutes: 5 rounds, moderate counts
    tests/bench/run.py --full      # 7 rounds, five times the counts (about 10 minutes)
    tests/bench/run.py --smoke     # tiny counts, checks the plumbing only (CTest: bench_smoke)

Options: --out DIR (default tests/bench/results), --ringside PATH (default build/ringside,
then build-test/ringside), --rounds N, --scale F (multiplies every request count),
--server-cpus LIST and --client-cpus LIST (taskset CPU lists; default: servers on the first
CPU, redis-benchmark on the others), --ringside-threads N (default: as many as server CPUs),
--no-pin, --clients N (default 50), --bench-threads N (redis-benchmark --threads),
--with-upstream (adds ringside in front of redis-server; needs ringside's upstream support).
Run with --help for the full list.

What it does. It starts, on free loopback ports, and always stops again (also on Ctrl-C or an
error): redis-server (the reference, no persistence), ringside standalone, optionally ringside
with a redis-server upstream, and nutcracker (twemproxy) in front of its own redis-server.
redis-benchmark then runs every workload -- SET then GET of 32 B, 1 KiB, 16 KiB, 64 KiB and
1 MiB values at -c 50 -P 1, 32 B at -P 16, MSET then MGET of 10 keys -- with random keys over a
fixed keyspace (-r), against the targets in turn (A B C A B C ...) for several rounds. After
every write phase the stores are read back (DBSIZE against what the keyspace and request count
imply, sampled STRLEN against the value size); a target that lost writes is FAILED, not a
number. Server CPU time (utime+stime from /proc/PID/stat; for a proxy, the proxy plus its
redis-server) is read around every phase.

Output, in the --out folder, named after the mode: MODE.md (machine, exact command, pinning,
and the table of medians: ops/s, p50, p99, ratio to redis-server from the same run, server CPU
seconds per 100k operations), MODE.png (gnuplot chart) and MODE-runs.csv (every run).
Exit status: 0 all good; 1 a target FAILED or an output is missing; 2 bad setup (a tool is
missing: the message says which Debian package to install); 130 interrupted.

Needs: Debian packages redis-server and redis-tools (7.0 or later), nutcracker, gnuplot-nox
(or gnuplot), util-linux (taskset); Python 3 standard library only.
"""

import argparse
import datetime
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source folder free of __pycache__

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
# How ringside is told about its upstream. The upstream support will settle the directive's
# spelling; --with-upstream refuses to run until `ringside --help` lists it.
UPSTREAM_DIRECTIVE = "upstream"
UPSTREAM_SKIP_NOTE = ("ringside → redis-server (upstream): skipped, ringside has no upstream "
                      "support yet; --with-upstream turns this target on once it does")


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
    p.add_argument("--with-upstream", action="store_true", help="also run ringside with "
                   "redis-server as its upstream")
    args = p.parse_args(argv)
    args.mode = args.mode or "quick"
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


def plan_pinning(args):
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
    desc = (f"servers (redis-server, ringside, nutcracker and its redis-server) on CPU "
            f"{servers.format_cpus(server)}, ringside --threads {threads}; redis-benchmark on "
            f"CPU {servers.format_cpus(client)}")
    if set(server) & set(client):
        desc += " (overlapping: numbers will be noisier)"
    return server, client, threads, desc


def start_targets(fleet, args, binary, server_cpus, threads):
    """Starts every target; the reference first. Returns the Targets in table order."""
    ports = servers.free_ports(7)
    T = servers.Target
    targets = []
    ref = fleet.redis_server("redis-server", ports[0], server_cpus)
    targets.append(T("redis", "redis-server", ports[0], [ports[0]], [ref], reference=True))
    rs = fleet.ringside(binary, ports[1], server_cpus, threads)
    targets.append(T("ringside", "ringside", ports[1], [ports[1]], [rs]))
    if args.with_upstream:
        up = fleet.redis_server("upstream-redis-server", ports[2], server_cpus)
        rsu = fleet.ringside(binary, ports[3], server_cpus, threads,
                             [f"--{UPSTREAM_DIRECTIVE}", f"{servers.HOST}:{ports[2]}"])
        targets.append(T("ringside-upstream", "ringside → redis-server", ports[3],
                         [ports[3], ports[2]], [rsu, up]))
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
    """One target, one write phase and then its read phase. Returns their Runs."""
    write, read = group.phases()
    runs = []

    def record(phase, status, result=None, reason=""):
        r = Run(rnd, t.key, phase.name, status, requests, reason=reason)
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

    write_na, read_na = support[(t.key, write.name)], support[(t.key, read.name)]
    if write_na:
        record(write, NA, reason=write_na)
        record(read, NA, reason=read_na or f"needs {write.command}, which is not supported")
        return runs
    dead = t.dead()
    if dead:
        record(write, FAILED, reason=dead)
        record(read, FAILED, reason=dead)
        return runs
    timeout = {"smoke": 60, "quick": 180}.get(args.mode, 900)
    try:
        workloads.flush(t)
        argv = workloads.benchmark_argv(t, write, requests, keyspace, args.clients,
                                        args.bench_threads, client_cpus)
        res = workloads.run_phase(t, argv, requests, timeout)
        size = 0
        if not res.failure:
            size, res.failure = workloads.read_back(t, group, requests, keyspace)
        if res.failure:
            record(write, FAILED, reason=res.failure)
            record(read, FAILED, reason=f"its {write.command} phase failed")
            return runs
        record(write, OK, res)
        if read_na:
            record(read, NA, reason=read_na)
        else:
            argv = workloads.benchmark_argv(t, read, requests, keyspace, args.clients,
                                            args.bench_threads, client_cpus)
            res = workloads.run_phase(t, argv, requests, timeout)
            if not res.failure:
                res.failure = workloads.dbsize_unchanged(t, size)
            record(read, FAILED if res.failure else OK, res, res.failure)
        workloads.flush(t)
    except (OSError, ReplyError, RuntimeError) as e:
        reason = t.dead() or f"{type(e).__name__}: {e}"
        for phase in (write, read)[len(runs):]:
            record(phase, FAILED, reason=reason)
    return runs


def machine_description():
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    model, mem = "unknown CPU", ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
                break
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"nproc {nproc} ({model}{mem}), Linux {platform.release()}, {date}"


def cpu_counters():
    """Seconds since boot, summed over all CPUs, from /proc/stat: (busy, stolen, total); and
    the CPU seconds of this process plus its reaped children."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (
            int(v) / tick for v in f.readline().split()[1:9])
    own = os.times()
    mine = own.user + own.system + own.children_user + own.children_system
    return (user + nice + system, steal,
            user + nice + system + idle + iowait + irq + softirq + steal), mine


def background_note(before, after):
    """How much CPU the rest of the machine took during the run: other people's work on the
    same machine is the usual reason two runs disagree."""
    (busy0, steal0, total0), mine0 = before
    (busy1, steal1, total1), mine1 = after
    total = max(total1 - total0, 1e-9)
    others = max(0.0, (busy1 - busy0) - (mine1 - mine0))
    return (f"CPU used by other processes on this machine meanwhile: {others:.0f} CPU s "
            f"({100 * others / total:.0f}% of all CPUs); stolen by the hypervisor: "
            f"{100 * (steal1 - steal0) / total:.1f}%")


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


def benchmark(args):
    check_tools()
    binary = find_ringside(args.ringside)
    if args.with_upstream:
        help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
        if f"  {UPSTREAM_DIRECTIVE} " not in help_text:
            raise SetupError(f"--with-upstream: {binary} --help lists no `{UPSTREAM_DIRECTIVE}` "
                             "directive, so this ringside cannot run in front of an upstream")
    server_cpus, client_cpus, threads, pinning = plan_pinning(args)
    groups = workloads.GROUPS
    phase_names = [p.name for g in groups for p in g.phases()]
    started, counters_before = time.monotonic(), cpu_counters()
    machine = machine_description()
    header = [
        f"# ringside benchmark ({args.mode})", "",
        f"- **Command:** `{shown_command()}`",
        f"- **Machine:** {machine}",
        f"- **Versions:** {tool_version([binary, '--version'])} ({ringside_build_note(binary)}); "
        f"{tool_version(['redis-server', '--version'])}; "
        f"{tool_version(['redis-benchmark', '--version'])}; "
        f"{tool_version(['nutcracker', '--version'])}",
        f"- **Pinning (taskset):** {pinning}",
        f"- **Load:** redis-benchmark -c {args.clients}"
        + (f" --threads {args.bench_threads}" if args.bench_threads else "")
        + f", {args.rounds} rounds, targets interleaved within each workload, median shown; "
        f"random keys over a keyspace of a tenth of the keys written (-r), request counts "
        f"(-n, commands per phase): "
        + ", ".join(f"{g.name} {g.requests(args.mode, args.scale):,}" for g in groups),
    ]
    print("\n".join(header[2:]), flush=True)
    if not args.with_upstream:
        print(f"- {UPSTREAM_SKIP_NOTE}", flush=True)

    with tempfile.TemporaryDirectory(prefix="ringside-bench-") as workdir, \
            servers.Fleet(workdir) as fleet:
        targets = start_targets(fleet, args, binary, server_cpus, threads)
        for t in targets:
            procs = ", ".join(f"{p.name} pid {p.pid} on CPU {p.affinity()}" for p in t.procs)
            print(f"- target {t.label}: port {t.port}; {procs}", flush=True)
        workloads.self_check(targets[0], client_cpus)
        support = probe_support(targets, groups)
        runs = []
        for rnd in range(1, args.rounds + 1):
            print(f"round {rnd} of {args.rounds}", flush=True)
            for g in groups:
                requests, keyspace = g.requests(args.mode, args.scale), g.keyspace(
                    args.mode, args.scale)
                for t in targets:
                    runs += run_group(t, g, rnd, args, requests, keyspace, client_cpus, support)

    elapsed = time.monotonic() - started
    notes = [
        "- **Columns:** ops/s, p50 and p99 from redis-benchmark (for MSET/MGET, commands of 10 "
        "keys each); × = median over the rounds of ops/s divided by redis-server's ops/s on the "
        "same workload in the same round; server CPU = utime+stime of the server processes "
        "during the phase (for nutcracker: nutcracker plus its redis-server); spread = "
        "(max − min) / median of ops/s over the rounds. FAILED = an error, or the read-back "
        "found lost writes; n/a = the target does not support the command.",
    ]
    if not args.with_upstream:
        notes.append(f"- {UPSTREAM_SKIP_NOTE}.")
    notes.append(f"- Whole run: {elapsed:.0f} s. "
                 f"{background_note(counters_before, cpu_counters())}.")
    cells = report.summarise(runs, targets, phase_names)
    problems = write_outputs(args, header + notes, machine, targets, phase_names, cells, runs)
    for phase in phase_names:
        for t in targets:
            cell = cells[(phase, t.key)]
            if cell.status == FAILED:
                problems.append(f"FAILED: {t.label}, {phase}: {cell.reason}")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


def write_outputs(args, header, machine, targets, phase_names, cells, runs):
    """Writes MODE.md, MODE.png and MODE-runs.csv; returns what is missing or malformed."""
    os.makedirs(args.out, exist_ok=True)
    md_path = os.path.join(args.out, f"{args.mode}.md")
    png_path = os.path.join(args.out, f"{args.mode}.png")
    csv_path = os.path.join(args.out, f"{args.mode}-runs.csv")
    report.write_runs_csv(csv_path, runs)
    table = report.markdown(header, targets, phase_names, cells, os.path.basename(png_path))
    with open(md_path, "w") as f:
        f.write(table)
    report.chart(png_path, f"ringside benchmark ({args.mode}), {machine}", targets,
                 phase_names, cells)
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
        return benchmark(args)
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
