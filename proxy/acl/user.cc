#include "proxy/acl/user.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <climits>

#include "proxy/acl/catalog.h"
#include "shards/store.h"

namespace ringside::proxy::acl {

namespace {

constexpr std::string_view kSyntax = "Syntax error";
constexpr std::string_view kUnknownName = "Unknown command or category name in ACL";
constexpr std::string_view kBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
constexpr std::string_view kNoSuchPassword =
    "The password you are trying to remove from the user does not exist";
constexpr std::string_view kKeyAfterAll =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns";
constexpr std::string_view kChannelAfterAll =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not "
    "have any effect. Try 'resetchannels' to start with an empty list of channels";
constexpr std::string_view kFirstArgOfSub = "Allowing first-arg of a subcommand is not supported";

bool Is(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsHash(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A command and all its subcommands.
void SetCommand(Selector* s, int id, bool on) {
  const Catalog& catalog = Catalog::Get();
  s->SetAllowed(id, on);
  s->first_args.erase(id);
  for (int sub : catalog.Subcommands(id)) {
    s->SetAllowed(sub, on);
    s->first_args.erase(sub);
  }
}

void SetCategory(Selector* s, int category, bool on) {
  const Catalog& catalog = Catalog::Get();
  for (size_t id = 0; id < catalog.size(); ++id) {
    if (catalog.InCategory(static_cast<int>(id), category)) {
      s->SetAllowed(static_cast<int>(id), on);
      s->first_args.erase(static_cast<int>(id));
    }
  }
}

void SetAll(Selector* s, bool on) {
  std::fill(s->commands.begin(), s->commands.end(), on ? ~uint64_t{0} : 0);
  s->future_commands = on;
  s->first_args.clear();
}

void AddKeyPattern(Selector* s, std::string_view pattern, uint8_t permissions) {
  for (KeyPattern& k : s->keys) {
    if (k.pattern == pattern) {
      k.permissions |= permissions;
      if (k.pattern == "*" && k.permissions == kKeyReadWrite) {
        s->keys = {KeyPattern{"*", kKeyReadWrite}};
        s->all_keys = true;
      }
      return;
    }
  }
  s->keys.push_back(KeyPattern{std::string(pattern), permissions});
}

// A command rule: +name, -name, +container|sub, +command|firstarg.
bool CommandRule(Selector* s, std::string_view rule, std::string_view* why) {
  const bool on = rule[0] == '+';
  const std::string_view name = rule.substr(1);
  const Catalog& catalog = Catalog::Get();
  if (!name.empty() && name[0] == '@') {
    const int category = FindCategory(name.substr(1));
    if (Is(name, "@all")) {
      SetAll(s, on);
      return true;
    }
    if (category < 0) {
      *why = kUnknownName;
      return false;
    }
    SetCategory(s, category, on);
    return true;
  }
  const int id = catalog.Find(name);
  if (id >= 0) {
    SetCommand(s, id, on);
    return true;
  }
  const size_t bar = name.find('|');
  if (bar == std::string_view::npos || bar == 0) {
    *why = kUnknownName;
    return false;
  }
  const int parent = catalog.Find(name.substr(0, bar));
  const std::string_view rest = name.substr(bar + 1);
  if (parent < 0) {
    *why = kUnknownName;
    return false;
  }
  if (!catalog.Subcommands(parent).empty()) {
    // A container's unknown subcommand, or a first argument of a subcommand.
    const size_t second = rest.find('|');
    if (second != std::string_view::npos && catalog.FindSub(parent, rest.substr(0, second)) >= 0) {
      *why = kFirstArgOfSub;
    } else {
      *why = kUnknownName;
    }
    return false;
  }
  // A first-argument rule, which only allows.
  if (!on || rest.empty() || rest.find('|') != std::string_view::npos) {
    *why = kUnknownName;
    return false;
  }
  if (s->Allowed(parent)) return true;
  // Kept as written, and told apart from the others without regard to case, as Redis does.
  auto& args = s->first_args[parent];
  const std::string arg = Lower(rest);
  if (std::none_of(args.begin(), args.end(),
                   [&](const std::string& a) { return Lower(a) == arg; })) {
    args.emplace_back(rest);
  }
  return true;
}

bool SelectorRule(Selector* s, std::string_view rule, std::string_view* why) {
  if (Is(rule, "allkeys") || rule == "~*") {
    s->all_keys = true;
    s->keys = {KeyPattern{"*", kKeyReadWrite}};
  } else if (Is(rule, "resetkeys")) {
    s->all_keys = false;
    s->keys.clear();
  } else if (Is(rule, "allchannels") || rule == "&*") {
    s->all_channels = true;
    s->channels = {"*"};
  } else if (Is(rule, "resetchannels")) {
    s->all_channels = false;
    s->channels.clear();
  } else if (Is(rule, "allcommands")) {
    SetAll(s, true);
  } else if (Is(rule, "nocommands")) {
    SetAll(s, false);
  } else if (rule[0] == '~' || rule[0] == '%') {
    uint8_t permissions = kKeyReadWrite;
    size_t offset = 1;
    if (rule[0] == '%') {
      permissions = 0;
      bool tilde = false;
      for (; offset < rule.size() && !tilde; ++offset) {
        const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(rule[offset])));
        if (c == 'R' && !(permissions & kKeyRead)) {
          permissions |= kKeyRead;
        } else if (c == 'W' && !(permissions & kKeyWrite)) {
          permissions |= kKeyWrite;
        } else if (rule[offset] == '~') {
          tilde = true;
        } else {
          *why = kSyntax;
          return false;
        }
      }
      // At least one of R and W before the pattern (Redis takes "%R" as "%R~").
      if (permissions == 0) {
        *why = kSyntax;
        return false;
      }
    }
    if (s->all_keys) {
      *why = kKeyAfterAll;
      return false;
    }
    AddKeyPattern(s, rule.substr(std::min(offset, rule.size())), permissions);
  } else if (rule[0] == '&') {
    if (s->all_channels) {
      *why = kChannelAfterAll;
      return false;
    }
    const std::string channel(rule.substr(1));
    if (std::find(s->channels.begin(), s->channels.end(), channel) == s->channels.end()) {
      s->channels.push_back(channel);
    }
  } else if (rule[0] == '+' || rule[0] == '-') {
    return CommandRule(s, rule, why);
  } else {
    *why = kSyntax;
    return false;
  }
  return true;
}

bool UserRule(User* u, std::string_view rule, bool all_channels, std::string_view* why) {
  if (rule.empty()) return true;
  if (rule.find(' ') != std::string_view::npos) {
    *why = kSyntax;
    return false;
  }
  if (Is(rule, "on")) {
    u->enabled = true;
  } else if (Is(rule, "off")) {
    u->enabled = false;
  } else if (Is(rule, "skip-sanitize-payload")) {
    u->sanitize = Sanitize::kSkip;
  } else if (Is(rule, "sanitize-payload")) {
    u->sanitize = Sanitize::kSanitize;
  } else if (Is(rule, "nopass")) {
    u->nopass = true;
    u->passwords.clear();
  } else if (Is(rule, "resetpass")) {
    u->nopass = false;
    u->passwords.clear();
  } else if (Is(rule, "clearselectors")) {
    u->selectors.clear();
  } else if (Is(rule, "reset")) {
    *u = NewUser(u->name, all_channels);
    u->sanitize = Sanitize::kSanitize;
  } else if (rule[0] == '>' || rule[0] == '#') {
    const std::string hash =
        rule[0] == '>' ? Sha256Hex(rule.substr(1)) : std::string(rule.substr(1));
    if (!IsHash(hash)) {
      *why = kBadHash;
      return false;
    }
    if (std::find(u->passwords.begin(), u->passwords.end(), hash) == u->passwords.end()) {
      u->passwords.push_back(hash);
    }
    u->nopass = false;
  } else if (rule[0] == '<' || rule[0] == '!') {
    const std::string hash =
        rule[0] == '<' ? Sha256Hex(rule.substr(1)) : std::string(rule.substr(1));
    if (!IsHash(hash)) {
      *why = kBadHash;
      return false;
    }
    auto it = std::find(u->passwords.begin(), u->passwords.end(), hash);
    if (it == u->passwords.end()) {
      *why = kNoSuchPassword;
      return false;
    }
    u->passwords.erase(it);
    u->nopass = false;
  } else {
    return SelectorRule(&u->root, rule, why);
  }
  return true;
}

// Applies one selector's rules, "(~k:* +get)" with its parentheses.
bool SelectorText(User* u, std::string_view text, bool all_channels, std::string_view* why) {
  Selector s;
  if (all_channels) {
    s.all_channels = true;
    s.channels = {"*"};
  }
  std::string_view inner = text.substr(1, text.size() - 2);
  while (!inner.empty()) {
    const size_t space = inner.find(' ');
    const std::string_view rule = inner.substr(0, space);
    inner = space == std::string_view::npos ? std::string_view() : inner.substr(space + 1);
    if (rule.empty()) continue;
    if (!SelectorRule(&s, rule, why)) return false;
  }
  u->selectors.push_back(std::move(s));
  return true;
}

std::string PatternText(const KeyPattern& k) {
  switch (k.permissions) {
    case kKeyRead:
      return "%R~" + k.pattern;
    case kKeyWrite:
      return "%W~" + k.pattern;
    default:
      return "~" + k.pattern;
  }
}

std::string DescribeSelector(const Selector& s) {
  std::string out = DescribeKeys(s);
  if (!out.empty()) out += ' ';
  if (s.all_channels) {
    out += "&* ";
  } else {
    out += "resetchannels ";
    for (const std::string& c : s.channels) out += "&" + c + " ";
  }
  out += DescribeCommands(s);
  return out;
}

// Whether a selector allows the command as such (its bit, or a first-argument rule).
bool CommandAllowed(const Selector& s, const CommandAccess& a) {
  if (a.no_auth) return true;
  if (a.id < 0) return s.future_commands;
  if (s.Allowed(a.id)) return true;
  auto it = s.first_args.find(a.id);
  if (it == s.first_args.end() || a.first_arg.empty()) return false;
  const std::string arg = Lower(a.first_arg);
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const std::string& allowed) { return Lower(allowed) == arg; });
}

