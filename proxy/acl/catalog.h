// The command catalog ACL rules are written against: every command and subcommand Redis 7.0
// knows (catalog_data.cc, generated from redis-server's COMMAND reply by
// scripts/gen_acl_catalog.py), each with a small id, its ACL categories, its key positions and
// the access each of its key specs needs. Whether ringside serves a command or passes it on,
// its permissions are the ones Redis gives it. Immutable and process-wide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ringside::proxy::acl {

// In ACL CAT's order.
enum Category : uint8_t {
  kKeyspace,
  kRead,
  kWrite,
  kSet,
  kSortedSet,
  kList,
  kHash,
  kString,
  kBitmap,
  kHyperLogLog,
  kGeo,
  kStream,
  kPubsub,
  kAdmin,
  kFast,
  kSlow,
  kBlocking,
  kDangerous,
  kConnection,
  kTransaction,
  kScripting,
  kCategoryCount
};
constexpr uint32_t Cat(Category c) { return 1u << c; }

// Lower-case category names, in ACL CAT's order; -1 from FindCategory for any other name.
std::span<const std::string_view> CategoryNames();
int FindCategory(std::string_view name);

enum CatalogMark : uint8_t {
  kCatalogMovableKeys = 1,  // its keys are found by reading its arguments (EVAL numkeys, ...)
  kCatalogNoAuth = 2,       // runs before the client has authenticated (AUTH, HELLO, ...)
};

// How one key spec of a movable-keys command finds its keys (Redis 7.0's key specs): where they
// begin (at an argument, or after a keyword), then how many follow.
enum class KeyFind : uint8_t {
  kRange,    // a: last key relative to the first (< 0: from the end), b: step, c: limit
  kKeynum,   // a: where the count is, relative to the begin; b: first key, likewise; c: step
  kUnknown,  // not described by the spec
};
struct KeySpec {
  char access;          // R reads, W changes, B both, - neither
  int begin_index;      // > 0: the keys begin at this argument
  const char* keyword;  // else (when not null): after this keyword, in lower case
  int startfrom;        // the keyword search starts here (< 0: from the end, backwards)
  KeyFind find;
  int a, b, c;
  bool complete;  // false: some keys are found only by reading the arguments otherwise
};

struct CatalogEntry {
  const char* name;  // lower case; a subcommand as "container|sub"
  int arity;
  int first_key, last_key, key_step;
  uint32_t categories;     // Cat() bits
  const char* key_access;  // one letter per key spec: R reads, W changes, B both, - neither
  uint8_t marks;           // CatalogMark bits
  // kCatalogMovableKeys: each key spec (empty otherwise).
  std::span<const KeySpec> key_specs = {};
};

// The generated table (catalog_data.cc), sorted by name.
extern const CatalogEntry kCatalogEntries[];
extern const size_t kCatalogSize;

class Catalog {
 public:
  static const Catalog& Get();

  size_t size() const { return entries_.size(); }
  const CatalogEntry& entry(int id) const { return entries_[static_cast<size_t>(id)]; }
  std::string_view name(int id) const { return entry(id).name; }
  // The id of a command or "container|sub", without regard to case; -1 when Redis has none.
  int Find(std::string_view name) const;
  // The id of a container's subcommand; -1 when it has no such subcommand.
  int FindSub(int container, std::string_view sub) const;
  std::span<const int> Subcommands(int id) const { return subcommands_[static_cast<size_t>(id)]; }
  int Parent(int id) const { return parents_[static_cast<size_t>(id)]; }
  bool InCategory(int id, int category) const { return (entry(id).categories >> category) & 1u; }

 private:
  Catalog();
  std::span<const CatalogEntry> entries_;
  std::unordered_map<std::string, int> ids_;
  std::vector<std::vector<int>> subcommands_;
  std::vector<int> parents_;
};

}  // namespace ringside::proxy::acl
