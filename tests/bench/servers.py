"""Starting, watching and stopping the servers under test.

Every process the harness starts is a Proc: started in its own session (so a Ctrl-C in the
terminal reaches the harness, which then stops it in order) with PR_SET_PDEATHSIG (so it also
dies if the harness is killed outright), pinned with taskset when a CPU list is given, and
logging to a file in the run's temporary folder. A Fleet owns the Procs of one run and stops
them all when it is closed, whatever happened.
"""

import ctypes
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

from resp_client import Client, ReplyError

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# How long a write phase's records may take to reach the upstream before the run calls it lost.
UPSTREAM_CATCH_UP_S = 120


class StartError(Exception):
    """A server did not come up; the message carries the tail of its log."""


def free_ports(count):
    """Ports that were free on the loopback a moment ago, all different."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def lists_directive(binary, directive):
    """Whether `binary --help` (ringside's) lists the configuration directive."""
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    return f"  {directive} " in help_text


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def format_cpus(cpus):
    return ",".join(str(c) for c in sorted(cpus))


class Proc:
    def __init__(self, name, argv, log_path, cpus=None):
        self.name = name
        self.cpus = cpus
        # taskset execs the program, so the pid we get is the server's own pid.
        self.argv = (["taskset", "-c", format_cpus(cpus)] if cpus else []) + list(argv)
        self.log_path = log_path
        self._popen = None

    def start(self):
        log = open(self.log_path, "ab")
        try:
            self._popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True,
                                           preexec_fn=_die_with_parent)
        finally:
            log.close()

    @property
    def pid(self):
        return self._popen.pid

    def exit_code(self):
        """None while running, else the exit status (negative: killed by that signal)."""
        return self._popen.poll() if self._popen else None

    def cpu_seconds(self):
        """utime + stime of the whole process (all its threads) so far."""
        with open(f"/proc/{self.pid}/stat") as f:
            # The command name may hold spaces and parentheses; fields restart after the last ')'.
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def affinity(self):
        try:
            return format_cpus(os.sched_getaffinity(self.pid))
        except OSError:
            return "?"

    def log_tail(self, lines=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace=10.0):
        if not self._popen or self._popen.poll() is not None:
            return
        self._popen.send_signal(signal.SIGTERM)
        try:
            self._popen.wait(grace)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()


@dataclass
class Target:
    """One column of the comparison: where the load goes, where the data ends up (the stores
    that the read-back checks and FLUSHALL empties), whose CPU time is the cost."""
    key: str
    label: str
    port: int
    store_ports: list
    procs: list = field(default_factory=list)
    reference: bool = False
    info_sections: tuple = ()   # INFO sections whose counters each write phase records
    request_scale: float = 1.0  # of every workload's request count, for a slow configuration
    after_write: object = None  # function(Target) -> failure text or "", after each write
                                # phase's read-back, while its keys are still there
    before_read_back: object = None  # function(Target) -> failure text or "", after each
                                     # write phase, before its read-back
    data_dir: str = ""          # the --dir of its server, if the set gives it one of its own
    bench_args: tuple = ()      # redis-benchmark options of this target (-3, --user ...)
    control_port: int = 0       # where the harness's own clients go when `port` speaks TLS

    def client(self):
        return Client(HOST, self.control_port or self.port)

    def store_client(self, port):
        return Client(HOST, port)

    def cpu_seconds(self):
        return sum(p.cpu_seconds() for p in self.procs)

    def dead(self):
        """A description of the first process of this target that has exited, or None."""
        for p in self.procs:
            code = p.exit_code()
            if code is not None:
                tail = p.log_tail()
                return f"{p.name} exited with status {code}" + (f"; log:\n{tail}" if tail else "")
        return None


