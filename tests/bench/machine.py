"""What the benchmark reports about the machine it ran on: the hardware and kernel, and how
much CPU other processes took meanwhile."""

import datetime
import os
import platform
import subprocess


def description():
    """CPUs, CPU model, RAM, kernel and the time, in one line."""
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
