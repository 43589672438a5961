"""The TLS set: what TLS costs, for clients and for write-through, in ringside and in
redis-server.

For clients: one redis-server and one ringside, each serving the same data on a plain port
and on a TLS port (tls-auth-clients no, the certificates of tests/integration/tls_certs.py),
measured over each; redis-server over TLS is the reference. redis-benchmark --tls opens its
50 connections once per phase, so the columns show the cost of encrypting, not of handshakes.

For write-through: ringside with its clients on plain TCP, in front of a redis-server, once
with the link to it over TLS (upstream-tls yes) and once in plaintext; the server CPU of these
two targets is ringside's and its upstream's together, so the difference is what TLS on the
link costs both ends. The read-back checks both stores: the upstream must hold every write.

Workloads: SET then GET of 32 B values at -P 1 and -P 16, and of 16 KiB values at -P 1.
"""

import os
import sys

import connections
import servers
from workloads import Group

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "integration"))
import tls_certs  # noqa: E402

GROUPS = [
    Group("32 B", 32, 1, 1, {"smoke": 500, "quick": 60000, "full": 250000}),
    Group("32 B -P 16", 32, 16, 1, {"smoke": 2000, "quick": 600000, "full": 2500000}),
    Group("16 KiB", 16384, 1, 1, {"smoke": 200, "quick": 20000, "full": 80000}),
]
SERVERS_TEXT = ("servers (redis-server and ringside, each on a plain and a TLS port, and two "
                "ringside in front of a redis-server each)")
# run.py stops before starting anything unless `ringside --help` lists this directive.
REQUIRED_DIRECTIVE = ("upstream-tls", "the TLS set needs TLS to the upstream")


def start_targets(fleet, binary, server_cpus, threads, args=None):
    """The six targets, redis-server over TLS first (the reference). Returns them and, per
    target key, the redis-benchmark options it is measured with."""
    certs = tls_certs.generate(os.path.join(fleet.workdir, "certs"))
    serve_tls = ("--tls-cert-file", certs.server_crt, "--tls-key-file", certs.server_key,
                 "--tls-ca-cert-file", certs.ca_crt, "--tls-auth-clients", "no")
    bench_tls = ("--tls", "--cacert", certs.ca_crt)
    (redis_port, redis_tls, rs_port, rs_tls, up_tls_plain, up_tls, wt_tls, up_plain,
     wt_plain) = servers.free_ports(9)
    T = servers.Target
    redis = fleet.redis_server("redis-server", redis_port, server_cpus,
                               ("--tls-port", str(redis_tls), *serve_tls))
    ringside = fleet.ringside(binary, rs_port, server_cpus, threads,
                              ("--tls-port", str(rs_tls), *serve_tls))
    targets = [
        T("redis-tls", "redis-server TLS", redis_tls, [redis_port], [redis], reference=True,
          bench_args=bench_tls, control_port=redis_port),
        T("ringside-tls", "ringside TLS", rs_tls, [rs_port], [ringside], bench_args=bench_tls,
          control_port=rs_port),
        T("redis", "redis-server", redis_port, [redis_port], [redis]),
        T("ringside", "ringside", rs_port, [rs_port], [ringside]),
    ]
    shown = lambda args: " ".join(os.path.basename(a) if a.startswith("/") else a  # noqa: E731
                                  for a in args)
    settings = {t.key: shown(t.bench_args) for t in targets}
    for key, label, up_port, up_tls_port, wt_port in (
            ("ringside-upstream-tls", "ringside → redis-server over TLS", up_tls_plain, up_tls,
             wt_tls),
            ("ringside-upstream", "ringside → redis-server", up_plain, None, wt_plain)):
        data_dir = os.path.join(fleet.workdir, key)
        os.makedirs(data_dir, exist_ok=True)
        extra = ("--tls-port", str(up_tls_port), *serve_tls) if up_tls_port else ()
        up = fleet.redis_server(f"{key}-redis-server", up_port, server_cpus, extra)
        link = (["--upstream", f"localhost:{up_tls_port}", "--upstream-tls", "yes",
                 "--upstream-tls-ca-cert-file", certs.ca_crt] if up_tls_port else
                ["--upstream", f"{servers.HOST}:{up_port}"])
        rs = fleet.ringside(binary, wt_port, server_cpus, threads, link, name=key,
                            data_dir=data_dir)
        targets.append(T(key, label, wt_port, [wt_port, up_port], [rs, up],
                         info_sections=("upstream",),
                         before_read_back=servers.upstream_caught_up))
        settings[key] = shown(link)
    return targets, settings


def settings_lines(targets, settings):
    lines = ["- **Certificates:** EC P-256, made by tests/integration/tls_certs.py; "
             "tls-auth-clients no"]
    for t in targets:
        if settings.get(t.key):
            lines.append(f"- **{t.label}:** `{settings[t.key]}`")
    return lines


def header_note():
    return ("- **Columns:** ops/s, p50 and p99 from redis-benchmark; × = median over the rounds "
            "of ops/s divided by redis-server's over TLS on the same workload in the same "
            "round; server CPU = utime+stime of the target's servers during the phase, per "
            "100,000 commands (for ringside → redis-server, both processes); spread = (max − "
            "min) / median of ops/s over the rounds. Compare a TLS row's CPU with the same "
            "server's plain row for the cost of TLS. FAILED = an error, or the read-back or "
            "integrity check found lost or wrong writes.")


# The same plain table and chart as the connections set.
csv_columns = connections.csv_columns
markdown = connections.markdown
chart = connections.chart
