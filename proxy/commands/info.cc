#include "proxy/commands/info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "proxy/commands/args.h"
#include "proxy/commands/docs.h"
#include "proxy/connection.h"
#include "proxy/server.h"
#include "proxy/worker.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

// What one worker reports for INFO.
struct WorkerSnapshot {
  WorkerStats stats;
  shards::StoreStats store;
  size_t used_bytes = 0;
  size_t keys = 0;
  uint64_t ops_per_sec = 0;
  ReactorStats reactor;
  backend::AofStats aof;
  backend::RewriteStats rewrite;
  backend::UpstreamStats upstream;
  std::string upstream_state, upstream_error;
  std::string upstream_tls_version, upstream_tls_cipher;  // of the write-through link
  backend::ReadThroughStats read_through;
  std::string invalidation_state;
  struct DbCounts {
    size_t keys = 0, expires = 0;
    int64_t avg_ttl = 0;
  };
  std::vector<DbCounts> dbs;
};

WorkerSnapshot Snapshot(Worker& w) {
  WorkerSnapshot s;
  s.stats = w.stats();
  s.store = w.store().stats();
  s.used_bytes = w.store().UsedBytes();
  s.ops_per_sec = w.ops_per_sec();
  s.reactor = w.reactor().stats();
  const backend::ShardBackend& b = w.backend();
  if (b.aof() != nullptr) s.aof = b.aof()->stats();
  if (w.rewriter() != nullptr) s.rewrite = w.rewriter()->stats();
  if (const backend::UpstreamConnection* u = b.upstream()) {
    s.upstream = b.link()->stats();
    s.upstream_state = u->state();
    s.upstream_tls_version = u->tls_version();
    s.upstream_tls_cipher = u->tls_cipher();
    s.upstream_error = b.link()->last_error();
    if (const backend::ReadThrough* rt = w.read_through()) {
      s.read_through = rt->stats();
      s.invalidation_state = rt->invalidation_state();
    }
    if (s.upstream_error.empty()) s.upstream_error = u->connect_error();
    if (const backend::UpstreamJournal* j = b.journal(); j != nullptr && j->file() != nullptr) {
      s.upstream.journal_bytes = j->file()->stats().current_size;
      s.upstream.journal_compactions = j->compactions();
    }
    s.upstream.lag_ms = b.upstream_lag_ms();
  }
  for (int db = 0; db < w.store().num_dbs(); ++db) {
    WorkerSnapshot::DbCounts c{w.store().KeyCount(db), w.store().ExpiresCount(db),
                               w.store().AvgTtlMs(db)};
    s.keys += c.keys;
    s.dbs.push_back(c);
  }
  return s;
}

std::string Human(uint64_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  if (bytes < 1024) {
    std::snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(bytes));
  } else if (bytes < 1024ull * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fK", b / 1024);
  } else if (bytes < 1024ull * 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fM", b / (1024.0 * 1024));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fG", b / (1024.0 * 1024 * 1024));
  }
  return buf;
}

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

const std::string& RunId() {
  static const std::string id = [] {
    std::random_device rd;
    std::mt19937_64 gen(rd());
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(40, '0');
    for (char& c : s) c = kHex[gen() % 16];
    return s;
  }();
  return id;
}

class InfoBuilder {
 public:
  InfoBuilder(std::vector<std::string> wanted) : wanted_(std::move(wanted)) {}
  bool Wants(std::string_view section, bool in_default) const {
    if (wanted_.empty()) return in_default;
    for (const auto& w : wanted_) {
      if (w == section || w == "all" || w == "everything" || (w == "default" && in_default)) {
        return true;
      }
    }
    return false;
  }
  void Section(std::string_view title) {
    if (!text_.empty()) text_ += "\r\n";
    text_ += "# ";
    text_ += title;
    text_ += "\r\n";
  }
  template <class T>
  void Field(std::string_view name, const T& value) {
    text_ += name;
    text_ += ':';
    if constexpr (std::is_arithmetic_v<T>) {
      text_ += std::to_string(value);
    } else {
      text_ += value;
    }
    text_ += "\r\n";
  }
  std::string& text() { return text_; }

