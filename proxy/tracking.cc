#include "proxy/tracking.h"

#include <algorithm>

#include "proxy/command.h"
#include "proxy/commands/args.h"

namespace ringside::proxy {

namespace {

// One of `a` and `b` starts with the other (so BCAST on both would report a key twice).
bool Overlap(std::string_view a, std::string_view b) {
  return a.size() <= b.size() ? b.substr(0, a.size()) == a : a.substr(0, b.size()) == b;
}

std::string OverlapError(std::string_view prefix, std::string_view other, bool existing) {
  return "ERR Prefix '" + std::string(prefix) + "' overlaps with " +
         (existing ? "an existing" : "another provided") + " prefix '" + std::string(other) +
         "'. Prefixes for a single client must not overlap.";
}

}  // namespace

bool ParseTrackingRequest(std::span<const std::string_view> args, const ClientTracking& current,
                          TrackingRequest* out, std::string* error) {
  error->clear();
  TrackingRequest r;
  for (size_t j = 3; j < args.size(); ++j) {
    const bool more = j + 1 < args.size();
    if (EqualsNoCase(args[j], "redirect") && more) {
      ++j;
      if (r.has_redirect) {
        *error = "ERR A client can only redirect to a single other client";
        return false;
      }
      int64_t id = 0;
      if (!ParseInt64(args[j], &id)) {
        *error = "ERR value is not an integer or out of range";
        return false;
      }
      r.has_redirect = true;
      r.redirect = static_cast<uint64_t>(id);
    } else if (EqualsNoCase(args[j], "bcast")) {
      r.bcast = true;
    } else if (EqualsNoCase(args[j], "optin")) {
      r.optin = true;
    } else if (EqualsNoCase(args[j], "optout")) {
      r.optout = true;
    } else if (EqualsNoCase(args[j], "noloop")) {
      r.noloop = true;
    } else if (EqualsNoCase(args[j], "prefix") && more) {
      r.prefixes.emplace_back(args[++j]);
    } else {
      *error = "ERR syntax error";
      return false;
    }
  }
  if (EqualsNoCase(args[2], "off")) {
    *out = std::move(r);
    return true;
  }
  if (!EqualsNoCase(args[2], "on")) {
    *error = "ERR syntax error";
    return false;
  }
  r.on = true;
  if (!r.bcast && !r.prefixes.empty()) {
    *error = "ERR PREFIX option requires BCAST mode to be enabled";
  } else if (current.on && current.bcast != r.bcast) {
    *error =
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.";
  } else if (r.bcast && (r.optin || r.optout)) {
    *error = "ERR OPTIN and OPTOUT are not compatible with BCAST";
  } else if (r.optin && r.optout) {
    *error = "ERR You can't specify both OPTIN mode and OPTOUT mode";
  } else if ((r.optin && current.optout) || (r.optout && current.optin)) {
    *error =
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.";
  }
  if (!error->empty()) return false;
  if (r.bcast) {
    for (size_t i = 0; i < r.prefixes.size(); ++i) {
      for (const std::string& have : current.prefixes) {
        if (Overlap(have, r.prefixes[i])) {
          *error = OverlapError(r.prefixes[i], have, true);
          return false;
        }
      }
      for (size_t j = i + 1; j < r.prefixes.size(); ++j) {
        if (Overlap(r.prefixes[i], r.prefixes[j])) {
          *error = OverlapError(r.prefixes[i], r.prefixes[j], false);
          return false;
        }
      }
    }
  }
  *out = std::move(r);
  return true;
}

std::string InvalidationMessage(resp::Protocol proto, std::span<const std::string> keys,
                                bool flush) {
  std::string out;
  resp::Writer w(&out, proto);
  if (proto == resp::Protocol::kResp3) {
    w.PushHeader(2);
    w.Bulk("invalidate");
  } else {
    w.ArrayHeader(3);
    w.Bulk("message");
    w.Bulk("__redis__:invalidate");
  }
  if (flush) {
    w.NullArray();
  } else {
    w.ArrayHeader(static_cast<int64_t>(keys.size()));
    for (const std::string& k : keys) w.Bulk(k);
  }
  return out;
}

std::string BrokenRedirectMessage(uint64_t redirect) {
  std::string out;
  resp::Writer w(&out, resp::Protocol::kResp3);
  w.PushHeader(2);
  w.Bulk("tracking-redir-broken");
  w.Integer(static_cast<int64_t>(redirect));
  return out;
}

TrackingTable::TrackingTable(int num_workers, size_t max_keys)
    : pending_(static_cast<size_t>(num_workers)), max_keys_(max_keys) {}

void TrackingTable::Remember(std::string_view key, Client who) {
  auto it = keys_.find(std::string(key));
  if (it == keys_.end()) {
    // Past the limit, a key is forgotten to make room: its readers are told it changed, so
    // they drop it too (tracking-table-max-keys).
    if (max_keys_ > 0 && keys_.size() >= max_keys_) {
      auto victim = keys_.begin();
      for (const Client& c : victim->second) Tell(c, victim->first, 0, false);
      keys_.erase(victim);
    }
    it = keys_.emplace(std::string(key), std::vector<Client>{}).first;
  }
  std::vector<Client>& readers = it->second;
  for (const Client& c : readers) {
    if (c.id == who.id) return;
  }
  readers.push_back(who);
}

void TrackingTable::Tell(Client who, std::string_view key, uint64_t by, bool bcast) {
  pending_[static_cast<size_t>(who.home)].push_back(
      Invalidation{who.id, by, bcast, false, std::string(key)});
  ++pending_count_;
}

void TrackingTable::Changed(std::string_view key, uint64_t by) {
  if (!keys_.empty()) {
    if (auto it = keys_.find(std::string(key)); it != keys_.end()) {
      for (const Client& c : it->second) Tell(c, key, by, false);
      keys_.erase(it);
    }
  }
  for (const Prefix& p : prefixes_) {
    if (key.substr(0, p.prefix.size()) != p.prefix) continue;
    for (const Client& c : p.clients) Tell(c, key, by, true);
  }
}

void TrackingTable::ChangedAll() {
  for (const auto& [key, readers] : keys_) {
    for (const Client& c : readers) Tell(c, key, 0, false);
  }
  keys_.clear();
}

void TrackingTable::ChangedRecord(std::span<const std::string_view> argv, uint64_t by) {
  if (argv.empty()) return;
  if (EqualsNoCase(argv[0], "flushall") || EqualsNoCase(argv[0], "flushdb")) {
    keys_.clear();
    return;
  }
  const CommandRow* row = CommandTable::Get().Find(argv[0]);
  if (row == nullptr) return;
  for (size_t i : KeyPositions(*row, argv.size())) Changed(argv[i], by);
}

void TrackingTable::AddPrefix(const std::string& prefix, Client who) {
  auto it = std::find_if(prefixes_.begin(), prefixes_.end(),
                         [&](const Prefix& p) { return p.prefix == prefix; });
  if (it == prefixes_.end()) {
    prefixes_.push_back(Prefix{prefix, {}});
    it = prefixes_.end() - 1;
  }
  for (const Client& c : it->clients) {
    if (c.id == who.id) return;
  }
  it->clients.push_back(who);
}

void TrackingTable::RemoveClient(uint64_t id) {
  for (Prefix& p : prefixes_) {
    std::erase_if(p.clients, [id](const Client& c) { return c.id == id; });
  }
  std::erase_if(prefixes_, [](const Prefix& p) { return p.clients.empty(); });
}

std::vector<Invalidation> TrackingTable::Take(int home) {
  std::vector<Invalidation> out;
  out.swap(pending_[static_cast<size_t>(home)]);
  pending_count_ -= out.size();
  return out;
}

}  // namespace ringside::proxy
