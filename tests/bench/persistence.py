"""The persistence set: SET throughput with the append-only file on, for each fsync policy,
against redis-server with the same settings.

Targets, in pairs that run one after the other within each workload and round: redis-server
and ringside without an AOF (the baseline), then both with `--appendonly yes --appendfsync P`
for P in always, everysec and no. Every server gets a fresh folder of its own (--dir) inside
the run's temporary folder, so the AOFs land on the filesystem that holds $TMPDIR (default
/tmp), which the header names; the folders go when the run ends. redis-server runs with
`--save ""` and its defaults otherwise, automatic AOF rewrites included (a rewrite's child
process is not in the CPU column).

Workloads: SET of 32 B, 1 KiB and 16 KiB values at -P 1, and of 32 B at -P 16 (a pipeline is
where gathering a batch's records into one write and one fsync pays most), random keys over a
keyspace, no read phase. Every write phase has the standard set's integrity check before it
and read-back after it (workloads.py); then, while its keys are still there, INFO persistence
must show aof_enabled:1 (0 for the baseline), aof_last_write_status:ok and aof_current_size
above 0. After the last round, one more SET into every server must make its aof_current_size
and the files in its folder grow, with the AOF still on and its last write ok (and leave the
baseline's folders empty). The appendfsync always pair runs a quarter of every request count:
an fsync takes milliseconds on a VM's disk.
"""

import functools
import math
import os
import shutil
import subprocess
import tempfile
import time

import report
import servers
from report import OK, median_or_none, ratio_between
from workloads import KIB, Group

POLICIES = ("always", "everysec", "no")
OFF = "off"
SETTINGS = (OFF,) + POLICIES               # table order, and the order of the target pairs
SHOWN = {OFF: "AOF off", "always": "fsync always", "everysec": "fsync everysec",
         "no": "fsync no"}
ALWAYS_SCALE = 0.25                        # of the request counts, for the always pair
# --quick takes 1 to 3 minutes on 2 vCPUs (most of the spread is how fast the disk fsyncs) and
# writes about 1.3 GB of AOF per ringside; --full three times the counts over 7 rounds.
GROUPS = [
    Group("32 B", 32, 1, 1, {"smoke": 300, "quick": 50000, "full": 150000}, reads=False),
    Group("1 KiB", KIB, 1, 1, {"smoke": 200, "quick": 40000, "full": 120000}, reads=False),
    Group("16 KiB", 16 * KIB, 1, 1, {"smoke": 50, "quick": 10000, "full": 30000}, reads=False),
    Group("32 B -P 16", 32, 16, 1, {"smoke": 1000, "quick": 500000, "full": 1500000},
          reads=False),
]
SECTION = "persistence"
# The CSV's counter columns first (ringside's own: aof_writes, aof_fsyncs, aof_write_errors),
# then any other numeric INFO persistence field either server reports.
FIELDS = ["aof_current_size", "aof_base_size", "aof_rewrites", "aof_delayed_fsync",
          "aof_writes", "aof_fsyncs", "aof_write_errors"]
RECORD_OVERHEAD = 100   # AOF bytes per SET besides the value, generously: for the space check
SPARE_BYTES = 512 * 1024 * 1024
MISSING = "-"
FINAL_KEY = "bench:aof-final-check"
SERVERS_TEXT = ("servers (a redis-server and a ringside for each AOF setting: off, always, "
                "everysec, no)")
# start_targets starts no ringside unless `ringside --help` lists this directive.
DIRECTIVE = "appendfsync"
# A pastel and a strong shade per setting: redis-server, ringside.
COLOURS = {OFF: ("#9ecae1", "#2166ac"), "always": ("#fdae91", "#b2182b"),
           "everysec": ("#a6dba0", "#1b7837"), "no": ("#c2a5cf", "#762a83")}


def key(server, setting):
    return f"{server}-{setting}"


def _server_args(setting):
    """The AOF directives of a setting's pair, as both servers take them."""
    if setting == OFF:
        return ["--appendonly", "no"]
    return ["--appendonly", "yes", "--appendfsync", setting]