Verdict CheckSelector(const Selector& s, const CommandAccess& a) {
  if (!CommandAllowed(s, a)) return {Denied::kCommand, -1};
  if (!s.all_keys) {
    for (size_t i = 0; i < a.keys.size(); ++i) {
      const KeyAccess& k = a.keys[i];
      const bool ok = std::any_of(s.keys.begin(), s.keys.end(), [&](const KeyPattern& p) {
        return (p.permissions & k.needs) == k.needs && shards::GlobMatch(p.pattern, k.key);
      });
      if (!ok) return {Denied::kKey, static_cast<int>(i)};
    }
  }
  if (!s.all_channels) {
    for (size_t i = 0; i < a.channels.size(); ++i) {
      const ChannelAccess& c = a.channels[i];
      const bool ok = std::any_of(s.channels.begin(), s.channels.end(), [&](const std::string& p) {
        return c.pattern ? p == c.channel : shards::GlobMatch(p, c.channel);
      });
      if (!ok) return {Denied::kChannel, static_cast<int>(i)};
    }
  }
  return {};
}

}  // namespace

Selector::Selector() : commands((Catalog::Get().size() + 63) / 64, 0) {}

void Selector::SetAllowed(int id, bool on) {
  const uint64_t bit = uint64_t{1} << (id % 64);
  uint64_t& word = commands[static_cast<size_t>(id) / 64];
  word = on ? word | bit : word & ~bit;
}