 private:
  std::vector<std::string> wanted_;
  std::string text_;
};

std::string BuildInfo(Worker& w, const std::vector<std::string>& sections,
                      const std::vector<WorkerSnapshot>& snaps) {
  Server& server = w.server();
  const ServerConfig cfg = server.ConfigSnapshot();
  InfoBuilder b(sections);
  WorkerStats total;
  ReactorStats reactor_total;
  shards::StoreStats store_total;
  size_t used = 0;
  uint64_t ops = 0;
  for (const auto& s : snaps) {
    total += s.stats;
    reactor_total += s.reactor;
    store_total.expired_keys += s.store.expired_keys;
    store_total.evicted_keys += s.store.evicted_keys;
    store_total.keyspace_hits += s.store.keyspace_hits;
    store_total.keyspace_misses += s.store.keyspace_misses;
    used += s.used_bytes;
    ops += s.ops_per_sec;
  }
  const int64_t now_ms = w.store().NowMs();
  const int64_t uptime = (now_ms - server.start_time_ms()) / 1000;

  if (b.Wants("server", true)) {
    utsname u{};
    uname(&u);
    b.Section("Server");
    b.Field("redis_version", std::string(kRedisCompatVersion));
    b.Field("ringside_version", std::string(RINGSIDE_VERSION));
    b.Field("redis_mode", std::string("standalone"));
    b.Field("os", std::string(u.sysname) + " " + u.release + " " + u.machine);
    b.Field("arch_bits", 64);
    b.Field("multiplexing_api", std::string(w.reactor().name()));
    b.Field("process_id", static_cast<int64_t>(getpid()));
    b.Field("run_id", RunId());
    b.Field("tcp_port", cfg.port);
    b.Field("server_time_usec", now_ms * 1000);
    b.Field("uptime_in_seconds", uptime);
    b.Field("uptime_in_days", uptime / 86400);
    b.Field("hz", cfg.hz);
    b.Field("threads", w.num_workers());
    b.Field("executable", server.executable());
    b.Field("config_file", server.config_file());
  }
  if (b.Wants("clients", true)) {
    b.Section("Clients");
    b.Field("connected_clients", server.connected_clients());
    b.Field("maxclients", cfg.maxclients);
    b.Field("blocked_clients", 0);
    b.Field("tracking_clients", 0);
    b.Field("tls_connected_clients", total.tls_clients);
  }
  if (b.Wants("memory", true)) {
    const uint64_t rss = ResidentBytes();
    b.Section("Memory");
    b.Field("used_memory", static_cast<uint64_t>(used));
    b.Field("used_memory_human", Human(used));
    b.Field("used_memory_rss", rss);
    b.Field("used_memory_rss_human", Human(rss));
    b.Field("maxmemory", cfg.maxmemory);
    b.Field("maxmemory_human", Human(static_cast<uint64_t>(cfg.maxmemory)));
    std::string policy;
    FormatDirective(cfg, "maxmemory-policy", &policy);
    b.Field("maxmemory_policy", policy);
    char ratio[32];
    std::snprintf(ratio, sizeof(ratio), "%.2f",
                  used == 0 ? 0.0 : static_cast<double>(rss) / static_cast<double>(used));
    b.Field("mem_fragmentation_ratio", std::string(ratio));
  }
  if (b.Wants("persistence", true)) {
    b.Section("Persistence");
    backend::AofStats aof;
    backend::RewriteStats rw;
    rw.last_ms = -1;
    for (const auto& s : snaps) {
      aof += s.aof;
      rw.in_progress = rw.in_progress || s.rewrite.in_progress;
      rw.scheduled = rw.scheduled || s.rewrite.scheduled;
      rw.last_ok = rw.last_ok && s.rewrite.last_ok;
      rw.last_ms = std::max(rw.last_ms, s.rewrite.last_ms);
      rw.current_ms = std::max(rw.current_ms, s.rewrite.current_ms);
      rw.rewrites += s.rewrite.rewrites;
    }
    b.Field("loading", 0);
    b.Field("async_loading", 0);
    b.Field("rdb_changes_since_last_save", 0);
    b.Field("rdb_bgsave_in_progress", 0);
    b.Field("rdb_last_bgsave_status", std::string("ok"));
    b.Field("aof_enabled", cfg.appendonly ? 1 : 0);
    b.Field("aof_rewrite_in_progress", rw.in_progress ? 1 : 0);
    b.Field("aof_rewrite_scheduled", rw.scheduled ? 1 : 0);
    b.Field("aof_last_rewrite_time_sec", rw.last_ms < 0 ? -1 : rw.last_ms / 1000);
    b.Field("aof_current_rewrite_time_sec", rw.current_ms < 0 ? -1 : rw.current_ms / 1000);
    b.Field("aof_last_bgrewrite_status", std::string(rw.last_ok ? "ok" : "err"));
    b.Field("aof_rewrites", rw.rewrites);
    b.Field("aof_last_write_status", std::string(aof.write_ok ? "ok" : "err"));
    if (cfg.appendonly) {
      b.Field("aof_current_size", aof.current_size);
      b.Field("aof_base_size", aof.base_size);
      b.Field("aof_pending_rewrite", 0);
      b.Field("aof_buffer_length", aof.buffer_length);
      b.Field("aof_pending_bio_fsync", aof.fsync_in_flight ? 1 : 0);
      b.Field("aof_delayed_fsync", 0);
      // ringside's own: the shards' files together.
      b.Field("aof_shards", static_cast<int64_t>(snaps.size()));
      b.Field("aof_fsync_lag_ms", aof.fsync_lag_ms);
      b.Field("aof_writes", aof.writes);
      b.Field("aof_fsyncs", aof.fsyncs);
      b.Field("aof_write_errors", aof.write_errors);
      b.Field("aof_last_write_error",
              std::string(aof.write_ok ? "" : std::strerror(aof.last_errno)));
    }
  }
  if (b.Wants("stats", true)) {
    b.Section("Stats");
    b.Field("total_connections_received", total.connections_received);
    b.Field("total_commands_processed", total.commands);
    b.Field("instantaneous_ops_per_sec", ops);
    b.Field("total_net_input_bytes", total.net_input_bytes);
    b.Field("total_net_output_bytes", total.net_output_bytes);
    b.Field("rejected_connections", total.rejected_connections);
    b.Field("expired_keys", store_total.expired_keys);
    b.Field("evicted_keys", store_total.evicted_keys);
    b.Field("keyspace_hits", store_total.keyspace_hits);
    b.Field("keyspace_misses", store_total.keyspace_misses);
    b.Field("cross_shard_messages", total.cross_shard_sent);
    b.Field("total_tls_connections_received", total.tls_connections_received);
    b.Field("tls_handshake_failures", reactor_total.tls_accept_failures);
  }
  if (b.Wants("replication", true)) {
    b.Section("Replication");
    b.Field("role", std::string("master"));
    b.Field("connected_slaves", 0);
  }
  if (b.Wants("cpu", true)) {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    char buf[32];
    b.Section("CPU");
    std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(ru.ru_stime.tv_sec),
                  static_cast<long>(ru.ru_stime.tv_usec));
    b.Field("used_cpu_sys", std::string(buf));
    std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(ru.ru_utime.tv_sec),
                  static_cast<long>(ru.ru_utime.tv_usec));
    b.Field("used_cpu_user", std::string(buf));
  }
  if (b.Wants("shards", true)) {
    b.Section("Shards");
    for (size_t i = 0; i < snaps.size(); ++i) {
      const auto& s = snaps[i];
      b.Field("shard" + std::to_string(i),
              "keys=" + std::to_string(s.keys) + ",used_memory=" + std::to_string(s.used_bytes) +
                  ",commands=" + std::to_string(s.stats.commands) +
                  ",cross_shard_sent=" + std::to_string(s.stats.cross_shard_sent) +
                  ",cross_shard_received=" + std::to_string(s.stats.cross_shard_received));
    }
  }
  if (b.Wants("reactor", true)) {
    const ReactorStats& r = reactor_total;
    b.Section("Reactor");
    b.Field("io_backend", std::string(w.reactor().name()));
    b.Field("recv_rearms", r.recv_rearms);
    b.Field("recv_enobufs", r.recv_enobufs);
    b.Field("short_sends", r.short_sends);
    b.Field("sq_full", r.sq_full);
    b.Field("peer_resets", r.peer_resets);
    b.Field("read_pauses", r.read_pauses);
    b.Field("direct_reads", r.direct_reads);
    b.Field("single_reads", r.single_reads);
    b.Field("tls_direct_reads", r.tls_direct_reads);
  }
  if (b.Wants("upstream", true)) {
    b.Section("Upstream");
    backend::UpstreamStats u;
    // The link is up when every shard's is; the first shard with an error names it.
    std::string state = cfg.upstream.empty() ? "none" : "up";
    std::string error;
    int shards_up = 0;
    // Every shard's invalidation connection is up, or the first that is not says what it is.
    std::string invalidation = cfg.upstream.empty() || !cfg.upstream_read_through ? "none" : "up";
    backend::ReadThroughStats rt;
    for (const auto& s : snaps) {
      u += s.upstream;
      rt.loads += s.read_through.loads;
      rt.load_misses += s.read_through.load_misses;
      rt.invalidations += s.read_through.invalidations;
      rt.passed_through += s.read_through.passed_through;
      rt.tracking_losses += s.read_through.tracking_losses;
      if (invalidation == "up" && s.invalidation_state != "up") {
        invalidation = s.invalidation_state;
      }
      if (s.upstream_state == "up") {
        ++shards_up;
      } else if (!cfg.upstream.empty()) {
        state = s.upstream_state;
      }
      if (error.empty()) error = s.upstream_error;
    }
    b.Field("upstream", cfg.upstream);
    b.Field(
        "upstream_write_policy",
        std::string(cfg.upstream_write_policy == UpstreamWritePolicy::kSync ? "sync" : "async"));
    b.Field("upstream_link_status", state);
    b.Field("upstream_shards_up", shards_up);
    b.Field("upstream_pending_records", u.pending_records);
    b.Field("upstream_pending_bytes", u.pending_bytes);
    b.Field("upstream_spilled_records", u.spilled_records);
    b.Field("upstream_journal_bytes", u.journal_bytes);
    b.Field("upstream_journal_compactions", u.journal_compactions);
    b.Field("upstream_acked_records", u.acked_records);
    b.Field("upstream_lag_ms", u.lag_ms);
    b.Field("upstream_record_errors", u.record_errors);
    b.Field("upstream_sent_bytes", u.sent_bytes);
    b.Field("upstream_reconnects", u.reconnects);
    b.Field("upstream_last_error", error);
    // TLS: the first shard's write-through link names the version and cipher (every link is
    // made with the same context); the handshakes count every link of every shard.
    const ReactorStats& r = reactor_total;
    b.Field("upstream_tls", std::string(cfg.upstream_tls ? "yes" : "no"));
    if (cfg.upstream_tls) {
      b.Field("upstream_tls_verify", std::string(cfg.upstream_tls_verify ? "yes" : "no"));
      b.Field("upstream_tls_version", snaps.empty() ? "" : snaps[0].upstream_tls_version);
      b.Field("upstream_tls_cipher", snaps.empty() ? "" : snaps[0].upstream_tls_cipher);
      b.Field("upstream_tls_handshakes", r.tls_connects);
      b.Field("upstream_tls_handshake_failures", r.tls_connect_failures);
    }
    b.Field("upstream_read_through", std::string(cfg.upstream_read_through ? "yes" : "no"));
    b.Field("upstream_invalidation_status", invalidation);
    b.Field("upstream_loads", rt.loads);
    b.Field("upstream_load_misses", rt.load_misses);
    b.Field("upstream_invalidations", rt.invalidations);
    b.Field("upstream_passed_through", rt.passed_through);
    b.Field("upstream_tracking_losses", rt.tracking_losses);
  }
  if (b.Wants("bigbulk", true)) {
    BulkStats t;
    for (const auto& s : snaps) t += s.stats.bulk;
    auto ratio = [](uint64_t num, uint64_t den) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.2f",
                    den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den));
      return std::string(buf);
    };
    b.Section("BigBulk");
    b.Field("bigbulk_threshold", static_cast<uint64_t>(w.config().bigbulk_threshold));
    b.Field("bigbulk_direct_read", static_cast<uint64_t>(w.config().bigbulk_direct_read));
    b.Field("bigbulk_promotions", t.promotions);
    b.Field("bigbulk_promoted_bytes", t.promoted_bytes);
    b.Field("bigbulk_direct_read_switches", t.direct_read_switches);
    b.Field("bigbulk_direct_read_bytes", t.direct_read_bytes);
    b.Field("bigbulk_copied_bytes", t.copied_bytes);
    b.Field("bigbulk_reallocs", t.reallocs);
    b.Field("bigbulk_cross_shard_handoffs", t.cross_shard_handoffs);
    b.Field("bigbulk_aborted", t.aborted);
    b.Field("bigbulk_copies_per_byte", ratio(t.copied_bytes, t.promoted_bytes));
    b.Field("plain_bytes", t.plain_bytes);
    b.Field("plain_copied_bytes", t.plain_copied_bytes);
    b.Field("plain_reallocs", t.plain_reallocs);
    b.Field("plain_copies_per_byte", ratio(t.plain_copied_bytes, t.plain_bytes));
    b.Field("replies_by_reference", t.replies_by_reference);
    b.Field("bytes_by_reference", t.bytes_by_reference);
  }
  if (b.Wants("keyspace", true)) {
    b.Section("Keyspace");
    const size_t ndbs = snaps.empty() ? 0 : snaps[0].dbs.size();
    for (size_t db = 0; db < ndbs; ++db) {
      size_t keys = 0, expires = 0;
      int64_t ttl_weighted = 0;
      for (const auto& s : snaps) {
        keys += s.dbs[db].keys;
        expires += s.dbs[db].expires;
        ttl_weighted += s.dbs[db].avg_ttl * static_cast<int64_t>(s.dbs[db].expires);
      }
      if (keys == 0) continue;
      const int64_t avg = expires == 0 ? 0 : ttl_weighted / static_cast<int64_t>(expires);
      b.Field("db" + std::to_string(db), "keys=" + std::to_string(keys) +
                                             ",expires=" + std::to_string(expires) +
                                             ",avg_ttl=" + std::to_string(avg));
    }
  }
  return std::move(b.text());
}

