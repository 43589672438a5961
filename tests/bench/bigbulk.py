"""The BigBulk set: large values into ringside with BigBulk ingest on and off, against
redis-server.

BigBulk ingest gives a bulk argument of at least `bigbulk-threshold` bytes whose body is still
arriving its own buffer of exactly its size, which the stored value adopts without a copy; with
at least `bigbulk-direct-read` bytes still missing, the reactor reads straight into that buffer
(io_uring with a recv into it, libevent with readv). This set measures what that buys: SET then
GET of 16 KiB to 1 MiB values, against redis-server (the reference), ringside on io_uring with
the defaults (BigBulk on) and with `--bigbulk-threshold 0` (off), and ringside on libevent
with the defaults, interleaved like the standard set. Besides throughput and
server CPU (per GB of values), every ringside phase records the change of the `INFO bigbulk`
counters, from which the table shows the bytes ringside copied per value byte written; a
counter the server does not (yet) report is shown as "-".
"""

import math

import report
import servers
from report import OK, median_or_none, ratio_between
from workloads import KIB, MIB, Group

# About 1 to 1.5 GB of values per phase in --quick (--quick --bigbulk takes about 2.5 minutes
# on 2 vCPUs), three times that in --full; the keyspace is a tenth of the count, so a store
# holds at most 600 MB.
GROUPS = [
    Group("16 KiB", 16 * KIB, 1, 1, {"smoke": 40, "quick": 80000, "full": 240000}),
    Group("64 KiB", 64 * KIB, 1, 1, {"smoke": 20, "quick": 30000, "full": 90000}),
    Group("256 KiB", 256 * KIB, 1, 1, {"smoke": 10, "quick": 8000, "full": 24000}),
    Group("1 MiB", MIB, 1, 1, {"smoke": 5, "quick": 2000, "full": 6000}),
]

SECTION = "bigbulk"
# The CSV's counter columns, in this order, then any other field the server reports.
FIELDS = [
    "bigbulk_promotions", "bigbulk_promoted_bytes", "bigbulk_direct_read_switches",
    "bigbulk_direct_read_bytes", "bigbulk_copied_bytes", "bigbulk_reallocs",
    "bigbulk_cross_shard_handoffs", "bigbulk_copies_per_byte", "plain_bytes",
    "plain_copied_bytes", "plain_reallocs", "plain_copies_per_byte",
    "replies_by_reference", "bytes_by_reference",
]
DIRECTIVES = ("bigbulk-threshold", "bigbulk-direct-read")
MISSING = "-"
SERVERS_TEXT = "servers (redis-server and the three ringsides)"
# run.py stops before starting anything unless `ringside --help` lists this directive.
REQUIRED_DIRECTIVE = ("bigbulk-threshold", "the BigBulk set needs BigBulk ingest")


def start_targets(fleet, binary, server_cpus, threads, args=None):
    """redis-server, ringside on io_uring with BigBulk's defaults and with it off, and ringside
    on libevent with the defaults. Returns the Targets and, per ringside target key, the
    BigBulk directives as CONFIG GET reports them. (args, the command line, changes nothing
    here.)"""
    ports = servers.free_ports(4)
    T = servers.Target
    ref = fleet.redis_server("redis-server", ports[0], server_cpus)
    on = fleet.ringside(binary, ports[1], server_cpus, threads, name="ringside-bigbulk-on")
    off = fleet.ringside(binary, ports[2], server_cpus, threads,
                         ["--bigbulk-threshold", "0"], name="ringside-bigbulk-off")
    event = fleet.ringside(binary, ports[3], server_cpus, threads, name="ringside-libevent",
                           backend="libevent")
    targets = [
        T("redis", "redis-server", ports[0], [ports[0]], [ref], reference=True),
        T("ringside-on", "ringside BigBulk on", ports[1], [ports[1]], [on],
          info_sections=(SECTION,)),
        T("ringside-off", "ringside BigBulk off", ports[2], [ports[2]], [off],
          info_sections=(SECTION,)),
        T("ringside-libevent", "ringside libevent BigBulk on", ports[3], [ports[3]], [event],
          info_sections=(SECTION,)),
    ]
    settings = {}
    for t in targets[1:]:
        with t.client() as c:
            reply = c.call("CONFIG", "GET", "bigbulk-*")
        got = {k.decode(): v.decode() for k, v in zip(reply[::2], reply[1::2])}
        settings[t.key] = {d: got.get(d, "?") for d in DIRECTIVES}
        if (got.get("bigbulk-threshold") == "0") != (t.key == "ringside-off"):
            raise RuntimeError(f"{t.label} reports {settings_text(settings[t.key])}: not the "
                               "configuration this target stands for")
    return targets, settings


