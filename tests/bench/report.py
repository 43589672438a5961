"""From the runs of every round to the outputs: medians per target and workload, the Markdown
table, the raw runs as CSV, and the gnuplot chart."""

import csv
import math
import os
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field

OK, FAILED, NA = "ok", "FAILED", "n/a"


@dataclass
class Run:
    round: int
    target: str         # Target.key
    phase: str          # Phase.name
    status: str         # OK, FAILED or NA
    requests: int = 0
    ops: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    cpu: float = 0.0
    seconds: float = 0.0
    reason: str = ""
    value_bytes: int = 0    # value bytes the phase wrote or read (requests × keys × size)
    counters: dict = field(default_factory=dict)   # workloads.counter_changes over the phase


@dataclass
class Cell:
    """One target on one workload, summarised over the rounds."""
    status: str
    reason: str = ""
    ops: float = math.nan
    p50: float = math.nan
    p99: float = math.nan
    cpu_per_100k: float = math.nan
    cpu_per_gb: float = math.nan   # server CPU seconds per 10^9 value bytes
    spread: float = math.nan     # (max - min) / median of ops/s over the rounds
    ratio: float = math.nan      # median over rounds of ops / the reference's ops in that round
    runs: list = field(default_factory=list)


def summarise(runs, targets, phase_names):
    """{(phase, target key): Cell}, the reference's ratio being 1."""
    cells = {}
    for phase in phase_names:
        for t in targets:
            mine = [r for r in runs if r.phase == phase and r.target == t.key]
            cells[(phase, t.key)] = _cell(mine)
        ref = next(t for t in targets if t.reference)
        ref_cell = cells[(phase, ref.key)]
        if ref_cell.status != OK:
            continue
        ref_ops = {r.round: r.ops for r in ref_cell.runs}
        for t in targets:
            cell = cells[(phase, t.key)]
            # Per-round ratios cancel the machine's drift between rounds, which on a shared
            # VM can be larger than the differences being measured.
            ratios = [r.ops / ref_ops[r.round] for r in cell.runs
                      if ref_ops.get(r.round, 0) > 0]
            if cell.status == OK and ratios:
                cell.ratio = statistics.median(ratios)
    return cells


def _cell(runs):
    if not runs:
        return Cell(NA, "not run")
    for status in (NA, FAILED):
        bad = [r for r in runs if r.status == status]
        if bad:
            rounds = ", ".join(str(r.round) for r in bad)
            return Cell(status, f"round {rounds}: {bad[0].reason}", runs=runs)
    ops = [r.ops for r in runs]
    median_ops = statistics.median(ops)
    return Cell(
        OK, ops=median_ops,
        p50=statistics.median(r.p50 for r in runs),
        p99=statistics.median(r.p99 for r in runs),
        cpu_per_100k=statistics.median(r.cpu / r.requests * 1e5 for r in runs),
        cpu_per_gb=(statistics.median(r.cpu / r.value_bytes * 1e9 for r in runs)
                    if all(r.value_bytes for r in runs) else math.nan),
        spread=(max(ops) - min(ops)) / median_ops if median_ops else math.nan,
        runs=runs)


def median_or_none(values):
    """Median of the values, or None if there are none or any is None."""
    values = list(values)
    if not values or any(v is None for v in values):
        return None
    return statistics.median(values)


def ratio_between(a, b):
    """Median over the rounds of Cell a's ops/s divided by Cell b's in the same round (None if
    no round has both)."""
    b_ops = {r.round: r.ops for r in b.runs}
    return median_or_none(r.ops / b_ops[r.round] for r in a.runs if b_ops.get(r.round))


