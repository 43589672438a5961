#include "proxy/acl/users.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

#include "proxy/acl/catalog.h"

namespace ringside::proxy::acl {

namespace {

constexpr size_t kLogMergeWindow = 10;  // entries looked at for one to count up
constexpr int64_t kLogMergeMs = 60000;  // how old that entry may be

using UserMap = std::map<std::string, std::shared_ptr<const User>, std::less<>>;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

User DefaultUser() {
  User u = NewUser("default", true);
  u.enabled = true;
  u.nopass = true;
  u.root.all_keys = true;
  u.root.keys = {KeyPattern{"*", kKeyReadWrite}};
  const std::string_view all[] = {"+@all"};
  std::string ignored;
  ApplyRules(&u, all, true, &ignored);
  return u;
}

// Splits an aclfile line into words on spaces and tabs.
std::string_view Trim(std::string_view s, std::string_view chars) {
  const size_t first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

}  // namespace

Users::Users() {
  UserMap users;
  users.emplace("default", std::make_shared<const User>(DefaultUser()));
  Publish(std::move(users));
}

void Users::Publish(UserMap users) {
  users_ = std::move(users);
  generation_.fetch_add(1, std::memory_order_release);
}

bool Users::ApplyLines(UserMap* users, std::span<const std::vector<std::string>> lines,
                       bool reset_first, std::string* error) const {
  for (const std::vector<std::string>& line : lines) {
    const std::string& name = line[0];
    if (!ValidUserName(name)) {
      *error = "Usernames can't contain spaces or null characters";
      return false;
    }
    auto it = users->find(name);
    User u = it != users->end() ? *it->second : NewUser(name, all_channels());
    std::vector<std::string_view> rules;
    // The default user of a configuration starts from nothing; any other starts new anyway.
    if (reset_first && name == "default") rules.push_back("reset");
    for (size_t i = 1; i < line.size(); ++i) rules.push_back(line[i]);
    std::string why;
    if (!ApplyRules(&u, rules, all_channels(), &why)) {
      *error = why.substr(why.rfind("ERR ", 0) == 0 ? 4 : 0);
      return false;
    }
    (*users)[name] = std::make_shared<const User>(std::move(u));
  }
  return true;
}

bool Users::Configure(std::string_view requirepass, std::span<const std::vector<std::string>> lines,
                      bool all_channels, std::string* error) {
  all_channels_.store(all_channels);
  UserMap users;
  User def = DefaultUser();
  if (!requirepass.empty()) {
    const std::string pass = ">" + std::string(requirepass);
    const std::string_view rules[] = {"resetpass", pass};
    std::string ignored;
    ApplyRules(&def, rules, true, &ignored);
  }
  users.emplace("default", std::make_shared<const User>(std::move(def)));
  std::set<std::string_view> named;
  for (const std::vector<std::string>& line : lines) {
    if (!named.insert(line[0]).second) {
      *error = "Error in user declaration '" + line[0] +
               "': Duplicate user found. A user can only be defined once in config files";
      return false;
    }
  }
  if (!ApplyLines(&users, lines, /*reset_first=*/true, error)) return false;
  std::lock_guard lock(mu_);
  Publish(std::move(users));
  return true;
}

void Users::SetDefaultPassword(std::string_view password) {
  std::lock_guard lock(mu_);
  UserMap users = users_;
  User def = *users.at("default");
  const std::string pass = ">" + std::string(password);
  std::vector<std::string_view> rules = {"resetpass"};
  rules.push_back(password.empty() ? std::string_view("nopass") : std::string_view(pass));
  std::string ignored;
  ApplyRules(&def, rules, all_channels(), &ignored);
  users["default"] = std::make_shared<const User>(std::move(def));
  Publish(std::move(users));
}

void Users::ReplaceDefault(User user) {
  user.name = "default";
  std::lock_guard lock(mu_);
  const User& now = *users_.at("default");
  if (now.enabled == user.enabled && now.nopass == user.nopass &&
      DescribeRules(now) == DescribeRules(user)) {
    return;
  }
  UserMap users = users_;
  users["default"] = std::make_shared<const User>(std::move(user));
  Publish(std::move(users));
}

std::shared_ptr<const User> Users::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const User>> Users::All() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const User>> out;
  for (const auto& [name, user] : users_) out.push_back(user);
  return out;
}

bool Users::SetUser(std::string_view name, std::span<const std::string_view> rules,
                    std::string* error) {
  if (!ValidUserName(name)) {
    *error = "ERR Usernames can't contain spaces or null characters";
    return false;
  }
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  User u = it != users_.end() ? *it->second : NewUser(std::string(name), all_channels());
  if (!ApplyRules(&u, rules, all_channels(), error)) return false;
  UserMap users = users_;
  users[std::string(name)] = std::make_shared<const User>(std::move(u));
  Publish(std::move(users));
  return true;
}

bool Users::DelUsers(std::span<const std::string_view> names, int* deleted, std::string* error) {
  for (std::string_view n : names) {
    if (n == "default") {
      *error = "ERR The 'default' user cannot be removed";
      return false;
    }
  }
  std::lock_guard lock(mu_);
  UserMap users = users_;
  *deleted = 0;
  for (std::string_view n : names) {
    auto it = users.find(n);
    if (it == users.end()) continue;
    users.erase(it);
    ++*deleted;
  }
  if (*deleted > 0) Publish(std::move(users));
  return true;
}

bool Users::LoadFile(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "Error loading ACLs, opening file '" + path + "': " + std::strerror(errno);
    return false;
  }
  // As Redis reads it: a line is trimmed, split on single spaces, and checked whole; every
  // line's problem is listed, and with any of them nothing changes.
  UserMap users;
  std::set<std::string, std::less<>> seen;
  std::string errors, text;
  int line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    const std::string where = path + ":" + std::to_string(line_no);
    std::string_view line = Trim(text, " \t\r\n");
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> words;
    for (std::string_view rest = line; !rest.empty();) {
      const size_t end = rest.find(' ');
      std::string_view word = Trim(rest.substr(0, end), "\t\r\n");
      if (!word.empty()) words.emplace_back(word);
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    if (words.size() < 2 || words[0] != "user") {
      errors += where + " should start with user keyword followed by the username. ";
      continue;
    }
    // A user counts as defined once named, even by a line with errors, as in Redis.
    if (!seen.insert(words[1]).second) {
      errors += "WARNING: Duplicate user '" + words[1] + "' found on line " +
                std::to_string(line_no) + ". ";
      continue;
    }
    words.erase(words.begin());
    std::string why;
    const std::vector<std::vector<std::string>> one = {std::move(words)};
    if (!ApplyLines(&users, one, /*reset_first=*/false, &why)) {
      // "Error in ACL SETUSER modifier '<rule>': <reason>": the file names only the reason.
      const size_t at = why.find("': ");
      if (why.rfind("Error in ACL SETUSER modifier", 0) == 0 && at != std::string::npos) {
        why = why.substr(at + 3);
      }
      errors += where + ": " + why + ". ";
    }
  }
  if (!errors.empty()) {
    *error = errors +
             "WARNING: ACL errors detected, no change to the previously active ACL rules was "
             "performed";
    return false;
  }
  if (users.find("default") == users.end()) {
    users.emplace("default", std::make_shared<const User>(DefaultUser()));
  }
  std::lock_guard lock(mu_);
  Publish(std::move(users));
  return true;
}

