#include "proxy/upstream_auth.h"

#include <hiredis/read.h>

#include <utility>
#include <vector>

#include "backend/relay_pool.h"
#include "proxy/worker.h"

namespace ringside::proxy {

namespace {

using ReaderPtr = std::unique_ptr<redisReader, decltype(&redisReaderFree)>;
using ReplyPtr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

// One whole reply parsed; null when `raw` is not exactly one.
ReplyPtr Parse(std::string_view raw) {
  ReaderPtr reader(redisReaderCreate(), &redisReaderFree);
  ReplyPtr none(nullptr, &freeReplyObject);
  if (reader == nullptr || redisReaderFeed(reader.get(), raw.data(), raw.size()) != REDIS_OK) {
    return none;
  }
  void* out = nullptr;
  if (redisReaderGetReply(reader.get(), &out) != REDIS_OK || out == nullptr) return none;
  return ReplyPtr(static_cast<redisReply*>(out), &freeReplyObject);
}

bool IsText(const redisReply* r) {
  return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}

std::string_view TextOf(const redisReply* r) { return std::string_view(r->str, r->len); }

// The value after `field` in a flat field/value array; null when absent.
const redisReply* Field(const redisReply* r, std::string_view field) {
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    if (IsText(r->element[i]) && TextOf(r->element[i]) == field) return r->element[i + 1];
  }
  return nullptr;
}

// Appends each space-separated word of a GETUSER string field.
void AddWords(const redisReply* r, std::vector<std::string>* rules) {
  if (r == nullptr || !IsText(r)) return;
  std::string_view s = TextOf(r);
  while (!s.empty()) {
    const size_t end = s.find(' ');
    if (end != 0) rules->emplace_back(s.substr(0, end));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 1);
  }
}

// An error reply's text without its '-' and line end.
std::string ErrorText(std::string_view raw) {
  if (!raw.empty() && raw.front() == '-') raw.remove_prefix(1);
  while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.remove_suffix(1);
  return std::string(raw);
}

// One check on a relay of its own; deletes itself once `done` has run.
class LoginCheck final : public backend::RelayClient {
 public:
  // `describe_only`: no AUTH, only the GETUSER as ringside's upstream-user.
  LoginCheck(Worker& worker, std::string user, std::string password, bool describe_only,
             std::function<void(UpstreamAuthResult)> done)
      : worker_(worker),
        user_(std::move(user)),
        password_(std::move(password)),
        describe_only_(describe_only),
        done_(std::move(done)) {}

  void Start() {
    relay_ = worker_.relays()->Take(this, worker_.store().NowMs());
    const std::string_view getuser[] = {"ACL", "GETUSER", user_};
    const std::string_view auth[] = {"AUTH", user_, password_};
    relay_->link.Send(getuser);
    if (describe_only_) return;
    relay_->link.Send(auth);
    relay_->link.Send(getuser);
  }

  void OnRelayReply(std::string reply) override {
    replies_.push_back(std::move(reply));
    if (replies_.size() < (describe_only_ ? 1u : 3u)) return;
    worker_.relays()->Return(relay_, /*broken=*/false);
    relay_ = nullptr;
    Finish(Decide());
  }

  void OnRelayLost() override {
    relay_ = nullptr;
    UpstreamAuthResult r;
    r.error = "ERR the upstream could not be asked to check the login: its connection was lost";
    Finish(std::move(r));
  }

 private:
  UpstreamAuthResult Decide() const {
    UpstreamAuthResult r;
    r.answered = true;
    std::string why;
    // The description as ringside's own user, or else as the user who just logged in.
    for (size_t i = 0; i < replies_.size(); i += 2) {
      if (!replies_[i].empty() && replies_[i].front() == '-') {
        if (why.empty()) why = ErrorText(replies_[i]);
        continue;
      }
      if (replies_[i] == "$-1\r\n" || replies_[i] == "*-1\r\n") r.missing = true;
      auto user = std::make_shared<acl::User>();
      if (UserFromGetUser(user_, replies_[i], user.get(), &why)) {
        r.user = std::move(user);
        break;
      }
    }
    if (describe_only_) {
      if (r.user == nullptr) r.error = why;
      return r;
    }
    if (replies_[1].empty() || replies_[1].front() != '+') {
      r.error = ErrorText(replies_[1]);
      return r;
    }
    if (r.user == nullptr) {
      r.error =
          "ERR the upstream accepted the login but ringside could not read the rights of "
          "user '" +
          user_ + "' there (" + why +
          "): give ringside's upstream-user the right to run ACL GETUSER";
      return r;
    }
    r.accepted = true;
    return r;
  }

