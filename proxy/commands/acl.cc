// Users and authentication: AUTH, ACL and RESET, with Redis 7.0's replies. The users
// themselves are acl::Users, shared by every worker; these run on the connection's thread.
#include <sys/random.h>

#include <chrono>

#include "proxy/access.h"
#include "proxy/acl/catalog.h"
#include "proxy/acl/users.h"
#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "proxy/commands/auth.h"
#include "proxy/commands/client.h"
#include "proxy/connection.h"
#include "proxy/server.h"
#include "proxy/worker.h"

namespace ringside::proxy {

namespace {

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
constexpr std::string_view kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration.";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

acl::Users& UsersOf(CommandContext& ctx) { return ctx.worker->server().users(); }

void AclSyntax(CommandContext& ctx, std::string_view sub_upper) {
  ctx.out->Error("ERR unknown subcommand or wrong number of arguments for '" +
                 std::string(sub_upper) + "'. Try ACL HELP.");
}

void WhoAmI(CommandContext& ctx) { ctx.out->Bulk(ctx.conn->user().name); }

void List(CommandContext& ctx) {
  const auto users = UsersOf(ctx).All();
  ctx.out->ArrayHeader(static_cast<int64_t>(users.size()));
  for (const auto& u : users) ctx.out->Bulk("user " + u->name + " " + acl::DescribeRules(*u));
}

void UserNames(CommandContext& ctx) {
  const auto users = UsersOf(ctx).All();
  ctx.out->ArrayHeader(static_cast<int64_t>(users.size()));
  for (const auto& u : users) ctx.out->Bulk(u->name);
}

void GetUser(CommandContext& ctx) {
  const auto u = UsersOf(ctx).Find(ctx.args[2]);
  resp::Writer& w = *ctx.out;
  if (u == nullptr) return w.NullBulk();
  w.MapHeader(6);
  w.Bulk("flags");
  const auto flags = acl::Flags(*u);
  w.SetHeader(static_cast<int64_t>(flags.size()));
  for (std::string_view f : flags) w.Bulk(f);
  w.Bulk("passwords");
  w.ArrayHeader(static_cast<int64_t>(u->passwords.size()));
  for (const std::string& p : u->passwords) w.Bulk(p);
  w.Bulk("commands");
  w.Bulk(acl::DescribeCommands(u->root));
  w.Bulk("keys");
  w.Bulk(acl::DescribeKeys(u->root));
  w.Bulk("channels");
  w.Bulk(acl::DescribeChannels(u->root));
  w.Bulk("selectors");
  w.ArrayHeader(static_cast<int64_t>(u->selectors.size()));
  for (const acl::Selector& s : u->selectors) {
    w.MapHeader(3);
    w.Bulk("commands");
    w.Bulk(acl::DescribeCommands(s));
    w.Bulk("keys");
    w.Bulk(acl::DescribeKeys(s));
    w.Bulk("channels");
    w.Bulk(acl::DescribeChannels(s));
  }
}

void SetUser(CommandContext& ctx) {
  std::string error;
  if (!UsersOf(ctx).SetUser(ctx.args[2], ctx.args.subspan(3), &error)) {
    return ctx.out->Error(error);
  }
  ctx.out->Ok();
}

void DelUser(CommandContext& ctx) {
  std::string error;
  int deleted = 0;
  if (!UsersOf(ctx).DelUsers(ctx.args.subspan(2), &deleted, &error)) {
    return ctx.out->Error(error);
  }
  ctx.out->Integer(deleted);
}

void Cat(CommandContext& ctx) {
  const acl::Catalog& catalog = acl::Catalog::Get();
  resp::Writer& w = *ctx.out;
  if (ctx.args.size() > 3) return AclSyntax(ctx, "CAT");
  if (ctx.args.size() == 2) {
    const auto names = acl::CategoryNames();
    w.ArrayHeader(static_cast<int64_t>(names.size()));
    for (std::string_view n : names) w.Bulk(n);
    return;
  }
  const int category = acl::FindCategory(ctx.args[2]);
  if (category < 0) {
    return w.Error("ERR Unknown category '" + std::string(ctx.args[2]) + "'");
  }
  std::vector<std::string_view> names;
  for (size_t id = 0; id < catalog.size(); ++id) {
    if (catalog.InCategory(static_cast<int>(id), category)) {
      names.push_back(catalog.name(static_cast<int>(id)));
    }
  }
  w.ArrayHeader(static_cast<int64_t>(names.size()));
  for (std::string_view n : names) w.Bulk(n);
}

void GenPass(CommandContext& ctx) {
  int64_t bits = 256;
  if (ctx.args.size() > 3) return AclSyntax(ctx, "GENPASS");
  if (ctx.args.size() == 3) {
    if (!ParseInt64(ctx.args[2], &bits)) {
      return ctx.out->Error("ERR value is not an integer or out of range");
    }
    if (bits <= 0 || bits > 4096) {
      return ctx.out->Error(
          "ERR ACL GENPASS argument must be the number of bits for the output password, a "
          "positive number up to 4096");
    }
  }
  std::string bytes(static_cast<size_t>((bits + 7) / 8), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  hex.resize(static_cast<size_t>((bits + 3) / 4));
  ctx.out->Bulk(hex);
}

void Log(CommandContext& ctx) {
  resp::Writer& w = *ctx.out;
  size_t count = 10;
  if (ctx.args.size() > 3) return AclSyntax(ctx, "LOG");
  if (ctx.args.size() == 3) {
    if (EqualsNoCase(ctx.args[2], "reset")) {
      UsersOf(ctx).ResetLog();
      return w.Ok();
    }
    int64_t n = 0;
    if (!ParseInt64(ctx.args[2], &n)) {
      return w.Error("ERR value is not an integer or out of range");
    }
    count = n < 0 ? 0 : static_cast<size_t>(n);
  }
  const auto entries = UsersOf(ctx).Log(count);
  const int64_t now = NowMs();
  w.ArrayHeader(static_cast<int64_t>(entries.size()));
  for (const acl::LogEntry& e : entries) {
    w.MapHeader(7);
    w.Bulk("count");
    w.Integer(e.count);
    w.Bulk("reason");
    w.Bulk(e.reason);
    w.Bulk("context");
    w.Bulk(e.context);
    w.Bulk("object");
    w.Bulk(e.object);
    w.Bulk("username");
    w.Bulk(e.username);
    w.Bulk("age-seconds");
    w.Double(static_cast<double>(now - e.created_ms) / 1000.0);
    w.Bulk("client-info");
    std::string_view info = e.client_info;
    if (!info.empty() && info.back() == '\n') info.remove_suffix(1);
    w.Bulk(info);
  }
}

void DryRun(CommandContext& ctx) {
  resp::Writer& w = *ctx.out;
  const auto user = UsersOf(ctx).Find(ctx.args[2]);
  if (user == nullptr) return w.Error("ERR User '" + std::string(ctx.args[2]) + "' not found");
  const std::span<const std::string_view> argv = ctx.args.subspan(3);
  const acl::Catalog& catalog = acl::Catalog::Get();
  int id = catalog.Find(argv[0]);
  if (id >= 0 && !catalog.Subcommands(id).empty()) {
    id = argv.size() >= 2 ? catalog.FindSub(id, LowerName(argv[1])) : -1;
  }
  if (id < 0) return w.Error("ERR Command '" + std::string(argv[0]) + "' not found");
  const int arity = catalog.entry(id).arity;
  const int64_t argc = static_cast<int64_t>(argv.size());
  if ((arity > 0 && argc != arity) || (arity < 0 && argc < -arity)) {
    return w.Error(ArityError(catalog.name(id)));
  }
  const acl::CommandAccess access = DescribeAccess(CommandTable::Get().FindAny(argv[0]), argv);
  const acl::Verdict v = acl::Check(*user, access);
  switch (v.denied) {
    case acl::Denied::kNone:
      return w.Ok();
    case acl::Denied::kCommand:
      return w.Bulk("This user has no permissions to run the '" + AclCommandName(access, argv) +
                    "' command");
    case acl::Denied::kKey:
      if (v.index < 0) {
        return w.Bulk("This user has no permissions to access the keys of the '" +
                      AclCommandName(access, argv) + "' command");
      }
      return w.Bulk("This user has no permissions to access the '" +
                    std::string(access.keys[static_cast<size_t>(v.index)].key) + "' key");
    case acl::Denied::kChannel:
      return w.Bulk("This user has no permissions to access the '" +
                    std::string(access.channels[static_cast<size_t>(v.index)].channel) +
                    "' channel");
  }
}

void LoadOrSave(CommandContext& ctx, bool load) {
  const std::string path = ctx.worker->config().aclfile;
  if (path.empty()) return ctx.out->Error(kNoAclFile);
  std::string error;
  const bool ok = load ? UsersOf(ctx).LoadFile(path, &error) : UsersOf(ctx).SaveFile(path, &error);
  if (!ok) return ctx.out->Error("ERR " + error);
  ctx.out->Ok();
}

void Help(CommandContext& ctx) {
  static constexpr std::string_view kHelp[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the "
      "command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Prints this help."};
  ctx.out->ArrayHeader(static_cast<int64_t>(std::size(kHelp)));
  for (auto line : kHelp) ctx.out->SimpleString(line);
}

void Acl(CommandContext& ctx) {
  const std::string sub = LowerName(ctx.args[1]);
  const acl::Catalog& catalog = acl::Catalog::Get();
  const int id = catalog.Find("acl|" + sub);
  if (id < 0 || sub.find('|') != std::string::npos) {
    return ctx.out->Error("ERR unknown subcommand '" + std::string(ctx.args[1].substr(0, 128)) +
                          "'. Try ACL HELP.");
  }
  const int arity = catalog.entry(id).arity;
  const int64_t argc = static_cast<int64_t>(ctx.args.size());
  if ((arity > 0 && argc != arity) || (arity < 0 && argc < -arity)) {
    return ctx.out->Error(ArityError("acl|" + sub));
  }
  if (sub == "whoami") return WhoAmI(ctx);
  if (sub == "list") return List(ctx);
  if (sub == "users") return UserNames(ctx);
  if (sub == "getuser") return GetUser(ctx);
  if (sub == "setuser") return SetUser(ctx);
  if (sub == "deluser") return DelUser(ctx);
  if (sub == "cat") return Cat(ctx);
  if (sub == "genpass") return GenPass(ctx);
  if (sub == "log") return Log(ctx);
  if (sub == "dryrun") return DryRun(ctx);
  if (sub == "load") return LoadOrSave(ctx, true);
  if (sub == "save") return LoadOrSave(ctx, false);
  Help(ctx);
}

void Auth(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.out->Error("ERR syntax error");
  std::string_view user = "default";
  if (ctx.args.size() == 2) {
    const auto def = UsersOf(ctx).Default();
    if (def->nopass) {
      return ctx.out->Error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
    }
  } else {
    user = ctx.args[1];
  }
  LogIn(ctx, user, ctx.args.back(), [](resp::Writer& out, const std::string& error) {
    if (!error.empty()) return out.Error(error);
    out.Ok();
  });
}

void Reset(CommandContext& ctx) {
  Connection& c = *ctx.conn;
  ResetClientState(ctx);
  c.set_protocol(resp::Protocol::kResp2);
  c.set_db(0);
  c.set_name("");
  const auto def = UsersOf(ctx).Default();
  const bool authenticated = def->enabled && def->nopass;
  c.set_user(def, authenticated);
  // Answered even under CLIENT REPLY OFF, which RESET has just ended: written where a reply
  // made now goes, not where the command's replies were going when it started.
  resp::Writer(c.SyncReplyTarget()).SimpleString("RESET");
}

}  // namespace

namespace {

// ACL LOG's entry for a login that failed.
void LogFailedLogin(Worker& worker, const Connection& conn, std::string object, std::string user) {
  acl::LogEntry entry;
  entry.reason = "auth";
  entry.context = "toplevel";
  entry.object = std::move(object);
  entry.username = std::move(user);
  entry.client_info = FormatClientLine(worker.InfoOf(conn));
  worker.server().users().AddLog(std::move(entry),
                                 static_cast<size_t>(worker.config().acllog_max_len));
}

}  // namespace

bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view password,
                  std::string* error) {
  acl::Users& users = UsersOf(ctx);
  auto u = users.Find(user);
  if (u != nullptr && acl::PasswordMatches(*u, password)) {
    ctx.conn->set_user(std::move(u), true);
    return true;
  }
  LogFailedLogin(*ctx.worker, *ctx.conn, std::string(ctx.args[0]), std::string(user));
  *error = std::string(kWrongPass);
  return false;
}

void CheckUpstreamLogin(Worker& worker, Connection& conn, std::string object, std::string user,
                        std::string password, std::function<void(const std::string& error)> done) {
  UpstreamAuthCache& cache = worker.server().auth_cache();
  const int64_t now = worker.store().NowMs();
  if (auto hit = cache.Find(user, password, now)) {
    conn.LogInUpstream(hit->rights, {std::move(user), std::move(password), hit->expires_ms});
    return done("");
  }
  // `conn` is touched only on this worker, which runs the check's callback; the caller's
  // reserved reply slot keeps it alive until then.
  Connection* c = &conn;
  Worker* w = &worker;
  CheckLoginUpstream(
      worker, user, password,
      [w, c, object = std::move(object), user, password, done](UpstreamAuthResult r) mutable {
        if (!r.accepted) {
          LogFailedLogin(*w, *c, std::move(object), std::move(user));
          return done(r.error);
        }
        const int64_t now_ms = w->store().NowMs();
        const int64_t ttl_ms = static_cast<int64_t>(w->config().auth_cache_ttl) * 1000;
        w->server().auth_cache().Insert(user, password, r.user, now_ms, ttl_ms);
        c->LogInUpstream(std::move(r.user),
                         {std::move(user), std::move(password), now_ms + ttl_ms});
        done("");
      });
}

void LogIn(CommandContext& ctx, std::string_view user, std::string_view password,
           LoginFinish finish) {
  if (ctx.worker->config().auth_mode != AuthMode::kUpstream) {
    std::string error;
    Authenticate(ctx, user, password, &error);
    return finish(*ctx.out, error);
  }
  Connection* conn = ctx.conn;
  const uint64_t seq = conn->ReserveSlot();
  conn->BlockUntil(seq);
  CheckUpstreamLogin(*ctx.worker, *conn, std::string(ctx.args[0]), std::string(user),
                     std::string(password),
                     [conn, seq, finish = std::move(finish)](const std::string& error) {
                       resp::Output out;
                       resp::Writer w(&out, conn->protocol());
                       finish(w, error);
                       conn->Complete(seq, std::move(out));
                     });
}

void RegisterAclCommands(CommandTable& t) {
  constexpr uint32_t kConn = kFast | kNoKeys;
  t.Add({"auth", -2, kConn | kNoAuth, 0, 0, 0, Exec::kLocal, Auth, Merge::kNone, "connection",
         "Authenticate to the server", "[username] password"});
  t.Add({"reset", 1, kConn | kNoAuth, 0, 0, 0, Exec::kLocal, Reset, Merge::kNone, "connection",
         "Reset the connection", ""});
  t.Add({"acl", -2, kAdmin | kNoKeys | kContainer, 0, 0, 0, Exec::kLocal, Acl, Merge::kNone,
         "server", "A container for Access List Control commands",
         "subcommand [argument [argument ...]]"});
}

}  // namespace ringside::proxy