bool Users::SaveFile(const std::string& path, std::string* error) const {
  std::string text;
  for (const auto& u : All()) text += "user " + u->name + " " + DescribeRules(*u) + "\n";
  // Written beside the file and renamed over it, so a crash leaves the old file or the new.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      *error =
          "There was an error trying to save the ACLs. Please check the server logs for "
          "more information";
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error =
        "There was an error trying to save the ACLs. Please check the server logs for more "
        "information";
    return false;
  }
  return true;
}

void Users::AddLog(LogEntry entry, size_t max_len) {
  entry.created_ms = entry.created_ms != 0 ? entry.created_ms : NowMs();
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < log_.size() && i < kLogMergeWindow; ++i) {
    LogEntry& e = log_[i];
    if (e.reason == entry.reason && e.context == entry.context && e.object == entry.object &&
        e.username == entry.username && entry.created_ms - e.created_ms <= kLogMergeMs) {
      LogEntry merged = std::move(e);
      merged.count++;
      merged.created_ms = entry.created_ms;
      merged.client_info = std::move(entry.client_info);
      log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(i));
      log_.insert(log_.begin(), std::move(merged));
      return;
    }
  }
  log_.insert(log_.begin(), std::move(entry));
  if (log_.size() > max_len) log_.resize(max_len);
}

std::vector<LogEntry> Users::Log(size_t count) const {
  std::lock_guard lock(mu_);
  return std::vector<LogEntry>(
      log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(std::min(count, log_.size())));
}

void Users::ResetLog() {
  std::lock_guard lock(mu_);
  log_.clear();
}

}  // namespace ringside::proxy::acl