def settings_text(directives):
    return ", ".join(f"{d} {v}" for d, v in directives.items())


def settings_lines(targets, settings):
    """The header's lines about the servers: every ringside's BigBulk directives."""
    return [f"- **{t.label}:** {settings_text(settings[t.key])}" for t in targets
            if t.key in settings]


def copies_per_value_byte(run):
    """Bytes ringside copied (into BigBulk buffers and through the input buffer) per value byte
    of the phase, from the INFO counters' change; None if a counter is missing."""
    c = run.counters
    if not run.value_bytes or "bigbulk_copied_bytes" not in c or "plain_copied_bytes" not in c:
        return None
    return (c["bigbulk_copied_bytes"] + c["plain_copied_bytes"]) / run.value_bytes


def csv_columns(runs):
    """Extra CSV columns: value bytes, CPU per GB, copies per value byte, and the change of
    every INFO bigbulk counter over the phase (ratios as read after it)."""
    settings = {d.replace("-", "_") for d in DIRECTIVES}   # in the header, not counters
    seen = {name for r in runs for name in r.counters} - settings
    fields = FIELDS + sorted(seen - set(FIELDS))
    cols = [("value_bytes", lambda r: r.value_bytes or None),
            ("server_cpu_s_per_gb",
             lambda r: f"{r.cpu / r.value_bytes * 1e9:.3f}" if r.value_bytes else None),
            ("copies_per_value_byte", lambda r: _fmt(copies_per_value_byte(r), 4))]
    return cols + [(f, lambda r, f=f: r.counters.get(f)) for f in fields]


def _fmt(value, digits):
    return None if value is None else f"{value:.{digits}f}"


def _show(value, digits=2, suffix=""):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{value:,.{digits}f}{suffix}"


def _per_set(runs, field, per="requests"):
    """Median over the rounds of a counter's change per command (per="requests") or per value
    byte (per="value_bytes"); None if the server does not report the counter."""
    return median_or_none(r.counters[field] / getattr(r, per) if field in r.counters else None
                          for r in runs)


