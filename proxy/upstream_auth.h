// auth-mode upstream: a client's AUTH and HELLO AUTH are checked by the upstream itself, and
// the client then acts with the rights the upstream gives that user, so an application keeps
// the upstream's credentials in its URL and ringside's configuration holds none of them.
//
// A check runs on a relay of the client's shard (its own upstream connection, logged in as
// ringside's upstream-user): `ACL GETUSER <user>`, `AUTH <user> <password>`, `ACL GETUSER
// <user>` again, in one round trip. The AUTH reply decides, word for word as the upstream
// says it; the rights come from the first GETUSER that was allowed (as ringside's own user,
// or else as the user who just logged in), turned into the same rules locally. A login the
// upstream accepted, with its rights, is kept for auth-cache-ttl seconds (UpstreamAuthCache),
// so a pool opening many connections asks once; failed logins are not kept.
//
// The upstream's default user is mirrored into the local users the same way, every
// auth-cache-ttl seconds, so that a client that sends no AUTH is what it would be upstream.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/acl/user.h"

namespace ringside::proxy {

class Worker;

struct UpstreamAuthResult {
  // The upstream answered the AUTH (or, for DescribeUserUpstream, the ACL GETUSER).
  bool answered = false;
  // The upstream accepted the login; `user` holds the rights it gives.
  bool accepted = false;
  // The user as the upstream describes it (on or off, nopass, rights); null when it could
  // not be read.
  std::shared_ptr<const acl::User> user;
  // The upstream has no such user (ACL GETUSER answered null).
  bool missing = false;
  // Not accepted: the client's error reply, without the leading '-' (WRONGPASS as the
  // upstream words it, or why the check could not be made).
  std::string error;
};

// Checks `user`/`password` with the upstream over a relay of `worker`'s shard; `done` runs
// on that worker's thread, exactly once (also when the relay is lost).
void CheckLoginUpstream(Worker& worker, std::string user, std::string password,
                        std::function<void(UpstreamAuthResult)> done);
// Only reads `user` as ringside's upstream-user may (ACL GETUSER); `accepted` stays false.
void DescribeUserUpstream(Worker& worker, std::string user,
                          std::function<void(UpstreamAuthResult)> done);

// The rights in an ACL GETUSER reply (RESP2, as the upstream sent it) as a local user named
// `name`: on, with the upstream's commands, keys, channels and selectors. False with the
// reason when the reply is not a GETUSER description or its rules do not apply here.
bool UserFromGetUser(std::string_view name, std::string_view reply, acl::User* out,
                     std::string* error);

// Logins the upstream accepted, by user and password digest, until they expire. Shared by
// every worker.
class UpstreamAuthCache {
 public:
  struct Entry {
    std::shared_ptr<const acl::User> rights;
    int64_t expires_ms = 0;
  };
  // The login and its rights, when `password` was accepted for `user` less than the TTL ago.
  std::optional<Entry> Find(std::string_view user, std::string_view password, int64_t now_ms) const;
  void Insert(std::string_view user, std::string_view password,
              std::shared_ptr<const acl::User> rights, int64_t now_ms, int64_t ttl_ms);
  void Clear();

 private:
  static std::string KeyOf(std::string_view user, std::string_view password);

  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace ringside::proxy
