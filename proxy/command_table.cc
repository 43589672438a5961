#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

#include "proxy/command.h"
#include "proxy/commands/args.h"

namespace ringside::proxy {

const CommandTable& CommandTable::Get() {
  static const CommandTable table = [] {
    CommandTable t;
    RegisterStringCommands(t);
    RegisterHashCommands(t);
    RegisterSetCommands(t);
    RegisterListCommands(t);
    RegisterBitCommands(t);
    RegisterObjectCommands(t);
    RegisterKeyCommands(t);
    RegisterServerCommands(t);
    RegisterKeyspaceCommands(t);
    RegisterAclCommands(t);
    RegisterClientCommands(t);
    RegisterUpstreamCommands(t);
    return t;
  }();
  return table;
}

void CommandTable::Add(const CommandRow& row) {
  if (row.flags & kUpstreamOnly) {
    index_.emplace(std::string(row.name), upstream_rows_.size() | kUpstreamIndex);
    upstream_rows_.push_back(row);
    return;
  }
  index_.emplace(std::string(row.name), rows_.size());
  rows_.push_back(row);
}

const CommandRow* CommandTable::FindAny(std::string_view name) const {
  if (name.size() > 32) return nullptr;
  char buf[32];
  for (size_t i = 0; i < name.size(); ++i) buf[i] = static_cast<char>(std::tolower(name[i]));
  auto it = index_.find(std::string(buf, name.size()));
  if (it == index_.end()) return nullptr;
  if (it->second & kUpstreamIndex) return &upstream_rows_[it->second & ~kUpstreamIndex];
  return &rows_[it->second];
}

shards::Value CommandContext::TakeValue(size_t i) {
  if (promoted != nullptr) {
    const uint32_t index = promoted_base + static_cast<uint32_t>(i);
    for (PromotedArg& p : *promoted) {
      if (p.index == index && p.bytes.data != nullptr) return std::move(p.bytes);
    }
  }
  const std::string_view a = args[i];
  if (bulk != nullptr) bulk->plain_copied_bytes += a.size();
  return CopyValue(a);
}

void PropagateRemovals(shards::Store& store, backend::PropagationSink* sink) {
  if (sink == nullptr) {
    store.SetExpiredHook(nullptr);
    store.SetEvictedHook(nullptr);
    return;
  }
  auto record_del = [sink](int db, std::string_view key) {
    const std::string_view argv[] = {"DEL", key};
    sink->Record(db, argv);
  };
  store.SetExpiredHook(record_del);
  store.SetEvictedHook(record_del);
}

bool Overwrites(const CommandRow& row, std::span<const std::string_view> argv) {
  if ((row.flags & kOverwrite) == 0) return false;
  if ((row.flags & kOverwriteUnlessReads) == 0) return true;
  for (size_t i = 3; i < argv.size(); ++i) {
    for (std::string_view reads : {"nx", "xx", "get", "keepttl"}) {
      if (EqualsNoCase(argv[i], reads)) return false;
    }
  }
  return true;
}

bool ArityOk(const CommandRow& row, size_t argc) {
  const auto n = static_cast<int64_t>(argc);
  if (row.arity >= 0 ? n != row.arity : n < -row.arity) return false;
  if (row.key_step > 1 && row.last_key < 0) {
    return (n - row.first_key) % row.key_step == 0;
  }
  return true;
}

std::string ArityError(std::string_view lower_name) {
  return "ERR wrong number of arguments for '" + std::string(lower_name) + "' command";
}

std::string UnknownCommandError(std::span<const std::string_view> args) {
  // Redis formats these as C strings, so each one ends at its first NUL byte.
  auto c_text = [](std::string_view s) { return s.substr(0, s.find('\0')); };
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
    const size_t room = 128 - list.size();
    list += "'";
    list.append(c_text(args[i]).substr(0, room));
    list += "' ";
  }
  std::string name(args.empty() ? std::string_view() : c_text(args[0]).substr(0, 128));
  std::string msg = "ERR unknown command '" + name + "', with args beginning with: " + list;
  // An error line must stay one line.
  for (char& c : msg) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return msg;
}

std::vector<size_t> KeyPositions(const CommandRow& row, size_t argc) {
  std::vector<size_t> keys;
  if (row.first_key <= 0) return keys;
  const int64_t last = row.last_key < 0 ? static_cast<int64_t>(argc) + row.last_key : row.last_key;
  for (int64_t i = row.first_key; i <= last && i < static_cast<int64_t>(argc); i += row.key_step) {
    keys.push_back(static_cast<size_t>(i));
  }
  return keys;
}

resp::Output MergeParts(Merge merge, std::vector<resp::Output>& parts) {
  resp::Output out;
  resp::Writer w(&out);
  switch (merge) {
    case Merge::kArray:
      w.ArrayHeader(static_cast<int64_t>(parts.size()));
      for (auto& p : parts) out.Append(std::move(p));
      break;
    case Merge::kSum: {
      int64_t sum = 0;
      for (auto& p : parts) {
        const std::string& t = p.text;
        if (!t.empty() && t[0] == '-') return std::move(p);  // an error part wins
        int64_t v = 0;
        if (t.size() > 3) std::from_chars(t.data() + 1, t.data() + t.size() - 2, v);
        sum += v;
      }
      w.Integer(sum);
      break;
    }
    case Merge::kOk:
      for (auto& p : parts) {
        if (!p.text.empty() && p.text[0] == '-') return std::move(p);
      }
      w.Ok();
      break;
    case Merge::kNone:
      for (auto& p : parts) out.Append(std::move(p));
      break;
  }
  return out;
}

}  // namespace ringside::proxy
