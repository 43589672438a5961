#include "proxy/acl/catalog.h"

#include <array>
#include <cctype>

namespace ringside::proxy::acl {

namespace {

constexpr std::array<std::string_view, kCategoryCount> kCategoryNames = {
    "keyspace", "read",   "write",    "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",    "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking", "dangerous", "connection", "transaction", "scripting"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::span<const std::string_view> CategoryNames() { return kCategoryNames; }

int FindCategory(std::string_view name) {
  const std::string lower = Lower(name);
  for (size_t i = 0; i < kCategoryNames.size(); ++i) {
    if (kCategoryNames[i] == lower) return static_cast<int>(i);
  }
  return -1;
}

const Catalog& Catalog::Get() {
  static const Catalog catalog;
  return catalog;
}

Catalog::Catalog() : entries_(kCatalogEntries, kCatalogSize) {
  subcommands_.resize(entries_.size());
  parents_.assign(entries_.size(), -1);
  for (size_t i = 0; i < entries_.size(); ++i) ids_.emplace(entries_[i].name, static_cast<int>(i));
  for (size_t i = 0; i < entries_.size(); ++i) {
    const std::string_view name = entries_[i].name;
    const size_t bar = name.find('|');
    if (bar == std::string_view::npos) continue;
    const int parent = ids_.at(std::string(name.substr(0, bar)));
    parents_[i] = parent;
    subcommands_[static_cast<size_t>(parent)].push_back(static_cast<int>(i));
  }
}

int Catalog::Find(std::string_view name) const {
  auto it = ids_.find(Lower(name));
  return it == ids_.end() ? -1 : it->second;
}

int Catalog::FindSub(int container, std::string_view sub) const {
  if (sub.find('|') != std::string_view::npos) return -1;
  return Find(std::string(name(container)) + "|" + std::string(sub));
}

}  // namespace ringside::proxy::acl