def start_targets(fleet, binary, server_cpus, threads, args):
    """The redis-servers first, then the ringsides, each in a fresh folder of its own.
    Returns the Targets in table order (pairs: redis-server, ringside) and the settings the
    header and the table show. Raises StartError, saying why, if a ringside cannot have an
    AOF or does not come up with one."""
    _check_space(fleet.workdir, args)
    ports = dict(zip([key(s, p) for p in SETTINGS for s in ("redis", "ringside")],
                     servers.free_ports(2 * len(SETTINGS))))
    made = {}
    for server in ("redis", "ringside"):
        if server == "ringside" and not servers.lists_directive(binary, DIRECTIVE):
            raise servers.StartError(
                f"ringside: `{binary} --help` lists no `{DIRECTIVE}` directive, so this "
                "ringside has no append-only file, which the persistence set measures "
                "(the redis-servers started fine)")
        for setting in SETTINGS:
            made[key(server, setting)] = _start(fleet, server, setting, binary, ports,
                                                server_cpus, threads)
    targets = [made[key(s, p)] for p in SETTINGS for s in ("redis", "ringside")]
    for t in targets:
        _confirm_settings(t, _setting_of(t))
    settings = {"filesystem": filesystem(fleet.workdir), "workdir": fleet.workdir,
                "threads": threads, "final": []}
    return targets, settings


def _start(fleet, server, setting, binary, ports, server_cpus, threads):
    k, name = key(server, setting), f"{server}-aof-{setting}"
    folder = tempfile.mkdtemp(prefix=f"{name}-", dir=fleet.workdir)
    directives = _server_args(setting)
    if server == "redis":
        proc = fleet.redis_server(name, ports[k], server_cpus, directives, data_dir=folder)
        label = f"redis-server {SHOWN[setting]}"
    else:
        try:
            proc = fleet.ringside(binary, ports[k], server_cpus, threads, directives,
                                  name=name, data_dir=folder)
        except servers.StartError as e:
            raise servers.StartError(f"ringside with `{' '.join(directives)}` did not start "
                                     f"(the persistence set needs its append-only file): {e}"
                                     ) from None
        label = f"ringside {SHOWN[setting]}"
    return servers.Target(k, label, ports[k], [ports[k]], [proc], reference=k == "redis-off",
                          info_sections=(SECTION,),
                          request_scale=ALWAYS_SCALE if setting == "always" else 1.0,
                          after_write=functools.partial(_after_write, on=setting != OFF),
                          data_dir=folder)


def _setting_of(target):
    return target.key.split("-", 1)[1]


def _confirm_settings(target, setting):
    """CONFIG GET and INFO persistence must agree with what the target stands for."""
    with target.client() as c:
        reply = c.call("CONFIG", "GET", "append*")
    got = {k.decode(): v.decode() for k, v in zip(reply[::2], reply[1::2])}
    want = {"appendonly": "no"} if setting == OFF else {"appendonly": "yes",
                                                         "appendfsync": setting}
    wrong = {k: got.get(k, "?") for k, v in want.items() if got.get(k) != v}
    failure = aof_state(info_fields(target), setting != OFF, need_size=False)
    if wrong or failure:
        shown = ", ".join(f"{k} {v}" for k, v in wrong.items())
        raise RuntimeError(f"{target.label} reports {shown or failure}: not the "
                           "configuration this target stands for")


def _check_space(workdir, args):
    """The AOFs of a whole run must fit beside the run's folder, assuming no server ever
    rewrites its AOF."""
    per_pair = 0
    for g in GROUPS:
        for setting in POLICIES:
            scale = args.scale * (ALWAYS_SCALE if setting == "always" else 1.0)
            per_pair += g.requests(args.mode, scale) * (g.value_size + RECORD_OVERHEAD)
    need = 2 * per_pair * args.rounds + SPARE_BYTES
    free = shutil.disk_usage(workdir).free
    if free < need:
        raise RuntimeError(f"the AOFs of this run may take {need / 1e9:.1f} GB and "
                           f"{workdir} has {free / 1e9:.1f} GB free: point TMPDIR at a larger "
                           "disk, or lower --scale or --rounds")


def filesystem(path):
    """The filesystem holding path, in words: "ext4 on /dev/vda, mounted at /"."""
    path = os.path.realpath(path)
    best = ("?", "/", "unknown filesystem")
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mount, fstype = line.split()[:3]
            mount = mount.replace("\\040", " ")
            inside = path == mount or path.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best[1]):
                best = (dev, mount, fstype)
    dev, mount, fstype = best
    text = f"{fstype} on {dev}, mounted at {mount}"
    if fstype in ("tmpfs", "ramfs"):
        text += " (**in memory: fsync costs nothing here, set TMPDIR to a disk**)"
    return text


def info_fields(target, section=SECTION):
    """Every field of one INFO section, as text, by name."""
    with target.client() as c:
        text = c.call("INFO", section).decode(errors="replace")
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition(":")
        if sep and not name.startswith("#"):
            fields[name] = value
    return fields