def upstream_caught_up(t):
    """Waits for ringside to have every record of the phase acknowledged by its upstream;
    returns a failure text if that does not happen in time."""
    deadline = time.monotonic() + UPSTREAM_CATCH_UP_S
    fields = {}
    while time.monotonic() < deadline:
        with t.client() as c:
            text = c.call("INFO", "upstream").decode(errors="replace")
        fields = dict(line.strip().split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("upstream_link_status") == "up" and \
                fields.get("upstream_pending_records") == "0":
            return ""
        time.sleep(0.05)
    return (f"the upstream had not acknowledged every write {UPSTREAM_CATCH_UP_S} s after the "
            f"phase: link {fields.get('upstream_link_status')}, "
            f"{fields.get('upstream_pending_records')} records pending")



class Fleet:
    """Owns every process of a run; closing it stops them (last started first)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        while self.procs:
            self.procs.pop().stop()

    def spawn(self, name, argv, cpus):
        proc = Proc(name, argv, os.path.join(self.workdir, f"{name}.log"), cpus)
        self.procs.append(proc)
        proc.start()
        return proc

    def redis_server(self, name, port, cpus, extra_args=(), data_dir=None):
        """redis-server without persistence unless extra_args (applied last) turn it on; its
        files go to data_dir (default: the run's folder)."""
        proc = self.spawn(name, [
            "redis-server", "--bind", HOST, "--port", str(port), "--save", "", "--appendonly",
            "no", "--daemonize", "no", "--loglevel", "warning",
            "--dir", data_dir or self.workdir, *extra_args,
        ], cpus)
        _wait_ready(proc, port)
        _check_identity(proc, port)
        return proc

    def ringside(self, binary, port, cpus, threads, extra_args=(), name="ringside",
                 backend="io_uring", data_dir=None):
        """ringside on `backend` (its io-backend); refuses to go on if it serves on another.
        Its files go to data_dir (default: the run's folder)."""
        proc = self.spawn(name, [
            binary, "--bind", HOST, "--port", str(port), "--threads", str(threads),
            "--loglevel", "warning", "--dir", data_dir or self.workdir, "--io-backend", backend,
            *extra_args,
        ], cpus)
        _wait_ready(proc, port)
        _check_identity(proc, port)
        _check_backend(proc, port, backend)
        return proc

    def nutcracker(self, port, stats_port, backend_port, cpus):
        conf = os.path.join(self.workdir, "nutcracker.yml")
        with open(conf, "w") as f:
            f.write(
                "bench:\n"
                f"  listen: {HOST}:{port}\n"
                "  redis: true\n"
                "  hash: fnv1a_64\n"
                "  distribution: ketama\n"
                "  auto_eject_hosts: false\n"
                "  preconnect: true\n"
                "  servers:\n"
                f"    - {HOST}:{backend_port}:1\n")
        proc = self.spawn("nutcracker", [
            "nutcracker", "-c", conf, "-s", str(stats_port), "-a", HOST, "-v", "4",
            "-o", os.path.join(self.workdir, "nutcracker.log"),
        ], cpus)
        _wait_proxy_ready(proc, port)
        return proc


def _poll_ready(proc, port, probe, what, timeout=15.0, interval=0.05):
    """Until probe(client) is true; raises StartError if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.exit_code() is not None:
            raise StartError(f"{proc.name} exited with status {proc.exit_code()} while starting:"
                             f"\n{proc.log_tail()}")
        try:
            with Client(HOST, port, timeout=2.0) as c:
                if probe(c):
                    return
        except (OSError, ReplyError) as e:
            last = e
        time.sleep(interval)
    raise StartError(f"{proc.name} did not {what} on port {port} within {timeout:.0f} s "
                     f"({last}):\n{proc.log_tail()}")


def _wait_ready(proc, port, timeout=15.0):
    """Until the server answers PING."""
    _poll_ready(proc, port, lambda c: c.call("PING") == b"PONG", "answer PING", timeout)


def _check_backend(proc, port, backend):
    with Client(HOST, port) as c:
        info = c.call("INFO", "reactor").decode(errors="replace")
    used = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                 if line.startswith("io_backend:")), "unknown")
    if used != backend:
        raise StartError(f"{proc.name} serves on io-backend {used}, not {backend}")


def _check_identity(proc, port):
    """The port must be served by our process: SO_REUSEPORT lets a stray server share it."""
    with Client(HOST, port) as c:
        info = c.call("INFO", "server").decode(errors="replace")
    for line in info.splitlines():
        if line.startswith("process_id:"):
            if int(line.split(":", 1)[1]) != proc.pid:
                raise StartError(f"port {port} is answered by process {line.split(':')[1]}, "
                                 f"not by the {proc.name} the harness started (pid {proc.pid})")
            return
    raise StartError(f"{proc.name} on port {port}: INFO server has no process_id")


def _wait_proxy_ready(proc, port, timeout=15.0):
    """nutcracker accepts before it has a working backend link: ready means a SET and a GET
    went through it to the backend and back."""
    probe_key, probe_value = "bench:ready-probe", "ready-%d" % os.getpid()

    def probe(c):
        c.call("SET", probe_key, probe_value)
        if c.call("GET", probe_key) != probe_value.encode():
            return False
        c.call("DEL", probe_key)
        return True

    _poll_ready(proc, port, probe, "pass a SET/GET through to its backend", timeout, 0.1)