User NewUser(std::string name, bool all_channels) {
  User u;
  u.name = std::move(name);
  if (all_channels) {
    u.root.all_channels = true;
    u.root.channels = {"*"};
  }
  return u;
}

bool ValidUserName(std::string_view name) {
  return name.find(' ') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

bool ApplyRules(User* user, std::span<const std::string_view> rules, bool all_channels,
                std::string* error) {
  User next = *user;
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string_view rule = rules[i];
    std::string merged;
    std::string_view why;
    if (!rule.empty() && rule[0] == '(') {
      // A selector may span several arguments, up to the one that closes it.
      merged = std::string(rule);
      size_t j = i;
      while (merged.back() != ')' && j + 1 < rules.size()) merged += " " + std::string(rules[++j]);
      if (merged.back() != ')') {
        *error =
            "ERR Unmatched parenthesis in acl selector starting at '" + std::string(rule) + "'.";
        return false;
      }
      i = j;
      if (!SelectorText(&next, merged, all_channels, &why)) {
        *error = "ERR Error in ACL SETUSER modifier '" + merged + "': " + std::string(why);
        return false;
      }
      continue;
    }
    if (!UserRule(&next, rule, all_channels, &why)) {
      *error = "ERR Error in ACL SETUSER modifier '" + std::string(rule) + "': " + std::string(why);
      return false;
    }
  }
  const Selector& r = next.root;
  next.unrestricted = r.future_commands && r.all_keys && r.all_channels &&
                      std::all_of(r.commands.begin(), r.commands.end(),
                                  [](uint64_t w) { return w == ~uint64_t{0}; });
  *user = std::move(next);
  return true;
}