def aof_state(info, on, need_size=True):
    """"" if INFO persistence shows the AOF as it should be, else what is wrong: on, the last
    write ok and (need_size) some bytes in it; or off."""
    enabled = info.get("aof_enabled", "missing")
    if enabled != ("1" if on else "0"):
        return f"INFO persistence: aof_enabled:{enabled}, expected {1 if on else 0}"
    if not on:
        return ""
    status = info.get("aof_last_write_status", "missing")
    if status != "ok":
        error = info.get("aof_last_write_error")
        return f"INFO persistence: aof_last_write_status:{status}" + (
            f" ({error})" if error else "")
    size = info.get("aof_current_size", "missing")
    if need_size and not (size.isdigit() and int(size) > 0):
        return f"INFO persistence: aof_current_size:{size} with the workload's keys written"
    return ""


def _after_write(target, on):
    return aof_state(info_fields(target), on)


def folder_bytes(folder):
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def final_check(targets, settings):
    """After the last round (whose FLUSHALL may have left an empty AOF): one more SET into
    every server, after which INFO persistence must show the AOF on, its last write ok and its
    aof_current_size grown, and the server's folder must have grown too; without an AOF,
    aof_enabled:0 and an empty folder. Keeps what it saw for the table; returns what did not
    hold."""
    problems, rows = [], []
    for t in targets:
        on = _setting_of(t) != OFF
        try:
            failure, row = _final_state(t, on)
        except (OSError, RuntimeError) as e:
            failure = t.dead() or f"{type(e).__name__}: {e}"
            row = ["**gone**"] + [""] * 4
        failure = failure.splitlines()[0] if failure else ""
        if failure:
            problems.append(f"{t.label}, after the last round: {failure}")
        rows.append(f"| {t.label} | " + " | ".join(row)
                    + f" | {'**' + failure + '**' if failure else 'ok'} |")
    settings["final"] = [
        "", "After the last round, before and after one more SET (INFO persistence; bytes on "
        "disk = the files in the server's own --dir):", "",
        "| target | aof_enabled | aof_last_write_status | aof_current_size | aof_rewrites "
        "| bytes on disk | check |", "|---|---:|---|---:|---:|---:|---|"] + rows
    return problems


def _wait_for_no_rewrite(target, deadline_s=60.0, interval=0.05):
    """Polls INFO persistence until no AOF rewrite runs or is scheduled (a rewrite shrinks
    aof_current_size, which the final check must not mistake for a lost write)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        info = info_fields(target)
        if (info.get("aof_rewrite_in_progress", "0") == "0"
                and info.get("aof_rewrite_scheduled", "0") == "0"):
            return info
        time.sleep(interval)
    raise RuntimeError(f"{target.name}: an AOF rewrite did not finish within {deadline_s:.0f} s")


def _final_state(target, on, wait=2.0, interval=0.05):
    """(failure text or "", table cells) of the final check on one target."""
    for _ in range(3):
        failure, row, rewrote = _final_state_once(target, on, wait, interval)
        if not rewrote:
            break
    return failure, row


def _final_state_once(target, on, wait, interval):
    """As _final_state, plus whether a rewrite ran meanwhile (the check is then repeated)."""
    rewrites_before = _wait_for_no_rewrite(target).get("aof_rewrites")
    size_before = info_fields(target).get("aof_current_size")
    disk_before = folder_bytes(target.data_dir)
    value = os.urandom(32).hex()
    with target.client() as c:
        c.call("SET", FINAL_KEY, value)
        if c.call("GET", FINAL_KEY) != value.encode():
            raise RuntimeError(f"{FINAL_KEY} does not read back")
    deadline = time.monotonic() + wait
    while True:
        # aof_current_size and the file may lag the reply a moment with appendfsync no.
        info, disk = info_fields(target), folder_bytes(target.data_dir)
        failure = aof_state(info, on)
        size = info.get("aof_current_size")
        if not failure and on and not _grew(size_before, size):
            failure = (f"aof_current_size went from {size_before} to {size} over a SET, "
                       "which was not logged")
        if not failure and on and disk <= disk_before:
            failure = (f"the files in its folder {target.data_dir} did not grow over a SET "
                       f"({disk:,} bytes)")
        if not failure and not on and disk:
            failure = f"without an AOF, its folder {target.data_dir} holds {disk:,} bytes"
        if not failure or time.monotonic() > deadline:
            break
        time.sleep(interval)
    row = [info.get("aof_enabled", MISSING), info.get("aof_last_write_status", MISSING),
           f"{_int_text(size_before)} → {_int_text(size)}" if on else MISSING,
           info.get("aof_rewrites", MISSING), f"{disk_before:,} → {disk:,}"]
    return failure, row, info.get("aof_rewrites") != rewrites_before


def _grew(before, after):
    return bool(before and after and before.isdigit() and after.isdigit()
                and int(after) > int(before))


def _int_text(value):
    return f"{int(value):,}" if value and value.isdigit() else (value or MISSING)


def settings_lines(targets, settings):
    """The header's lines about the servers and where their files are."""
    ringside_threads = settings["threads"]
    return [
        f"- **AOF folders:** a fresh one per server (--dir) in {settings['workdir']}: "
        f"{settings['filesystem']}; TMPDIR chooses another disk. Removed after the run.",
        "- **Servers:** `redis-server --save \"\" --appendonly yes --appendfsync P --dir "
        f"FOLDER` and `ringside --threads {ringside_threads} --appendonly yes --appendfsync P "
        "--dir FOLDER` for P in always, everysec and no, and both with `--appendonly no` "
        "(redis-server's other settings at their defaults, automatic AOF rewrites included); "
        "CONFIG GET appendonly/appendfsync and INFO persistence confirmed every setting.",
    ]