void Info(CommandContext& ctx) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < ctx.args.size(); ++i) sections.push_back(LowerName(ctx.args[i]));
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  Worker* home = ctx.worker;
  // `fn` captures nothing; `done` runs on `home` (a worker, valid for the process lifetime),
  // where slot `seq` keeps `conn` alive until Complete().
  home->ForEachWorker<WorkerSnapshot>(
      [](Worker& w) { return Snapshot(w); },
      [conn, seq, home, sections, proto = ctx.proto](std::vector<WorkerSnapshot>& snaps) {
        std::string r;
        resp::Writer(&r, proto).Verbatim("txt", BuildInfo(*home, sections, snaps));
        conn->Complete(seq, std::move(r));
      });
}

void WriteFlags(resp::Writer& w, const CommandRow& row) {
  std::vector<std::string_view> flags;
  if (row.flags & kWrite) flags.push_back("write");
  if (row.flags & kReadOnly) flags.push_back("readonly");
  if (row.flags & kDenyOom) flags.push_back("denyoom");
  if (row.flags & kAdmin) flags.push_back("admin");
  if (row.flags & kFast) flags.push_back("fast");
  if (row.flags & kMovableKeys) flags.push_back("movablekeys");
  w.SetHeader(static_cast<int64_t>(flags.size()));
  for (auto f : flags) w.SimpleString(f);
}