def markdown(header_lines, targets, phase_names, cells, chart_name, settings):
    ref, on, off, event = targets
    threshold = settings[on.key]["bigbulk-threshold"]
    threshold = int(threshold) if threshold.isdigit() else 0
    out = list(header_lines)
    out += ["", "| workload | redis-server ops/s | io_uring BigBulk on ops/s (× redis) "
            "| io_uring BigBulk off ops/s (× redis) | libevent BigBulk on ops/s (× redis) "
            "| on ÷ off | server CPU s / GB redis / on / off / libevent "
            "| copies per value byte on / off / libevent "
            "| spread redis / on / off / libevent |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for phase in phase_names:
        c = {t.key: cells[(phase, t.key)] for t in targets}

        def ops(t):
            cell = c[t.key]
            if cell.status != OK:
                return f"**{cell.status}**"
            shown = f"{cell.ops:,.0f}"
            return shown if t.reference else f"{shown} ({_show(cell.ratio)}×)"

        on_off = (ratio_between(c[on.key], c[off.key])
                  if c[on.key].status == OK and c[off.key].status == OK else None)
        cpu = " / ".join(_show(c[t.key].cpu_per_gb) for t in targets)
        spread = " / ".join(_show(100 * c[t.key].spread, 0, "%") for t in targets)
        copies = ""
        if phase.startswith("SET"):
            copies = " / ".join(
                _show(median_or_none(copies_per_value_byte(r) for r in c[t.key].runs)
                      if c[t.key].status == OK else None) for t in (on, off, event))
        out.append(f"| {phase} | {ops(ref)} | {ops(on)} | {ops(off)} | {ops(event)} "
                   f"| {_show(on_off)}{'×' if on_off else ''} | {cpu} | {copies} | {spread} |")
    out += _counter_table(targets, phase_names, cells)
    checks = _checks(targets, phase_names, cells, threshold)
    if checks:
        out += ["", "Counter checks that did not hold (the numbers above stand, the counters or "
                "the path taken may not):", ""] + [f"- {c}" for c in checks]
    out += report.tail_lines(targets, phase_names, cells, ref, chart_name)
    return "\n".join(out)


def _counter_table(targets, phase_names, cells):
    """INFO bigbulk over the SET phases and over the GET phases, per ringside target: medians
    over the rounds."""
    out = ["", "INFO bigbulk over the SET phases (change during the phase, median over the "
           "rounds; - = not reported by this ringside):", "",
           "| workload | target | promotions per SET | promoted bytes per value byte "
           "| direct-read switches per SET | direct-read bytes per value byte "
           "| BigBulk copied bytes per value byte | plain copied bytes per value byte "
           "| reallocs per SET (BigBulk + plain) | cross-shard handoffs per SET |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for phase in (p for p in phase_names if p.startswith("SET")):
        for t in targets[1:]:
            cell = cells[(phase, t.key)]
            if cell.status != OK:
                out.append(f"| {phase} | {t.label} | **{cell.status}** | | | | | | | |")
                continue
            runs = cell.runs
            reallocs = median_or_none(
                (r.counters["bigbulk_reallocs"] + r.counters["plain_reallocs"]) / r.requests
                if "bigbulk_reallocs" in r.counters and "plain_reallocs" in r.counters else None
                for r in runs)
            values = [_per_set(runs, "bigbulk_promotions"),
                      _per_set(runs, "bigbulk_promoted_bytes", "value_bytes"),
                      _per_set(runs, "bigbulk_direct_read_switches"),
                      _per_set(runs, "bigbulk_direct_read_bytes", "value_bytes"),
                      _per_set(runs, "bigbulk_copied_bytes", "value_bytes"),
                      _per_set(runs, "plain_copied_bytes", "value_bytes"), reallocs,
                      _per_set(runs, "bigbulk_cross_shard_handoffs")]
            out.append(f"| {phase} | {t.label} | "
                       + " | ".join(_show(v, 3) for v in values) + " |")
    out += ["", "INFO bigbulk over the GET phases:", "",
            "| workload | target | replies by reference per GET "
            "| bytes by reference per value byte |", "|---|---|---:|---:|"]
    for phase in (p for p in phase_names if p.startswith("GET")):
        for t in targets[1:]:
            cell = cells[(phase, t.key)]
            if cell.status != OK:
                out.append(f"| {phase} | {t.label} | **{cell.status}** | |")
                continue
            values = [_per_set(cell.runs, "replies_by_reference"),
                      _per_set(cell.runs, "bytes_by_reference", "value_bytes")]
            out.append(f"| {phase} | {t.label} | "
                       + " | ".join(_show(v, 3) for v in values) + " |")
    return out


def _checks(targets, phase_names, cells, threshold):
    """What the INFO bigbulk counters should show on a run that went as designed, and did not:
    one line per broken expectation (per target and workload, first round it broke in)."""
    _, on, off, event = targets
    found = []
    for phase in (p for p in phase_names if p.startswith("SET")):
        size = next(g.value_size for g in GROUPS if phase == f"SET {g.name}")
        for t in (on, off, event):
            cell = cells[(phase, t.key)]
            if cell.status != OK:
                continue
            for r in cell.runs:
                c = r.counters
                if "bigbulk_promotions" not in c:
                    continue
                broken = []
                promoted = c["bigbulk_promotions"]
                if t is off and promoted:
                    broken.append(f"{promoted} promotions with bigbulk-threshold 0")
                if t is not off and threshold and size >= threshold and not promoted:
                    broken.append(f"no promotion of {r.requests} values of {size} bytes "
                                  f"(bigbulk-threshold {threshold})")
                pbytes = c.get("bigbulk_promoted_bytes")
                if pbytes is not None and pbytes != promoted * size:
                    broken.append(f"bigbulk_promoted_bytes {pbytes:,} is not promotions "
                                  f"({promoted:,}) × value size ({size:,})")
                direct = c.get("bigbulk_direct_read_bytes")
                if direct is not None and pbytes is not None and direct > pbytes:
                    broken.append(f"bigbulk_direct_read_bytes {direct:,} exceeds "
                                  f"bigbulk_promoted_bytes {pbytes:,}")
                if broken:
                    found.append(f"{t.label}, {phase}, round {r.round}: " + "; ".join(broken))
                    break
    return found


def header_note():
    return ("- **Columns:** ops/s from redis-benchmark; × redis = median over the rounds of "
            "ops/s divided by redis-server's in the same round; on ÷ off = the same between "
            "the two io_uring ringsides; libevent = ringside on io-backend libevent with "
            "BigBulk's defaults; server CPU = utime+stime of the server during the phase, per "
            "10^9 value bytes written or read; copies per value byte = change of INFO "
            "bigbulk's bigbulk_copied_bytes + plain_copied_bytes during the SET phase divided "
            "by the value bytes the phase wrote (- = this ringside does not report them); "
            "spread = (max − min) / median of ops/s over the rounds. FAILED = an error, or "
            "the read-back or integrity check found lost or wrong writes. The CSV holds every "
            "INFO bigbulk counter's change for every phase.")


def chart(png_path, title, targets, phase_names, cells):
    report.chart(png_path, title, targets, phase_names, cells, report.CPU_PER_GB)

