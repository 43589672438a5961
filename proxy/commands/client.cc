// CLIENT and its subcommands, and MONITOR: the commands about the connection itself. They run
// on the connection's own thread; the ones about other connections (LIST, KILL, TRACKING
// REDIRECT) ask every worker and answer once all have.
#include "proxy/commands/client.h"

#include <algorithm>
#include <optional>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "proxy/connection.h"
#include "proxy/server.h"
#include "proxy/worker.h"

namespace ringside::proxy {

std::string FormatClientLine(const ClientInfo& c) {
  std::string s =
      "id=" + std::to_string(c.id) + " addr=" + c.addr + " laddr=" + c.laddr +
      " fd=0 name=" + c.name + " age=" + std::to_string(c.age_s) +
      " idle=" + std::to_string(c.idle_s) + " flags=" + c.flags + " db=" + std::to_string(c.db) +
      " sub=0 psub=0 ssub=0 multi=-1 qbuf=" + std::to_string(c.qbuf) +
      " qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=" + std::to_string(c.omem) +
      " tot-mem=0 events=r cmd=" + (c.last_cmd.empty() ? "NULL" : c.last_cmd) + " user=" + c.user +
      " redir=" + std::to_string(c.redir) + " resp=" + std::to_string(c.resp) +
      " lib-name=" + c.lib_name + " lib-ver=" + c.lib_ver + "\n";
  return s;
}

namespace {

void Reply(CommandContext& ctx, std::string reply) {
  ctx.conn->Complete(ctx.seq, std::move(reply));
}

bool IsClientType(std::string_view t) {
  for (std::string_view known : {"normal", "master", "replica", "slave", "pubsub"}) {
    if (EqualsNoCase(t, known)) return true;
  }
  return false;
}

// A subcommand writes its reply to `w` (Sync), or completes the command's slot itself later
// (Later).
enum class Done : uint8_t { kSync, kLater };
using SubHandler = Done (*)(CommandContext& ctx, resp::Writer& w);

Done SetName(CommandContext& ctx, resp::Writer& w) {
  if (!ValidClientName(ctx.args[2])) {
    w.Error("ERR Client names cannot contain spaces, newlines or special characters.");
  } else {
    ctx.conn->set_name(std::string(ctx.args[2]));
    w.Ok();
  }
  return Done::kSync;
}

Done GetName(CommandContext& ctx, resp::Writer& w) {
  if (ctx.conn->name().empty()) {
    w.NullBulk();
  } else {
    w.Bulk(ctx.conn->name());
  }
  return Done::kSync;
}

Done Id(CommandContext& ctx, resp::Writer& w) {
  w.Integer(static_cast<int64_t>(ctx.conn->id()));
  return Done::kSync;
}

Done Info(CommandContext& ctx, resp::Writer& w) {
  w.Verbatim("txt", FormatClientLine(ctx.worker->InfoOf(*ctx.conn)));
  return Done::kSync;
}

// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2, sent by current client libraries).
Done SetInfo(CommandContext& ctx, resp::Writer& w) {
  const std::string attr = LowerName(ctx.args[2]);
  if (attr != "lib-name" && attr != "lib-ver") {
    w.Error("ERR Unrecognized option '" + std::string(ctx.args[2]) + "'");
  } else if (!ValidClientName(ctx.args[3])) {
    w.Error("ERR " + attr + " cannot contain spaces, newlines or special characters.");
  } else {
    if (attr == "lib-name") {
      ctx.conn->set_lib_name(std::string(ctx.args[3]));
    } else {
      ctx.conn->set_lib_ver(std::string(ctx.args[3]));
    }
    w.Ok();
  }
  return Done::kSync;
}

// ON or OFF into *on; a syntax error otherwise.
bool OnOff(std::string_view arg, bool* on, resp::Writer& w) {
  if (EqualsNoCase(arg, "on")) {
    *on = true;
  } else if (EqualsNoCase(arg, "off")) {
    *on = false;
  } else {
    w.Error("ERR syntax error");
    return false;
  }
  return true;
}

// NO-EVICT and NO-TOUCH: one of the connection's flags, set from ON or OFF.
template <void (Connection::*set)(bool)>
Done FlagSubcommand(CommandContext& ctx, resp::Writer& w) {
  bool on = false;
  if (OnOff(ctx.args[2], &on, w)) {
    (ctx.conn->*set)(on);
    w.Ok();
  }
  return Done::kSync;
}
constexpr SubHandler NoEvict = FlagSubcommand<&Connection::set_no_evict>;
constexpr SubHandler NoTouch = FlagSubcommand<&Connection::set_no_touch>;

Done ReplyMode(CommandContext& ctx, resp::Writer& w) {
  using Mode = Connection::ReplyMode;
  if (EqualsNoCase(ctx.args[2], "on")) {
    ctx.conn->set_reply_mode(Mode::kOn);
    w.Ok();
  } else if (EqualsNoCase(ctx.args[2], "off")) {
    ctx.conn->set_reply_mode(Mode::kOff);
  } else if (EqualsNoCase(ctx.args[2], "skip")) {
    // Under OFF, SKIP changes nothing.
    ctx.conn->set_reply_mode(Mode::kSkip);
  } else {
    w.Error("ERR syntax error");
  }
  return Done::kSync;
}

Done Pause(CommandContext& ctx, resp::Writer& w) {
  int64_t ms = 0;
  if (!ParseInt64(ctx.args[2], &ms)) {
    w.Error("ERR timeout is not an integer or out of range");
    return Done::kSync;
  }
  bool all = true;
  if (ctx.args.size() == 4) {
    if (EqualsNoCase(ctx.args[3], "write")) {
      all = false;
    } else if (!EqualsNoCase(ctx.args[3], "all")) {
      w.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return Done::kSync;
    }
  } else if (ctx.args.size() > 4) {
    w.Error("ERR syntax error");
    return Done::kSync;
  }
  if (ms < 0) {
    w.Error("ERR timeout is negative");
    return Done::kSync;
  }
  ctx.worker->server().Pause(ctx.store->NowMs() + ms, all);
  w.Ok();
  return Done::kSync;
}

Done Unpause(CommandContext& ctx, resp::Writer& w) {
  ctx.worker->server().Unpause();
  // Commands held by the pause go on now, on every worker.
  for (int i = 0; i < ctx.worker->num_workers(); ++i) {
    ctx.worker->Submit(i, MakeTask([](Worker& at) { at.ResumePaused(); }));
  }
  w.Ok();
  return Done::kSync;
}

// No command blocks a client here, so there is never one to unblock.
Done Unblock(CommandContext& ctx, resp::Writer& w) {
  int64_t id = 0;
  if (!ParseInt64(ctx.args[2], &id)) {
    w.Error("ERR value is not an integer or out of range");
  } else if (ctx.args.size() == 4 && !EqualsNoCase(ctx.args[3], "timeout") &&
             !EqualsNoCase(ctx.args[3], "error")) {
    w.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  } else if (ctx.args.size() > 4) {
    w.Error("ERR syntax error");
  } else {
    w.Integer(0);
  }
  return Done::kSync;
}

// Turns tracking on with what `r` asks (its redirect, if any, found on `redirect_home`) and
// replies +OK, with BCAST only once every shard follows the prefixes, so that a write made
// after the reply, on any shard, is told.
void EnableTrackingAndReply(CommandContext& ctx, TrackingRequest r, int redirect_home) {
  Connection* conn = ctx.conn;
  ClientTracking& t = conn->tracking();
  const bool was_bcast = t.on && t.bcast;
  t.on = true;
  t.broken_redirect = false;
  t.bcast = r.bcast;
  t.optin = r.optin;
  t.optout = r.optout;
  t.noloop = r.noloop;
  t.redirect = r.redirect;
  t.redirect_home = redirect_home;
  std::string ok;
  resp::Writer(&ok, ctx.proto).Ok();
  if (!r.bcast) return Reply(ctx, std::move(ok));
  // BCAST with no prefix follows every key.
  if (r.prefixes.empty() && !was_bcast) r.prefixes.emplace_back();
  for (std::string& p : r.prefixes) t.prefixes.push_back(p);
  const TrackingTable::Client who{conn->id(), ctx.worker->index()};
  auto prefixes = std::make_shared<const std::vector<std::string>>(std::move(r.prefixes));
  ctx.worker->ForEachWorker<int>(
      [prefixes, who](Worker& at) {
        for (const std::string& p : *prefixes) at.tracking().AddPrefix(p, who);
        return 0;
      },
      [saved = ctx, ok = std::move(ok)](std::vector<int>&) mutable {
        Reply(saved, std::move(ok));
      });
}

void DisableTracking(CommandContext& ctx) {
  ClientTracking& t = ctx.conn->tracking();
  if (t.on && t.bcast) ctx.worker->ForgetBcastClient(ctx.conn->id());
  t = ClientTracking{};
}

Done Tracking(CommandContext& ctx, resp::Writer& w) {
  TrackingRequest r;
  std::string error;
  if (!ParseTrackingRequest(ctx.args, ctx.conn->tracking(), &r, &error)) {
    w.Error(error);
    return Done::kSync;
  }
  if (!r.on) {
    DisableTracking(ctx);
    w.Ok();
    return Done::kSync;
  }
  if (!r.has_redirect || r.redirect == 0) {
    EnableTrackingAndReply(ctx, std::move(r), -1);
    return Done::kLater;
  }
  // The client redirected to must exist now (it may go away later): every worker is asked.
  const uint64_t target = r.redirect;
  CommandContext saved = ctx;
  auto request = std::make_shared<TrackingRequest>(std::move(r));
  ctx.worker->ForEachWorker<bool>(
      [target](Worker& at) { return at.FindClient(target) != nullptr; },
      [saved, request](std::vector<bool>& found) mutable {
        const auto at = std::find(found.begin(), found.end(), true);
        if (at != found.end()) {
          return EnableTrackingAndReply(saved, std::move(*request),
                                        static_cast<int>(at - found.begin()));
        }
        std::string reply;
        resp::Writer(&reply, saved.proto)
            .Error("ERR The client ID you want redirect to does not exist");
        Reply(saved, std::move(reply));
      });
  return Done::kLater;
}

Done Caching(CommandContext& ctx, resp::Writer& w) {
  ClientTracking& t = ctx.conn->tracking();
  if (!t.on || (!t.optin && !t.optout)) {
    w.Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled");
  } else if (EqualsNoCase(ctx.args[2], "yes")) {
    if (t.optin) {
      t.caching = ClientTracking::Caching::kYes;
      t.caching_fresh = true;
      w.Ok();
    } else {
      w.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
  } else if (EqualsNoCase(ctx.args[2], "no")) {
    if (t.optout) {
      t.caching = ClientTracking::Caching::kNo;
      t.caching_fresh = true;
      w.Ok();
    } else {
      w.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
  } else {
    w.Error("ERR syntax error");
  }
  return Done::kSync;
}

Done GetRedir(CommandContext& ctx, resp::Writer& w) {
  const ClientTracking& t = ctx.conn->tracking();
  w.Integer(t.on ? static_cast<int64_t>(t.redirect) : -1);
  return Done::kSync;
}

Done TrackingInfo(CommandContext& ctx, resp::Writer& w) {
  const ClientTracking& t = ctx.conn->tracking();
  std::vector<std::string_view> flags;
  if (!t.on) {
    flags.push_back("off");
  } else {
    flags.push_back("on");
    if (t.bcast) flags.push_back("bcast");
    if (t.optin) flags.push_back("optin");
    if (t.optout) flags.push_back("optout");
    if (t.caching == ClientTracking::Caching::kYes) flags.push_back("caching-yes");
    if (t.caching == ClientTracking::Caching::kNo) flags.push_back("caching-no");
    if (t.noloop) flags.push_back("noloop");
    if (t.broken_redirect) flags.push_back("broken_redirect");
  }
  w.MapHeader(3);
  w.Bulk("flags");
  w.SetHeader(static_cast<int64_t>(flags.size()));
  for (std::string_view f : flags) w.Bulk(f);
  w.Bulk("redirect");
  w.Integer(t.on ? static_cast<int64_t>(t.redirect) : -1);
  w.Bulk("prefixes");
  w.ArrayHeader(static_cast<int64_t>(t.prefixes.size()));
  for (const std::string& p : t.prefixes) w.Bulk(p);
  return Done::kSync;
}

Done List(CommandContext& ctx, resp::Writer& w) {
  std::vector<uint64_t> ids;
  const size_t argc = ctx.args.size();
  for (size_t i = 2; i < argc; ++i) {
    if (EqualsNoCase(ctx.args[i], "type") && i + 1 < argc) {
      if (!IsClientType(ctx.args[++i])) {
        w.Error("ERR Unknown client type '" + std::string(ctx.args[i]) + "'");
        return Done::kSync;
      }
      if (!EqualsNoCase(ctx.args[i], "normal")) ids.push_back(0);  // no such clients here
    } else if (EqualsNoCase(ctx.args[i], "id") && i + 1 < argc) {
      for (++i; i < argc; ++i) {
        int64_t id = 0;
        if (!ParseInt64(ctx.args[i], &id) || id <= 0) {
          w.Error("ERR Invalid client ID");
          return Done::kSync;
        }
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      w.Error("ERR syntax error");
      return Done::kSync;
    }
  }
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  // `fn` captures nothing; `done` owns `ids` and runs on `home`, where slot `seq` keeps
  // `conn` alive until Complete().
  ctx.worker->ForEachWorker<std::vector<ClientInfo>>(
      [](Worker& wk) { return wk.Clients(); },
      [conn, seq, ids, proto = ctx.proto](std::vector<std::vector<ClientInfo>>& all) {
        std::vector<ClientInfo> flat;
        for (auto& v : all) flat.insert(flat.end(), v.begin(), v.end());
        std::sort(flat.begin(), flat.end(),
                  [](const ClientInfo& a, const ClientInfo& b) { return a.id < b.id; });
        std::string text;
        for (const auto& c : flat) {
          if (!ids.empty() && std::find(ids.begin(), ids.end(), c.id) == ids.end()) continue;
          text += FormatClientLine(c);
        }
        std::string r;
        resp::Writer(&r, proto).Verbatim("txt", text);
        conn->Complete(seq, std::move(r));
      });
  return Done::kLater;
}

// CLIENT KILL filters, all of which must match.
struct KillFilter {
  bool has_id = false;
  uint64_t id = 0;
  std::string addr, laddr;
  std::optional<std::string> user;
  bool skip_me = true;
  bool match_nothing = false;
  bool Match(const ClientInfo& c) const {
    if (match_nothing) return false;
    if (has_id && c.id != id) return false;
    if (!addr.empty() && c.addr != addr) return false;
    if (!laddr.empty() && c.laddr != laddr) return false;
    if (user && c.user != *user) return false;
    return true;
  }
};

// The filter of CLIENT KILL's new form (option value pairs); false with the error written.
bool ParseKillFilter(CommandContext& ctx, KillFilter* f, resp::Writer& w) {
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    const std::string opt = LowerName(ctx.args[i]);
    const std::string_view val = ctx.args[i + 1];
    if (opt == "id") {
      int64_t id = 0;
      if (!ParseInt64(val, &id) || id <= 0) {
        w.Error("ERR client-id should be greater than 0");
        return false;
      }
      f->id = static_cast<uint64_t>(id);
      f->has_id = true;
    } else if (opt == "addr") {
      f->addr = std::string(val);
    } else if (opt == "laddr") {
      f->laddr = std::string(val);
    } else if (opt == "skipme") {
      bool yes = false;
      if (EqualsNoCase(val, "yes")) {
        yes = true;
      } else if (!EqualsNoCase(val, "no")) {
        w.Error("ERR syntax error");
        return false;
      }
      f->skip_me = yes;
    } else if (opt == "type") {
      if (!IsClientType(val)) {
        w.Error("ERR Unknown client type '" + std::string(val) + "'");
        return false;
      }
      // Every client here is a normal one.
      if (!EqualsNoCase(val, "normal")) f->match_nothing = true;
    } else if (opt == "user") {
      if (!ctx.worker->server().users().Find(val)) {
        w.Error("ERR No such user '" + std::string(val) + "'");
        return false;
      }
      f->user = std::string(val);
    } else {
      w.Error("ERR syntax error");
      return false;
    }
  }
  return true;
}

Done Kill(CommandContext& ctx, resp::Writer& w) {
  KillFilter f;
  const size_t argc = ctx.args.size();
  const bool old_form = argc == 3;
  if (old_form) {
    f.addr = std::string(ctx.args[2]);
    f.skip_me = false;
  } else if (argc % 2 != 0 || !ParseKillFilter(ctx, &f, w)) {
    if (argc % 2 != 0) w.Error("ERR syntax error");
    return Done::kSync;
  }
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  const int home = ctx.worker->index();
  // `fn` shares its copy of the filter read-only; `conn` goes only to `home`'s KillClients,
  // and `done` completes it there, kept alive by slot `seq` even if it killed itself.
  ctx.worker->ForEachWorker<int>(
      [f, home, conn](Worker& wk) {
        // `conn` is compared, never dereferenced, off its own worker.
        return wk.KillClients([&f](const ClientInfo& c) { return f.Match(c); },
                              wk.index() == home ? conn : nullptr, f.skip_me);
      },
      [conn, seq, old_form](std::vector<int>& counts) {
        int total = 0;
        for (int c : counts) total += c;
        std::string r;
        resp::Writer rw(&r);
        if (!old_form) {
          rw.Integer(total);
        } else if (total == 0) {
          rw.Error("ERR No such client");
        } else {
          rw.Ok();
        }
        conn->Complete(seq, std::move(r));
      });
  return Done::kLater;
}

Done Help(CommandContext&, resp::Writer& w) {
  static constexpr std::string_view kHelp[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
      "HELP",
      "    Prints this help."};
  w.ArrayHeader(static_cast<int64_t>(std::size(kHelp)));
  for (auto line : kHelp) w.SimpleString(line);
  return Done::kSync;
}

struct Subcommand {
  std::string_view name;
  int arity;  // Redis convention, CLIENT and the subcommand included
  SubHandler run;
};

// Redis 7.0's subcommands and arities, with SETINFO and NO-TOUCH from 7.2.
constexpr Subcommand kSubcommands[] = {
    {"caching", 3, Caching},
    {"getname", 2, GetName},
    {"getredir", 2, GetRedir},
    {"help", 2, Help},
    {"id", 2, Id},
    {"info", 2, Info},
    {"kill", -3, Kill},
    {"list", -2, List},
    {"no-evict", 3, NoEvict},
    {"no-touch", 3, NoTouch},
    {"pause", -3, Pause},
    {"reply", 3, ReplyMode},
    {"setinfo", 4, SetInfo},
    {"setname", 3, SetName},
    {"tracking", -3, Tracking},
    {"trackinginfo", 2, TrackingInfo},
    {"unblock", -3, Unblock},
    {"unpause", 2, Unpause},
};

void Client(CommandContext& ctx) {
  const std::string sub = LowerName(ctx.args[1]);
  std::string reply;
  resp::Writer w(&reply, ctx.proto);
  const auto* it = std::find_if(std::begin(kSubcommands), std::end(kSubcommands),
                                [&](const Subcommand& s) { return s.name == sub; });
  if (it == std::end(kSubcommands)) {
    w.Error("ERR unknown subcommand '" + std::string(ctx.args[1].substr(0, 128)) +
            "'. Try CLIENT HELP.");
  } else if (it->arity >= 0 ? ctx.args.size() != static_cast<size_t>(it->arity)
                            : ctx.args.size() < static_cast<size_t>(-it->arity)) {
    w.Error(ArityError("client|" + sub));
  } else if (it->run(ctx, w) == Done::kLater) {
    return;
  }
  Reply(ctx, std::move(reply));
}

// Redis's quoting of one argument in MONITOR's output (sdscatrepr).
void AppendQuoted(std::string* out, std::string_view arg) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out += '"';
  for (unsigned char c : arg) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '"':
        *out += "\\\"";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\a':
        *out += "\\a";
        break;
      case '\b':
        *out += "\\b";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          *out += static_cast<char>(c);
        } else {
          *out += "\\x";
          *out += kHex[c >> 4];
          *out += kHex[c & 15];
        }
    }
  }
  *out += '"';
}