void WriteCommandInfo(resp::Writer& w, const CommandRow& row) {
  w.ArrayHeader(10);
  w.Bulk(row.name);
  w.Integer(row.arity);
  WriteFlags(w, row);
  w.Integer(row.first_key);
  w.Integer(row.last_key);
  w.Integer(row.key_step);
  std::vector<std::string> cats;
  if (row.flags & kWrite) cats.push_back("@write");
  if (row.flags & kReadOnly) cats.push_back("@read");
  if (row.flags & kAdmin) cats.push_back("@admin");
  if (row.flags & kFast) cats.push_back("@fast");
  cats.push_back("@" + std::string(row.group == "generic" ? "keyspace" : row.group));
  w.SetHeader(static_cast<int64_t>(cats.size()));
  for (const auto& c : cats) w.SimpleString(c);
  w.SetHeader(0);  // tips
  w.SetHeader(0);  // key specs
  w.SetHeader(0);  // subcommands
}

void WriteCommandDocs(resp::Writer& w, const CommandRow& row) {
  // The unit tests parse every row's syntax, so a line that does not parse never ships; were
  // one to, the command would be documented without arguments rather than wrongly.
  DocSyntax syntax = ParseDocSyntax(row.syntax);
  const bool with_args = syntax.ok && !syntax.args.empty();
  w.Bulk(row.name);
  w.MapHeader(with_args ? 3 : 2);
  w.Bulk("summary");
  w.Bulk(row.summary);
  w.Bulk("group");
  w.Bulk(row.group);
  if (with_args) {
    w.Bulk("arguments");
    WriteDocArguments(w, syntax.args);
  }
}