def write_runs_csv(path, runs, extra_columns=()):
    """One row per run. extra_columns: (name, function of a Run giving a value or None) for
    columns after the common ones; None is written as an empty field."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["round", "target", "workload", "status", "requests", "ops_per_s", "p50_ms",
                    "p99_ms", "server_cpu_s", "seconds", "reason"]
                   + [name for name, _ in extra_columns])
        for r in runs:
            extra = [value(r) for _, value in extra_columns]
            w.writerow([r.round, r.target, r.phase, r.status, r.requests, f"{r.ops:.2f}",
                        f"{r.p50:.3f}", f"{r.p99:.3f}", f"{r.cpu:.2f}", f"{r.seconds:.2f}",
                        r.reason] + ["" if v is None else v for v in extra])


def _num(value, digits=0):
    return "" if math.isnan(value) else f"{value:,.{digits}f}"


def markdown(header_lines, targets, phase_names, cells, chart_name):
    ref = next(t for t in targets if t.reference)
    out = list(header_lines)
    out += ["", f"| workload | target | ops/s | p50 ms | p99 ms | × {ref.label} "
            "| server CPU s / 100k ops | spread |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for phase in phase_names:
        for t in targets:
            c = cells[(phase, t.key)]
            if c.status == OK:
                out.append(f"| {phase} | {t.label} | {_num(c.ops)} | {_num(c.p50, 3)} "
                           f"| {_num(c.p99, 3)} | {_num(c.ratio, 2)} | {_num(c.cpu_per_100k, 2)} "
                           f"| {_num(100 * c.spread)}% |")
            else:
                out.append(f"| {phase} | {t.label} | **{c.status}** | | | | | |")
    out += tail_lines(targets, phase_names, cells, ref, chart_name)
    return "\n".join(out)


def tail_lines(targets, phase_names, cells, ref, chart_name, caption=None):
    """The end of a results table: why a cell has no number, then the chart (caption: its
    alternative text, by default the standard chart's)."""
    out = []
    problems = [(p, t, cells[(p, t.key)]) for p in phase_names for t in targets
                if cells[(p, t.key)].status != OK]
    if problems:
        out += ["", "Cells without a number:", ""]
        for phase, t, c in problems:
            out.append(f"- {t.label}, {phase}: {c.status} — {c.reason.splitlines()[0]}")
    caption = caption or f"throughput relative to {ref.label}, and CPU cost"
    out += ["", f"![{caption}]({chart_name})", ""]
    return out


CPU_PER_100K = ("Server CPU seconds per 100k operations (log scale; nutcracker = proxy + its "
                "redis-server)", "CPU s / 100k ops", lambda c: c.cpu_per_100k)
CPU_PER_GB = ("Server CPU seconds per GB of values written or read (log scale)", "CPU s / GB",
              lambda c: c.cpu_per_gb)


def chart(png_path, title, targets, phase_names, cells, cpu=CPU_PER_100K):
    """Two panels: throughput ratio to the reference per workload (grouped bars, one per
    non-reference target), and server CPU for every target: cpu is (panel title, axis label,
    value of a Cell), CPU_PER_100K or CPU_PER_GB."""
    cpu_title, cpu_label, cpu_value = cpu
    others = [t for t in targets if not t.reference]
    with tempfile.TemporaryDirectory(prefix="ringside-chart-") as tmp:
        ratio_dat = os.path.join(tmp, "ratio.dat")
        cpu_dat = os.path.join(tmp, "cpu.dat")
        write_dat(ratio_dat, phase_names, others, cells, lambda c: c.ratio)
        write_dat(cpu_dat, phase_names, targets, cells, cpu_value)
        ref = next(t for t in targets if t.reference)
        ratio_plot = _series(ratio_dat, others, targets)
        cpu_plot = _series(cpu_dat, targets, targets)
        script = f"""
set terminal pngcairo size 1400,1000 font "sans,10"
set output '{png_path}'
set datafile separator "\\t"
set datafile missing "NaN"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top right
set grid ytics
set xtics rotate by -30 scale 0
set rmargin 12
set bmargin 7
set multiplot layout 2,1 title "{title}"
set title "Throughput relative to {ref.label} in the same run\
 (1.0 = {ref.label}; no bar = FAILED or n/a)"
set ylabel "ops/s ÷ {ref.label} ops/s"
set yrange [0:*]
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 linewidth 2 \
    linecolor rgb "black"
plot {ratio_plot}
unset arrow 1
set title "{cpu_title}"
set ylabel "{cpu_label}"
set logscale y
set yrange [*:*]
plot {cpu_plot}
unset multiplot
"""
        done = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"gnuplot failed: {done.stderr.strip()}")


# One colour per target, the same in both panels.
COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]


def _series(dat, shown, targets):
    return ", ".join(
        f"'{dat}' using {i + 2}:xtic(1) title columnheader({i + 2}) "
        f"linecolor rgb '{COLOURS[targets.index(t) % len(COLOURS)]}'"
        for i, t in enumerate(shown))


def write_dat(path, phase_names, targets, cells, value):
    """A gnuplot data file: a row per workload, a column per target of value(Cell)."""
    with open(path, "w") as f:
        f.write("workload\t" + "\t".join(t.label for t in targets) + "\n")
        for phase in phase_names:
            vals = []
            for t in targets:
                v = value(cells[(phase, t.key)])
                vals.append("NaN" if math.isnan(v) else f"{v:.4f}")
            f.write(phase + "\t" + "\t".join(vals) + "\n")