def header_note():
    return ("- **Columns:** ops/s, p50 and p99 from redis-benchmark; ringside ÷ redis = median "
            "over the rounds of ringside's ops/s divided by redis-server's with the same AOF "
            "setting in the same round; ÷ AOF off = the same for each server against itself "
            "without an AOF; server CPU = utime+stime of the server process (all its threads; "
            "not a redis-server AOF rewrite's child) during the phase, per 100k SETs; AOF "
            "bytes / SET = change of INFO persistence aof_current_size over the phase per SET, "
            "median over the rounds in which the server did not rewrite its AOF during the "
            "phase (less than a record: the server had not yet written all of the phase's "
            "records when its last reply arrived); ringside writes / fsyncs = "
            "change of its aof_writes and aof_fsyncs per 1,000 SETs (- = not reported); "
            "spread = (max − min) / median of ops/s over the rounds. FAILED = an error, the "
            "read-back or integrity check found lost or wrong writes, or INFO persistence did "
            "not show the AOF on with its last write ok and bytes in it. "
            f"**The fsync always pair runs {ALWAYS_SCALE:g} × the request counts above** "
            "(see -n in the table).")


def csv_columns(runs):
    """Extra CSV columns: AOF bytes per SET, and the change of every numeric INFO
    persistence field over the phase."""
    seen = {name for r in runs for name in r.counters}
    fields = FIELDS + sorted(seen - set(FIELDS))
    cols = [("value_bytes", lambda r: r.value_bytes or None),
            ("aof_bytes_per_set", lambda r: _fmt(_per_set(r, "aof_current_size"), 1))]
    return cols + [(f, lambda r, f=f: r.counters.get(f)) for f in fields]


def _fmt(value, digits):
    return None if value is None else f"{value:.{digits}f}"


def _per_set(run, field, per=1):
    if field not in run.counters or not run.requests:
        return None
    return run.counters[field] * per / run.requests


def _aof_bytes_per_set(cell):
    """Median over the rounds without an AOF rewrite during the phase (a rewrite shrinks the
    file) of the AOF's growth per SET; "rewrites" if every round had one."""
    if cell.status != OK:
        return MISSING
    runs = [r for r in cell.runs if not r.counters.get("aof_rewrites")]
    if not runs:
        return "rewrites"
    return _show(median_or_none(_per_set(r, "aof_current_size") for r in runs), 0)


def _show(value, digits=2, suffix=""):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{value:,.{digits}f}{suffix}"


