#include "proxy/access.h"

#include "proxy/acl/catalog.h"
#include "proxy/acl/users.h"
#include "proxy/commands/args.h"

namespace ringside::proxy {

namespace {

// The channels pub/sub commands name: from args[1] on, all of them or just the first.
enum class Channels : uint8_t { kNone, kFirst, kAll, kAllPatterns };

Channels ChannelsOf(std::string_view name) {
  if (name == "publish" || name == "spublish") return Channels::kFirst;
  if (name == "subscribe" || name == "ssubscribe") return Channels::kAll;
  if (name == "psubscribe") return Channels::kAllPatterns;
  return Channels::kNone;
}

uint8_t Needs(char spec) {
  switch (spec) {
    case 'R':
      return acl::kKeyRead;
    case 'W':
      return acl::kKeyWrite;
    case 'B':
      return acl::kKeyReadWrite;
    default:
      return 0;
  }
}

// SET reads its key only with GET; otherwise it only writes it.
bool SetReads(std::span<const std::string_view> args) {
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsNoCase(args[i], "get")) return true;
  }
  return false;
}

}  // namespace

acl::CommandAccess DescribeAccess(const CommandRow* row, std::span<const std::string_view> args) {
  const acl::Catalog& catalog = acl::Catalog::Get();
  acl::CommandAccess a;
  a.id = catalog.Find(args[0]);
  if (a.id >= 0 && args.size() >= 2 && !catalog.Subcommands(a.id).empty()) {
    if (const int sub = catalog.FindSub(a.id, LowerName(args[1])); sub >= 0) a.id = sub;
  }
  if (args.size() >= 2) a.first_arg = args[1];
  if (a.id < 0) {
    // Not a Redis 7.0 command: its keys as its row gives them, else args[1] as pass-through
    // takes it.
    a.no_auth = row != nullptr && (row->flags & kNoAuth);
    if (row != nullptr && row->first_key > 0) {
      for (size_t pos : KeyPositions(*row, args.size())) {
        a.keys.push_back({args[pos], acl::kKeyReadWrite});
      }
    } else if (row == nullptr && args.size() >= 2) {
      a.keys.push_back({args[1], acl::kKeyReadWrite});
    }
    return a;
  }
  const acl::CatalogEntry& e = catalog.entry(a.id);
  a.no_auth = (e.marks & acl::kCatalogNoAuth) != 0;
  a.keys_unknown = (e.marks & acl::kCatalogMovableKeys) != 0;
  const std::string_view specs = e.key_access;
  if (e.first_key > 0 && !specs.empty() && static_cast<size_t>(e.first_key) < args.size()) {
    const int argc = static_cast<int>(args.size());
    const int last = e.last_key < 0 ? argc + e.last_key : std::min(e.last_key, argc - 1);
    const int step = std::max(1, e.key_step);
    size_t spec = 0;
    for (int pos = e.first_key; pos <= last; pos += step) {
      uint8_t needs = Needs(specs[std::min(spec, specs.size() - 1)]);
      if (e.name == std::string_view("set")) needs = SetReads(args) ? acl::kKeyReadWrite : acl::kKeyWrite;
      a.keys.push_back({args[static_cast<size_t>(pos)], needs});
      ++spec;
    }
  }
  const Channels channels = ChannelsOf(e.name);
  for (size_t i = 1; i < args.size() && channels != Channels::kNone; ++i) {
    a.channels.push_back({args[i], channels == Channels::kAllPatterns});
    if (channels == Channels::kFirst) break;
  }
  return a;
}

std::string AclCommandName(const acl::CommandAccess& access,
                           std::span<const std::string_view> args) {
  if (access.id >= 0) return std::string(acl::Catalog::Get().name(access.id));
  return LowerName(args[0]);
}

bool Permitted(const acl::User& user, const acl::CommandAccess& access,
               std::span<const std::string_view> args, acl::Users& users, size_t log_max_len,
               const std::function<std::string()>& client_info, std::string* error) {
  const acl::Verdict v = acl::Check(user, access);
  if (v.denied == acl::Denied::kNone) return true;
  acl::LogEntry entry;
  entry.context = "toplevel";
  entry.username = user.name;
  entry.client_info = client_info();
  switch (v.denied) {
    case acl::Denied::kCommand:
      entry.reason = "command";
      entry.object = AclCommandName(access, args);
      *error = "NOPERM this user has no permissions to run the '" + entry.object + "' command";
      break;
    case acl::Denied::kKey:
      entry.reason = "key";
      entry.object = v.index >= 0 ? std::string(access.keys[static_cast<size_t>(v.index)].key)
                                  : AclCommandName(access, args);
      *error = "NOPERM this user has no permissions to access one of the keys used as arguments";
      break;
    case acl::Denied::kChannel:
      entry.reason = "channel";
      entry.object = std::string(access.channels[static_cast<size_t>(v.index)].channel);
      *error =
          "NOPERM this user has no permissions to access one of the channels used as arguments";
      break;
    case acl::Denied::kNone:
      break;
  }
  users.AddLog(std::move(entry), log_max_len);
  return false;
}

}  // namespace ringside::proxy
