// A worker's counters for INFO, and what CLIENT LIST shows of one client.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proxy/bigbulk.h"

namespace ringside::proxy {

struct WorkerStats {
  uint64_t commands = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t tls_connections_received = 0;
  int64_t tls_clients = 0;  // connected now, over TLS
  uint64_t cross_shard_sent = 0;      // tasks this worker sent to other workers
  uint64_t cross_shard_received = 0;  // tasks other workers ran here
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  BulkStats bulk;

  WorkerStats& operator+=(const WorkerStats& o) {
    commands += o.commands;
    connections_received += o.connections_received;
    rejected_connections += o.rejected_connections;
    tls_connections_received += o.tls_connections_received;
    tls_clients += o.tls_clients;
    cross_shard_sent += o.cross_shard_sent;
    cross_shard_received += o.cross_shard_received;
    net_input_bytes += o.net_input_bytes;
    net_output_bytes += o.net_output_bytes;
    bulk += o.bulk;
    return *this;
  }
};

// A snapshot of one client for CLIENT LIST / INFO.
struct ClientInfo {
  uint64_t id;
  std::string addr, laddr, name, last_cmd;
  int64_t age_s, idle_s;
  int db;
  size_t qbuf, omem;
  int resp;  // the protocol, 2 or 3
  std::string user;
  std::string flags;  // CLIENT LIST's letters (N for none)
  int64_t redir;      // the tracking redirect: -1 when not tracking
  std::string lib_name, lib_ver;
};

// The client's line in CLIENT LIST and CLIENT INFO, newline included.
std::string FormatClientLine(const ClientInfo& c);

// What MONITOR shows of a command: `+<seconds>.<microseconds> [<db> <addr>] "arg" ...`, with
// the arguments from `redact_from` on (passwords) shown as "(redacted)".
std::string MonitorLine(int64_t now_us, int db, std::string_view addr,
                        std::span<const std::string_view> args, size_t redact_from);

}  // namespace ringside::proxy