  void Finish(UpstreamAuthResult result) {
    auto done = std::move(done_);
    delete this;
    done(std::move(result));
  }

  Worker& worker_;
  std::string user_, password_;
  bool describe_only_;
  std::function<void(UpstreamAuthResult)> done_;
  backend::Relay* relay_ = nullptr;
  std::vector<std::string> replies_;
};

}  // namespace

namespace {

void StartCheck(Worker& worker, std::string user, std::string password, bool describe_only,
                std::function<void(UpstreamAuthResult)> done) {
  if (worker.relays() == nullptr) {
    UpstreamAuthResult r;
    r.error = "ERR auth-mode upstream needs an upstream";
    return done(std::move(r));
  }
  (new LoginCheck(worker, std::move(user), std::move(password), describe_only, std::move(done)))
      ->Start();
}

}  // namespace

void CheckLoginUpstream(Worker& worker, std::string user, std::string password,
                        std::function<void(UpstreamAuthResult)> done) {
  StartCheck(worker, std::move(user), std::move(password), false, std::move(done));
}

void DescribeUserUpstream(Worker& worker, std::string user,
                          std::function<void(UpstreamAuthResult)> done) {
  StartCheck(worker, std::move(user), "", true, std::move(done));
}

bool UserFromGetUser(std::string_view name, std::string_view reply, acl::User* out,
                     std::string* error) {
  ReplyPtr r = Parse(reply);
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) {
    *error = r != nullptr && r->type == REDIS_REPLY_NIL ? "no such user" : "not a user";
    return false;
  }
  std::vector<std::string> rules;
  bool enabled = false;
  if (const redisReply* flags = Field(r.get(), "flags");
      flags != nullptr && flags->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < flags->elements; ++i) {
      if (!IsText(flags->element[i])) continue;
      const std::string_view f = TextOf(flags->element[i]);
      if (f == "on") enabled = true;
      if (f == "nopass" || f == "skip-sanitize-payload" || f == "sanitize-payload") {
        rules.emplace_back(f);
      }
    }
  }
  rules.emplace_back(enabled ? "on" : "off");
  AddWords(Field(r.get(), "commands"), &rules);
  AddWords(Field(r.get(), "keys"), &rules);
  rules.emplace_back("resetchannels");
  AddWords(Field(r.get(), "channels"), &rules);
  if (const redisReply* sel = Field(r.get(), "selectors");
      sel != nullptr && sel->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < sel->elements; ++i) {
      const redisReply* one = sel->element[i];
      if (one->type != REDIS_REPLY_ARRAY) continue;
      std::vector<std::string> words;
      AddWords(Field(one, "commands"), &words);
      AddWords(Field(one, "keys"), &words);
      words.emplace_back("resetchannels");
      AddWords(Field(one, "channels"), &words);
      std::string joined = "(";
      for (const std::string& w : words) {
        if (joined.size() > 1) joined += ' ';
        joined += w;
      }
      rules.push_back(joined + ")");
    }
  }
  acl::User user = acl::NewUser(std::string(name), /*all_channels=*/false);
  std::vector<std::string_view> views(rules.begin(), rules.end());
  if (!acl::ApplyRules(&user, views, /*all_channels=*/false, error)) return false;
  *out = std::move(user);
  return true;
}

std::string UpstreamAuthCache::KeyOf(std::string_view user, std::string_view password) {
  std::string key(user);
  key += '\0';
  key += acl::Sha256Hex(password);
  return key;
}

std::optional<UpstreamAuthCache::Entry> UpstreamAuthCache::Find(std::string_view user,
                                                                std::string_view password,
                                                                int64_t now_ms) const {
  const std::string key = KeyOf(user, password);
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires_ms <= now_ms) return std::nullopt;
  return it->second;
}

void UpstreamAuthCache::Insert(std::string_view user, std::string_view password,
                               std::shared_ptr<const acl::User> rights, int64_t now_ms,
                               int64_t ttl_ms) {
  const std::string key = KeyOf(user, password);
  std::lock_guard lock(mu_);
  // Expired entries go whenever one is added, so the cache holds only live logins.
  std::erase_if(entries_, [&](const auto& e) { return e.second.expires_ms <= now_ms; });
  entries_[key] = Entry{std::move(rights), now_ms + ttl_ms};
}

void UpstreamAuthCache::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace ringside::proxy
