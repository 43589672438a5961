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

// Redis 7.0's search of a command's arguments by its key specs (getKeysUsingKeySpecs): false
// when a spec cannot describe its keys (Redis then reads the arguments the command's own way).
// A spec whose keys fall outside the arguments (a bad count) gives none: the command then
// fails on its own arguments.
bool KeysFromSpecs(std::span<const acl::KeySpec> specs, std::span<const std::string_view> args,
                   std::vector<acl::KeyAccess>* keys) {
  const int argc = static_cast<int>(args.size());
  for (const acl::KeySpec& spec : specs) {
    if (!spec.complete) return false;
    int first = 0;
    if (spec.begin_index > 0) {
      first = spec.begin_index;
    } else {
      const int start = spec.startfrom > 0 ? spec.startfrom : argc + spec.startfrom;
      const int end = spec.startfrom > 0 ? argc - 1 : 1;
      for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (EqualsNoCase(args[static_cast<size_t>(i)], spec.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) continue;  // the keyword is not there: no keys of this spec
    }
    int last = 0, step = 1;
    if (spec.find == acl::KeyFind::kRange) {
      if (spec.a >= 0) {
        last = first + spec.a;
      } else if (spec.c == 0) {
        last = argc + spec.a;
      } else {
        last = first + ((argc - first) / spec.c + spec.a);
      }
      step = spec.b;
    } else {
      const int at = first + spec.a;
      int64_t count = 0;
      if (at >= argc || !ParseInt64(args[static_cast<size_t>(at)], &count) || count < 0 ||
          count > argc) {
        continue;
      }
      first += spec.b;
      last = first + static_cast<int>(count) - 1;
      step = spec.c;
    }
    if (last >= argc || last < first || first >= argc) continue;
    for (int i = first; i <= last; i += std::max(1, step)) {
      keys->push_back({args[static_cast<size_t>(i)], Needs(spec.access)});
    }
  }
  return true;
}

// The keys of the commands whose key specs are incomplete, found as Redis's own functions for
// them find them (sortGetKeys, migrateGetKeys).
void KeysOtherwise(std::string_view name, std::span<const std::string_view> args,
                   std::vector<acl::KeyAccess>* keys) {
  if (name == "sort" || name == "sort_ro") {
    if (args.size() < 2) return;
    keys->push_back({args[1], acl::kKeyRead});
    if (name == "sort_ro") return;
    std::string_view store;
    for (size_t i = 2; i < args.size(); ++i) {
      if (EqualsNoCase(args[i], "limit")) {
        i += 2;
      } else if (EqualsNoCase(args[i], "get") || EqualsNoCase(args[i], "by")) {
        i += 1;
      } else if (EqualsNoCase(args[i], "store") && i + 1 < args.size()) {
        store = args[++i];
      }
    }
    if (!store.empty()) keys->push_back({store, acl::kKeyWrite});
    return;
  }
  if (name == "migrate") {
    if (args.size() < 6) return;
    size_t first = 3, last = 3;
    for (size_t i = 6; i < args.size(); ++i) {
      if (EqualsNoCase(args[i], "auth2")) {
        i += 2;
      } else if (EqualsNoCase(args[i], "auth")) {
        i += 1;
      } else if (EqualsNoCase(args[i], "keys")) {
        if (!args[3].empty()) return;
        first = i + 1;
        last = args.size() - 1;
        break;
      }
    }
    for (size_t i = first; i <= last && i < args.size(); ++i) {
      keys->push_back({args[i], acl::kKeyReadWrite});
    }
  }
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
  if (e.marks & acl::kCatalogMovableKeys) {
    if (!KeysFromSpecs(e.key_specs, args, &a.keys)) {
      a.keys.clear();
      KeysOtherwise(e.name, args, &a.keys);
    }
    return a;
  }
  const std::string_view specs = e.key_access;
  if (e.first_key > 0 && !specs.empty() && static_cast<size_t>(e.first_key) < args.size()) {
    const int argc = static_cast<int>(args.size());
    const int last = e.last_key < 0 ? argc + e.last_key : std::min(e.last_key, argc - 1);
    const int step = std::max(1, e.key_step);
    size_t spec = 0;
    for (int pos = e.first_key; pos <= last; pos += step) {
      uint8_t needs = Needs(specs[std::min(spec, specs.size() - 1)]);
      if (e.name == std::string_view("set"))
        needs = SetReads(args) ? acl::kKeyReadWrite : acl::kKeyWrite;
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