std::vector<std::string_view> Flags(const User& u) {
  std::vector<std::string_view> flags = {u.enabled ? "on" : "off"};
  if (u.nopass) flags.push_back("nopass");
  if (u.sanitize == Sanitize::kSanitize) flags.push_back("sanitize-payload");
  if (u.sanitize == Sanitize::kSkip) flags.push_back("skip-sanitize-payload");
  return flags;
}

std::string DescribeRules(const User& u) {
  std::string out;
  for (std::string_view f : Flags(u)) out += std::string(f) + " ";
  for (const std::string& p : u.passwords) out += "#" + p + " ";
  out += DescribeSelector(u.root);
  for (const Selector& s : u.selectors) out += " (" + DescribeSelector(s) + ")";
  return out;
}

std::string DescribeKeys(const Selector& s) {
  if (s.all_keys) return "~*";
  std::string out;
  for (const KeyPattern& k : s.keys) {
    if (!out.empty()) out += ' ';
    out += PatternText(k);
  }
  return out;
}

std::string DescribeChannels(const Selector& s) {
  if (s.all_channels) return "&*";
  std::string out;
  for (const std::string& c : s.channels) {
    if (!out.empty()) out += ' ';
    out += "&" + c;
  }
  return out;
}

// As Redis describes command rules: +@all or -@all, then, one at a time, the category that
// fixes more of the commands still described wrongly than it breaks, then single commands for
// what the categories leave different.
std::string DescribeCommands(const Selector& s) {
  const Catalog& catalog = Catalog::Get();
  const int n = static_cast<int>(catalog.size());
  const bool additive = !s.future_commands;
  Selector fake;
  SetAll(&fake, !additive);
  std::string out = additive ? "-@all" : "+@all";
  std::vector<bool> applied(kCategoryCount);
  for (;;) {
    int best = -1;
    int min_diff = INT_MAX;
    int max_same = 0;
    for (int c = 0; c < kCategoryCount; ++c) {
      if (applied[static_cast<size_t>(c)]) continue;
      // Only commands the description so far leaves as they started count: a category
      // changes those.
      int same = 0, diff = 0;
      for (int id = 0; id < n; ++id) {
        if (!catalog.InCategory(id, c) || fake.Allowed(id) != !additive) continue;
        (s.Allowed(id) == additive ? same : diff)++;
      }
      if (same > diff && (diff < min_diff || (diff == min_diff && same > max_same))) {
        best = c;
        min_diff = diff;
        max_same = same;
      }
    }
    if (best < 0) break;
    SetCategory(&fake, best, additive);
    out += std::string(additive ? " +@" : " -@") + std::string(CategoryNames()[best]);
    applied[static_cast<size_t>(best)] = true;
  }
  for (int id = 0; id < n; ++id) {
    const bool user_bit = s.Allowed(id);
    if (user_bit != fake.Allowed(id)) {
      out += std::string(user_bit ? " +" : " -") + std::string(catalog.name(id));
      SetCommand(&fake, id, user_bit);
    }
    auto it = s.first_args.find(id);
    if (!user_bit && it != s.first_args.end()) {
      for (const std::string& arg : it->second) {
        out += " +" + std::string(catalog.name(id)) + "|" + arg;
      }
    }
  }
  return out;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

bool PasswordMatches(const User& user, std::string_view password) {
  if (!user.enabled) return false;
  if (user.nopass) return true;
  const std::string hash = Sha256Hex(password);
  return std::find(user.passwords.begin(), user.passwords.end(), hash) != user.passwords.end();
}

Verdict Check(const User& user, const CommandAccess& access) {
  Verdict worst = CheckSelector(user.root, access);
  if (worst.denied == Denied::kNone) return worst;
  for (const Selector& s : user.selectors) {
    const Verdict v = CheckSelector(s, access);
    if (v.denied == Denied::kNone) return v;
    if (v.denied > worst.denied || (v.denied == worst.denied && v.index > worst.index)) worst = v;
  }
  return worst;
}

}  // namespace ringside::proxy::acl