void Command(CommandContext& ctx) {
  const CommandTable& table = CommandTable::Get();
  resp::Writer& w = *ctx.out;
  if (ctx.args.size() == 1) {
    w.ArrayHeader(static_cast<int64_t>(table.rows().size()));
    for (const auto& row : table.rows()) WriteCommandInfo(w, row);
    return;
  }
  const std::string sub = LowerName(ctx.args[1]);
  auto names = ctx.args.subspan(2);
  if (sub == "count" && names.empty()) {
    w.Integer(static_cast<int64_t>(table.rows().size()));
  } else if (sub == "list" && names.empty()) {
    w.ArrayHeader(static_cast<int64_t>(table.rows().size()));
    for (const auto& row : table.rows()) w.Bulk(row.name);
  } else if (sub == "info") {
    if (names.empty()) {
      w.ArrayHeader(static_cast<int64_t>(table.rows().size()));
      for (const auto& row : table.rows()) WriteCommandInfo(w, row);
      return;
    }
    w.ArrayHeader(static_cast<int64_t>(names.size()));
    for (auto n : names) {
      const CommandRow* row = table.Find(n);
      if (row) {
        WriteCommandInfo(w, *row);
      } else {
        w.NullArray();
      }
    }
  } else if (sub == "docs") {
    std::vector<const CommandRow*> rows;
    if (names.empty()) {
      for (const auto& row : table.rows()) rows.push_back(&row);
    } else {
      for (auto n : names) {
        if (const CommandRow* row = table.Find(n)) rows.push_back(row);
      }
    }
    w.MapHeader(static_cast<int64_t>(rows.size()));
    for (const CommandRow* row : rows) WriteCommandDocs(w, *row);
  } else if (sub == "count" || sub == "list") {
    w.Error(ArityError("command|" + sub));
  } else {
    w.Error("ERR unknown subcommand '" + std::string(ctx.args[1].substr(0, 128)) +
            "'. Try COMMAND HELP.");
  }
}

}  // namespace

void RegisterIntrospectionCommands(CommandTable& t) {
  t.Add({"info", -1, kNoKeys, 0, 0, 0, Exec::kAsync, Info, Merge::kNone, "server",
         "Get information and statistics about the server", "[section [section ...]]"});
  t.Add({"command", -1, kNoKeys | kContainer, 0, 0, 0, Exec::kLocal, Command, Merge::kNone,
         "server", "Get array of command details", "[subcommand [argument [argument ...]]]"});
}

}  // namespace ringside::proxy
