// One ACL user, with Redis 7.0's rules: ACL SETUSER's rule language applied to a user, the
// description ACL LIST and GETUSER give of it, and the check of one command against it.
// A User is a plain value; the process-wide set of users is acl::Users (users.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringside::proxy::acl {

enum KeyPermission : uint8_t { kKeyRead = 1, kKeyWrite = 2, kKeyReadWrite = 3 };

struct KeyPattern {
  std::string pattern;
  uint8_t permissions = kKeyReadWrite;
};

// What one selector allows: commands (a bit per catalog id), keys and channels. The user's
// root rules are one; each `(...)` is another.
struct Selector {
  std::vector<uint64_t> commands;  // bit per Catalog id
  bool future_commands = false;    // +@all: commands the catalog does not know are allowed too
  std::map<int, std::vector<std::string>> first_args;  // id -> allowed args[1], as written
  std::vector<KeyPattern> keys;
  bool all_keys = false;
  std::vector<std::string> channels;
  bool all_channels = false;

  Selector();
  bool Allowed(int id) const { return (commands[static_cast<size_t>(id) / 64] >> (id % 64)) & 1u; }
  void SetAllowed(int id, bool on);
};

enum class Sanitize : uint8_t { kDefault, kSanitize, kSkip };

struct User {
  std::string name;
  bool enabled = false;
  bool nopass = false;
  Sanitize sanitize = Sanitize::kDefault;
  std::vector<std::string> passwords;  // SHA-256, lower-case hex
  Selector root;
  std::vector<Selector> selectors;
  // Allowed every command (known or not), key and channel: no command needs checking.
  bool unrestricted = false;
};

// The state a new user starts from: off, no passwords, no keys, no commands, and channels
// as acl-pubsub-default says.
User NewUser(std::string name, bool all_channels);

// Applies ACL SETUSER's rules in order, all or none: on failure `user` is unchanged and
// *error is Redis's whole error text ("ERR Error in ACL SETUSER modifier '...': ...").
// `all_channels`: acl-pubsub-default, which `reset` returns to.
bool ApplyRules(User* user, std::span<const std::string_view> rules, bool all_channels,
                std::string* error);
// Whether a name may be a user's (no spaces or NULs).
bool ValidUserName(std::string_view name);

// "on #<hash> ~key:* resetchannels -@all +get": the rules that rebuild the user, as ACL LIST
// shows them after "user <name> ".
std::string DescribeRules(const User& user);
// The parts of a selector as ACL GETUSER shows them.
std::string DescribeCommands(const Selector& s);
std::string DescribeKeys(const Selector& s);
std::string DescribeChannels(const Selector& s);
std::vector<std::string_view> Flags(const User& user);

std::string Sha256Hex(std::string_view text);
// The user may log in with `password`: it is enabled, and nopass or the password is its.
bool PasswordMatches(const User& user, std::string_view password);

// One key a command touches, and what the command does with it (Read/Write; 0: only looks).
struct KeyAccess {
  std::string_view key;
  uint8_t needs = 0;
};
// One channel a command publishes or subscribes to; `pattern`: PSUBSCRIBE's, which must equal
// an allowed pattern rather than match it.
struct ChannelAccess {
  std::string_view channel;
  bool pattern = false;
};
// A command, as the permission check sees it.
struct CommandAccess {
  int id = -1;                 // catalog id; -1 for a command the catalog does not know
  bool no_auth = false;        // AUTH, HELLO, QUIT, RESET: always allowed as commands
  std::string_view first_arg;  // args[1], for first-arg rules ("" when none)
  std::vector<KeyAccess> keys;
  std::vector<ChannelAccess> channels;
};

enum class Denied : uint8_t { kNone, kCommand, kKey, kChannel };
struct Verdict {
  Denied denied = Denied::kNone;
  int index = -1;  // the key or channel denied (in CommandAccess's lists)
};
// Redis's rule: allowed when the root or any one selector allows the whole command; otherwise
// the most telling denial (channel over key over command).
Verdict Check(const User& user, const CommandAccess& access);

}  // namespace ringside::proxy::acl
