// Connection and server commands: PING ECHO QUIT HELLO SELECT COMMAND TIME CONFIG SHUTDOWN.
// They run on the connection's own thread; the ones that need every worker (CONFIG RESETSTAT)
// fan out and gather.
#include "proxy/server.h"

#include <sys/time.h>

#include <algorithm>
#include <optional>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "proxy/commands/auth.h"
#include "proxy/commands/info.h"
#include "proxy/connection.h"
#include "proxy/worker.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

std::string Sub(const CommandContext& ctx) { return LowerName(ctx.args[1]); }

void UnknownSubcommand(CommandContext& ctx, std::string_view cmd_upper) {
  ctx.out->Error("ERR unknown subcommand '" + std::string(ctx.args[1].substr(0, 128)) + "'. Try " +
                 std::string(cmd_upper) + " HELP.");
}

void SubcommandArity(CommandContext& ctx, std::string_view cmd) {
  ctx.out->Error(ArityError(std::string(cmd) + "|" + Sub(ctx)));
}

// Completes a kAsync command's reserved slot with a reply built here.
void Reply(CommandContext& ctx, std::string reply) {
  ctx.conn->Complete(ctx.seq, std::move(reply));
}

void Ping(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.out->Error(ArityError("ping"));
  } else if (ctx.args.size() == 2) {
    ctx.out->Bulk(ctx.args[1]);
  } else {
    ctx.out->SimpleString("PONG");
  }
}

void Echo(CommandContext& ctx) { ctx.out->Bulk(ctx.args[1]); }

void Quit(CommandContext& ctx) {
  ctx.out->Ok();
  ctx.conn->CloseAfterReplies();
}

void HelloReply(resp::Writer& w, const Connection& conn) {
  w.MapHeader(7);
  w.Bulk("server");
  w.Bulk("redis");
  w.Bulk("version");
  w.Bulk(kRedisCompatVersion);
  w.Bulk("proto");
  w.Integer(static_cast<int>(conn.protocol()));
  w.Bulk("id");
  w.Integer(static_cast<int64_t>(conn.id()));
  w.Bulk("mode");
  w.Bulk("standalone");
  w.Bulk("role");
  w.Bulk("master");
  w.Bulk("modules");
  w.ArrayHeader(0);
}

void Hello(CommandContext& ctx) {
  size_t i = 1;
  std::optional<resp::Protocol> proto;
  if (ctx.args.size() >= 2) {
    int64_t ver = 0;
    if (!ParseInt64(ctx.args[1], &ver)) {
      ctx.out->Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (ver < 2 || ver > 3) {
      ctx.out->Error("NOPROTO unsupported protocol version");
      return;
    }
    proto = static_cast<resp::Protocol>(ver);
    i = 2;
  }
  std::string_view new_name;
  bool set_name = false;
  std::optional<std::pair<std::string_view, std::string_view>> auth;
  for (; i < ctx.args.size(); ++i) {
    const bool more = i + 1 < ctx.args.size();
    if (EqualsNoCase(ctx.args[i], "auth") && i + 2 < ctx.args.size()) {
      auth.emplace(ctx.args[i + 1], ctx.args[i + 2]);
      i += 2;
    } else if (EqualsNoCase(ctx.args[i], "setname") && more) {
      new_name = ctx.args[++i];
      set_name = true;
    } else {
      ctx.out->Error("ERR Syntax error in HELLO option '" + std::string(ctx.args[i]) + "'");
      return;
    }
  }
  // What follows the login, if any: it may come once the upstream has checked it.
  auto rest = [conn = ctx.conn, proto, set_name, name = std::string(new_name)](
                  resp::Writer& w, const std::string& error) {
    if (!error.empty()) return w.Error(error);
    if (conn->NeedsAuth()) {
      return w.Error(
          "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
          "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
          "select the RESP protocol version at the same time");
    }
    if (set_name) {
      if (!ValidClientName(name)) {
        return w.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      }
      conn->set_name(name);
    }
    // The reply is already in the protocol asked for.
    if (proto) {
      conn->set_protocol(*proto);
      w.set_protocol(*proto);
    }
    HelloReply(w, *conn);
  };
  if (auth) return LogIn(ctx, auth->first, auth->second, std::move(rest));
  rest(*ctx.out, "");
}

void Select(CommandContext& ctx) {
  int64_t db = 0;
  if (!ParseInt64(ctx.args[1], &db)) {
    ctx.out->Error("ERR value is not an integer or out of range");
    return;
  }
  if (db < 0 || db >= ctx.worker->config().databases) {
    ctx.out->Error("ERR DB index is out of range");
    return;
  }
  ctx.conn->set_db(static_cast<int>(db));
  ctx.out->Ok();
}

void Time(CommandContext& ctx) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  ctx.out->ArrayHeader(2);
  ctx.out->Bulk(std::to_string(tv.tv_sec));
  ctx.out->Bulk(std::to_string(tv.tv_usec));
}

