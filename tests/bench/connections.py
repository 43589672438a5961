"""The connections set: what RESP3 and ACL checks cost, in ringside and in redis-server.

One redis-server and one ringside, each measured three ways, interleaved like the standard
set: as the default user over RESP2 (redis-server this way is the reference), over RESP3
(redis-benchmark -3: every connection starts with HELLO 3), and logged in as a user with key
patterns (redis-benchmark --user: every command's keys are matched against the user's
patterns before it runs). The user is the same on both servers:

    bench on >bench-secret ~session:* ~cache:* %R~ro:* ~key:* +@all -@dangerous +config|get

so a benchmark key (key:...) matches the last of four patterns, and FLUSHALL, KEYS and the like
are refused. The read-back and the integrity checks run as the default user, over RESP2.

Workloads: SET then GET of 32 B values at -P 1 and -P 16 (where the per-command cost of the
checks shows most).
"""

import report
import servers
from workloads import Group

GROUPS = [
    Group("32 B", 32, 1, 1, {"smoke": 500, "quick": 60000, "full": 250000}),
    Group("32 B -P 16", 32, 16, 1, {"smoke": 2000, "quick": 600000, "full": 2500000}),
]
USER = "bench"
PASSWORD = "bench-secret"
RULES = ("on", ">" + PASSWORD, "~session:*", "~cache:*", "%R~ro:*", "~key:*", "+@all",
         "-@dangerous", "+config|get")
MODES = (
    ("resp2", "", ()),
    ("resp3", " RESP3", ("-3",)),
    ("acl", " ACL user", ("--user", USER, "-a", PASSWORD)),
)
SERVERS_TEXT = "servers (redis-server and ringside)"
# run.py stops before starting anything unless `ringside --help` lists this directive.
REQUIRED_DIRECTIVE = ("aclfile", "the connections set needs ACL users")


def start_targets(fleet, binary, server_cpus, threads, args=None):
    """redis-server and ringside, each with the bench user, as one target per mode. Returns
    the Targets and, per target key, the redis-benchmark options of its mode."""
    ports = servers.free_ports(2)
    redis = fleet.redis_server("redis-server", ports[0], server_cpus)
    ringside = fleet.ringside(binary, ports[1], server_cpus, threads)
    targets, settings = [], {}
    for mode, shown, bench_args in MODES:
        for name, port, proc in (("redis", ports[0], redis), ("ringside", ports[1], ringside)):
            label = ("redis-server" if name == "redis" else "ringside") + shown
            t = servers.Target(f"{name}-{mode}", label, port, [port], [proc],
                               reference=(name == "redis" and mode == "resp2"),
                               bench_args=bench_args)
            targets.append(t)
            settings[t.key] = " ".join(a if a != PASSWORD else "…" for a in bench_args)
    for port in ports:
        with servers.Client(servers.HOST, port) as c:
            c.call("ACL", "SETUSER", USER, *RULES)
            # The user is there, and its patterns decide: a key outside them is refused.
            who = servers.Client(servers.HOST, port)
            with who:
                who.call("AUTH", USER, PASSWORD)
                who.call("SET", "key:probe", "x")
                try:
                    who.call("SET", "elsewhere", "x")
                except servers.ReplyError:
                    pass
                else:
                    raise RuntimeError(f"port {port}: the bench user may write any key")
            c.call("DEL", "key:probe")
    return targets, settings


def settings_lines(targets, settings):
    rules = " ".join(r if not r.startswith(">") else ">…" for r in RULES)
    lines = [f"- **ACL user (both servers):** `{USER} {rules}`"]
    for t in targets:
        if settings.get(t.key):
            lines.append(f"- **{t.label}:** redis-benchmark `{settings[t.key]}`")
    return lines


def header_note():
    return ("- **Columns:** ops/s, p50 and p99 from redis-benchmark; × = median over the rounds "
            "of ops/s divided by redis-server's (default user, RESP2) ops/s on the same "
            "workload in the same round; server CPU = utime+stime of the server during the "
            "phase, per 100,000 commands; spread = (max − min) / median of ops/s over the "
            "rounds. Compare a row's CPU with the same server's RESP2 row for the cost of "
            "RESP3 or of the ACL check. FAILED = an error, or the read-back or integrity check "
            "found lost or wrong writes.")


def csv_columns(runs):
    return []


def markdown(header_lines, targets, phase_names, cells, chart_name, settings):
    return report.markdown(header_lines, targets, phase_names, cells, chart_name)


def chart(png_path, title, targets, phase_names, cells):
    report.chart(png_path, title, targets, phase_names, cells)
