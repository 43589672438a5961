// Rows of commands ringside does not serve itself but treats in a particular way when an
// upstream serves them (pass_through.cc): those that need a relay connection of the client's
// own, those refused because they are about the upstream connection itself, those whose keys
// are not all at args[1], and those that name a database number. A command with no row at all
// is passed on as one whose keys are all at args[1].
#include "proxy/command.h"

namespace ringside::proxy {

namespace {

CommandRow Upstream(std::string_view name, uint32_t flags, RelayEffect relay = RelayEffect::kNone,
                    DbArg db_arg = DbArg::kNone, int arity = -1) {
  CommandRow row{name, arity, kUpstreamOnly | flags, 0, 0, 0, Exec::kAsync, nullptr};
  row.group = "upstream";
  row.relay = relay;
  row.db_arg = db_arg;
  return row;
}

}  // namespace

void RegisterUpstreamCommands(CommandTable& t) {
  // State on the connection, or a blocked connection: relay mode.
  t.Add(Upstream("multi", kRelay, RelayEffect::kMulti));
  t.Add(Upstream("exec", kRelay, RelayEffect::kExec));
  t.Add(Upstream("discard", kRelay, RelayEffect::kDiscard));
  t.Add(Upstream("watch", kRelay, RelayEffect::kWatch));
  t.Add(Upstream("unwatch", kRelay, RelayEffect::kUnwatch));
  for (std::string_view name : {"subscribe", "psubscribe", "ssubscribe"}) {
    t.Add(Upstream(name, kRelay, RelayEffect::kSubscribe));
  }
  for (std::string_view name :
       {"unsubscribe", "punsubscribe", "sunsubscribe", "blpop", "brpop", "brpoplpush", "blmove",
        "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "wait", "waitaof"}) {
    t.Add(Upstream(name, kRelay));
  }
  // About the upstream connection itself, or the server's role. (AUTH, HELLO and RESET are
  // served here.)
  for (std::string_view name : {"readonly", "readwrite", "failover", "migrate", "cluster", "asking",
                                "debug", "sync", "psync", "replicaof", "slaveof"}) {
    t.Add(Upstream(name, kUpstreamRefused));
  }
  // Keys other than args[1], or none ringside can find.
  // clang-format off
  for (std::string_view name :
       {"rpoplpush", "lmove", "zunionstore", "zinterstore", "zdiffstore", "zrangestore",
        "zunion", "zinter", "zdiff", "zintercard", "lmpop", "zmpop", "pfmerge",
        "pfcount", "georadius", "georadiusbymember", "geosearchstore", "sort", "sort_ro", "xread",
        "xreadgroup", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "xinfo",
        "xgroup", "script", "function"}) {
    // clang-format on
    t.Add(Upstream(name, kAnyKeys));
  }
}

}  // namespace ringside::proxy