void Config(CommandContext& ctx) {
  const std::string sub = Sub(ctx);
  const size_t argc = ctx.args.size();
  std::string reply;
  resp::Writer w(&reply, ctx.proto);
  CommandContext sync = ctx;
  sync.out = &w;
  if (sub == "get") {
    if (argc < 3) {
      SubcommandArity(sync, "config");
    } else {
      const ServerConfig cfg = ctx.worker->server().ConfigSnapshot();
      auto pairs = ConfigGet(cfg, ctx.args.subspan(2));
      w.MapHeader(static_cast<int64_t>(pairs.size()));
      for (const auto& [k, v] : pairs) {
        w.Bulk(k);
        w.Bulk(v);
      }
    }
  } else if (sub == "set") {
    if (argc < 4 || argc % 2 != 0) {
      SubcommandArity(sync, "config");
    } else {
      std::string error;
      Connection* conn = ctx.conn;
      const uint64_t seq = ctx.seq;
      // Every worker copies the shared change into its config; `applied` then runs on this worker,
      // where slot `seq` keeps `conn` alive until Complete().
      if (ctx.worker->server().SetConfig(*ctx.worker, ctx.args.subspan(2), &error,
                                         [conn, seq] { conn->Complete(seq, "+OK\r\n"); })) {
        return;
      }
      w.Error(error);
    }
  } else if (sub == "resetstat") {
    if (argc != 2) {
      SubcommandArity(sync, "config");
    } else {
      Connection* conn = ctx.conn;
      const uint64_t seq = ctx.seq;
      // `fn` captures nothing; `done` runs on `home`, where slot `seq` keeps `conn` alive.
      ctx.worker->ForEachWorker<int>(
          [](Worker& wk) {
            wk.ResetStats();
            return 0;
          },
          [conn, seq](std::vector<int>&) { conn->Complete(seq, "+OK\r\n"); });
      return;
    }
  } else if (sub == "rewrite") {
    w.Error("ERR CONFIG REWRITE is not supported by ringside; edit the configuration file");
  } else if (sub == "help") {
    static constexpr std::string_view kHelp[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "HELP",
        "    Print this help."};
    w.ArrayHeader(static_cast<int64_t>(std::size(kHelp)));
    for (auto line : kHelp) w.SimpleString(line);
  } else {
    UnknownSubcommand(sync, "CONFIG");
  }
  Reply(ctx, std::move(reply));
}

void Shutdown(CommandContext& ctx) {
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    const std::string opt = LowerName(ctx.args[i]);
    if (opt == "abort") {
      ctx.out->Error("ERR No shutdown in progress.");
      return;
    }
    if (opt != "nosave" && opt != "save" && opt != "now" && opt != "force") {
      ctx.out->Error("ERR syntax error");
      return;
    }
  }
  // Like Redis, a successful SHUTDOWN sends no reply and runs nothing pipelined after it: the
  // connection closes as the process exits.
  ctx.conn->CloseAfterReplies();
  ctx.worker->server().RequestShutdown();
}

// Every shard rewrites its own file; the reply says whether any of them started one.
void BgRewriteAof(CommandContext& ctx) {
  if (ctx.worker->server().aof_manifest() == nullptr) {
    std::string r;
    resp::Writer(&r).Error("ERR appendonly is no: there is no append-only file to rewrite");
    return Reply(ctx, std::move(r));
  }
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  // `fn` captures nothing; `done` runs on `home`, where slot `seq` keeps `conn` alive.
  ctx.worker->ForEachWorker<int>(
      [](Worker& w) { return w.rewriter() != nullptr && w.rewriter()->Start() ? 1 : 0; },
      [conn, seq](std::vector<int>& started) {
        const bool any = std::find(started.begin(), started.end(), 1) != started.end();
        conn->Complete(seq, any ? "+Background append only file rewriting started\r\n"
                                : "-ERR Background append only file rewriting already in "
                                  "progress\r\n");
      });
}

}  // namespace

void RegisterServerCommands(CommandTable& t) {
  constexpr uint32_t kConn = kFast | kNoKeys;
  t.Add({"ping", -1, kConn | kDenyOnAofError, 0, 0, 0, Exec::kLocal, Ping, Merge::kNone,
         "connection", "Ping the server", "[message]"});
  t.Add({"echo", 2, kConn, 0, 0, 0, Exec::kLocal, Echo, Merge::kNone, "connection",
         "Echo the given string", "message"});
  t.Add({"quit", -1, kConn | kNoAuth, 0, 0, 0, Exec::kLocal, Quit, Merge::kNone, "connection",
         "Close the connection", "", RelayEffect::kQuit});
  t.Add({"hello", -1, kConn | kNoAuth | kUpstreamRefused, 0, 0, 0, Exec::kLocal, Hello,
         Merge::kNone, "connection", "Handshake with the server",
         "arguments=[protover [AUTH username password] [SETNAME clientname]]"});
  t.Add({"select", 2, kConn, 0, 0, 0, Exec::kLocal, Select, Merge::kNone, "connection",
         "Change the selected database for the current connection", "index", RelayEffect::kSelect,
         DbArg::kLast});
  t.Add({"time", 1, kConn | kReadOnly, 0, 0, 0, Exec::kLocal, Time, Merge::kNone, "server",
         "Return the current server time", ""});
  t.Add({"config", -2, kAdmin | kNoKeys | kContainer, 0, 0, 0, Exec::kAsync, Config, Merge::kNone,
         "server", "A container for server configuration commands",
         "subcommand [argument [argument ...]]"});
  t.Add({"shutdown", -1, kAdmin | kNoKeys, 0, 0, 0, Exec::kLocal, Shutdown, Merge::kNone, "server",
         "Synchronously save the dataset to disk and then shut down the server",
         "[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"});
  t.Add({"bgrewriteaof", 1, kAdmin | kNoKeys, 0, 0, 0, Exec::kAsync, BgRewriteAof, Merge::kNone,
         "server", "Asynchronously rewrite the append-only file", ""});
  RegisterIntrospectionCommands(t);
}

}  // namespace ringside::proxy