void Monitor(CommandContext& ctx) {
  if (!ctx.conn->monitoring()) {
    ctx.out->Ok();
    ctx.worker->AddMonitor(ctx.conn);
  }
}

}  // namespace

void ResetClientState(CommandContext& ctx) {
  Connection& c = *ctx.conn;
  DisableTracking(ctx);
  c.set_reply_mode(Connection::ReplyMode::kOn);
  c.set_no_evict(false);
  c.set_no_touch(false);
  ctx.worker->RemoveMonitor(&c);
}

std::string MonitorLine(int64_t now_us, int db, std::string_view addr,
                        std::span<const std::string_view> args, size_t redact_from) {
  std::string line = "+" + std::to_string(now_us / 1000000) + ".";
  const std::string us = std::to_string(now_us % 1000000);
  line.append(6 - us.size(), '0');
  line += us;
  line += " [" + std::to_string(db) + " " + std::string(addr) + "]";
  for (size_t i = 0; i < args.size(); ++i) {
    line += ' ';
    if (i >= redact_from) {
      line += "\"(redacted)\"";
    } else {
      AppendQuoted(&line, args[i]);
    }
  }
  line += "\r\n";
  return line;
}

void RegisterClientCommands(CommandTable& t) {
  t.Add({"client", -2, kNoKeys | kContainer, 0, 0, 0, Exec::kAsync, Client, Merge::kNone,
         "connection", "A container for client connection commands",
         "subcommand [argument [argument ...]]"});
  t.Add({"monitor", 1, kAdmin | kNoKeys, 0, 0, 0, Exec::kLocal, Monitor, Merge::kNone, "server",
         "Listen for all requests received by the server in real time", ""});
}

}  // namespace ringside::proxy
