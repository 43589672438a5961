// The process-wide set of ACL users and the ACL LOG. Every worker reads it; ACL SETUSER,
// DELUSER and LOAD replace users whole. A user is handed out as an immutable snapshot
// (shared_ptr<const User>) that a connection keeps; generation() changes with every change, so
// a connection looks its user up again only when something changed. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/acl/user.h"

namespace ringside::proxy::acl {

struct LogEntry {
  int64_t count = 1;
  std::string reason;   // command, key, channel, auth
  std::string context;  // toplevel, multi, lua
  std::string object;   // the command, key or channel; for auth the command as typed
  std::string username;
  int64_t created_ms = 0;  // of the latest occurrence
  std::string client_info;
};

class Users {
 public:
  // Only the default user, on, without a password, allowed everything.
  Users();

  // Sets up the users from the configuration: the default user with `requirepass` (nopass
  // when empty), then each `user` line (a `user default` line replaces what requirepass
  // gave it). False with Redis's reason on a bad line. Not concurrent with lookups.
  bool Configure(std::string_view requirepass, std::span<const std::vector<std::string>> lines,
                 bool all_channels, std::string* error);
  // CONFIG SET requirepass: the default user gets exactly this password, or nopass.
  void SetDefaultPassword(std::string_view password);
  // The default user becomes `user` (renamed "default"); no change, no new generation, when
  // it is the same already. For auth-mode upstream's copy of the upstream's default user.
  void ReplaceDefault(User user);
  void set_all_channels(bool all) { all_channels_.store(all); }
  bool all_channels() const { return all_channels_.load(); }

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // The user's current snapshot; null when there is none of that name.
  std::shared_ptr<const User> Find(std::string_view name) const;
  std::shared_ptr<const User> Default() const { return Find("default"); }
  // Every user, by name.
  std::vector<std::shared_ptr<const User>> All() const;

  // ACL SETUSER: creates the user if needed; all rules or none. Error as Redis words it.
  bool SetUser(std::string_view name, std::span<const std::string_view> rules, std::string* error);
  // ACL DELUSER: how many of `names` existed and are gone; the default user cannot go.
  bool DelUsers(std::span<const std::string_view> names, int* deleted, std::string* error);

  // aclfile: `user name rules...` lines. Load replaces every user (all or nothing; a file
  // without a default line gets the default user on, nopass, allowed everything).
  bool LoadFile(const std::string& path, std::string* error);
  bool SaveFile(const std::string& path, std::string* error) const;

  // ACL LOG: an entry like one of the last ten (same reason, context, object and user, within
  // a minute) counts up and moves to the front instead of adding one. Keeps max_len entries.
  void AddLog(LogEntry entry, size_t max_len);
  // The newest `count` entries, newest first.
  std::vector<LogEntry> Log(size_t count) const;
  void ResetLog();

 private:
  bool ApplyLines(std::map<std::string, std::shared_ptr<const User>, std::less<>>* users,
                  std::span<const std::vector<std::string>> lines, bool reset_first,
                  std::string* error) const;
  void Publish(std::map<std::string, std::shared_ptr<const User>, std::less<>> users);

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const User>, std::less<>> users_;
  std::atomic<uint64_t> generation_{1};
  std::atomic<bool> all_channels_{false};
  std::vector<LogEntry> log_;  // newest first
};

}  // namespace ringside::proxy::acl