def markdown(header_lines, targets, phase_names, cells, chart_name, settings):
    out = list(header_lines)
    out += ["", "| workload | AOF | -n | redis-server ops/s | ringside ops/s | ringside ÷ redis "
            "| ÷ AOF off redis / ringside | p50 ms redis / ringside | p99 ms redis / ringside "
            "| server CPU s / 100k ops redis / ringside | AOF bytes / SET redis / ringside "
            "| ringside writes / fsyncs per 1k SETs | spread redis / ringside |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for phase in phase_names:
        for setting in SETTINGS:
            r, s = (cells[(phase, key(server, setting))] for server in ("redis", "ringside"))
            r_off, s_off = (cells[(phase, key(server, OFF))] for server in ("redis", "ringside"))
            runs = r.runs or s.runs
            n = f"{runs[0].requests:,}" if runs else MISSING

            def both(value, digits=2, suffix=""):
                return " / ".join(_show(value(c) if c.status == OK else None, digits, suffix)
                                  for c in (r, s))

            def ops(c):
                return f"{c.ops:,.0f}" if c.status == OK else f"**{c.status}**"

            def against(a, b):
                return ratio_between(a, b) if a.status == OK and b.status == OK else None

            vs_off = (MISSING if setting == OFF else
                      f"{_show(against(r, r_off))} / {_show(against(s, s_off))}")
            aof_bytes = MISSING if setting == OFF else " / ".join(
                _aof_bytes_per_set(c) for c in (r, s))
            group_commit = MISSING
            if setting != OFF and s.status == OK:
                group_commit = " / ".join(_show(median_or_none(
                    _per_set(x, f, 1000) for x in s.runs), 1) for f in ("aof_writes",
                                                                       "aof_fsyncs"))
            ratio = against(s, r)
            out.append(
                f"| {phase} | {SHOWN[setting]} | {n} | {ops(r)} | {ops(s)} "
                f"| {_show(ratio)}{'×' if ratio else ''} | {vs_off} "
                f"| {both(lambda c: c.p50, 3)} | {both(lambda c: c.p99, 3)} "
                f"| {both(lambda c: c.cpu_per_100k)} | {aof_bytes} | {group_commit} "
                f"| {both(lambda c: 100 * c.spread, 0, '%')} |")
    out += settings.get("final", [])
    ref = next(t for t in targets if t.reference)
    out += report.tail_lines(targets, phase_names, cells, ref, chart_name,
                             "ringside ÷ redis-server per AOF setting, ops/s and CPU cost")
    return "\n".join(out)


def chart(png_path, title, targets, phase_names, cells):
    """Three panels: ringside ÷ redis-server per AOF setting, then ops/s and server CPU per
    100k SETs of every target (log scales), grouped by workload."""
    with tempfile.TemporaryDirectory(prefix="ringside-chart-") as tmp:
        ratio_dat, ops_dat, cpu_dat = (os.path.join(tmp, f"{n}.dat")
                                       for n in ("ratio", "ops", "cpu"))
        with open(ratio_dat, "w") as f:
            f.write("workload\t" + "\t".join(SHOWN[s] for s in SETTINGS) + "\n")
            for phase in phase_names:
                values = []
                for setting in SETTINGS:
                    r, s = (cells[(phase, key(server, setting))]
                            for server in ("redis", "ringside"))
                    ratio = ratio_between(s, r) if r.status == OK and s.status == OK else None
                    values.append("NaN" if ratio is None else f"{ratio:.4f}")
                f.write(phase + "\t" + "\t".join(values) + "\n")
        report.write_dat(ops_dat, phase_names, targets, cells, lambda c: c.ops)
        report.write_dat(cpu_dat, phase_names, targets, cells, lambda c: c.cpu_per_100k)
        ratio_plot = ", ".join(
            f"'{ratio_dat}' using {i + 2}:xtic(1) title columnheader({i + 2}) "
            f"linecolor rgb '{COLOURS[s][1]}'" for i, s in enumerate(SETTINGS))

        def per_target(dat):
            return ", ".join(
                f"'{dat}' using {i + 2}:xtic(1) title columnheader({i + 2}) linecolor rgb "
                f"'{COLOURS[_setting_of(t)][0 if t.key.startswith('redis') else 1]}'"
                for i, t in enumerate(targets))

        script = f"""
set terminal pngcairo size 1400,1400 font "sans,10"
set output '{png_path}'
set datafile separator "\\t"
set datafile missing "NaN"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top
set rmargin 36
set grid ytics
set xtics scale 0
set multiplot layout 3,1 title "{title}"
set title "ringside ÷ redis-server with the same AOF setting, same round (no bar = FAILED)"
set ylabel "ringside ops/s ÷ redis-server ops/s"
set yrange [0:*]
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 linewidth 2 \
    linecolor rgb "black"
plot {ratio_plot}
unset arrow 1
set title "Throughput (log scale; fsync always runs {ALWAYS_SCALE:g} × the requests)"
set ylabel "SET ops/s"
set logscale y
set yrange [*:*]
plot {per_target(ops_dat)}
set title "Server CPU seconds per 100k SETs (log scale)"
set ylabel "CPU s / 100k ops"
plot {per_target(cpu_dat)}
unset multiplot
"""
        done = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"gnuplot failed: {done.stderr.strip()}")
