#include "tests/support/reference_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string_view>

#include "tests/support/raw_client.h"

namespace ringside::testing {

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A raw array reply with its elements sorted.
std::string SortedArray(const std::string& raw) {
  std::vector<std::string> elements = RawElements(raw);
  if (elements.empty()) return raw;
  std::sort(elements.begin(), elements.end());
  std::string out = raw.substr(0, raw.find("\r\n") + 2);
  for (const std::string& e : elements) out += e;
  return out;
}

// A raw reply as two servers can be compared on: the replies whose order depends on the
// server's hash seed with their elements sorted; any other reply as it is.
std::string Canonical(const std::string& name, const std::string& raw) {
  if (name == "KEYS" || name == "SMEMBERS" || name == "SUNION" || name == "SINTER" ||
      name == "SDIFF") {
    return SortedArray(raw);
  }
  if (name == "SCAN" || name == "SSCAN") {
    const std::vector<std::string> e = RawElements(raw);
    if (e.size() == 2) return "*2\r\n" + e[0] + SortedArray(e[1]);
  }
  return raw;
}

// A raw integer reply as a number, or nullopt for any other reply.
std::optional<int64_t> RawInteger(const std::string& raw) {
  if (raw.size() < 4 || raw[0] != ':') return std::nullopt;
  return std::stoll(raw.substr(1));
}

}  // namespace

void Seed(int port, const std::vector<Argv>& commands) {
  Client c(port);
  for (const Argv& cmd : commands) {
    const Reply r = c.Cmd(cmd);
    ASSERT_FALSE(r.IsError() || r.type == Reply::Type::kIoError)
        << "seeding port " << port << ": " << ShowCommand(cmd) << " -> " << r;
  }
}

std::vector<std::string> RawElements(const std::string& raw) {
  std::vector<std::string> out;
  if (raw.empty() || (raw[0] != '*' && raw[0] != '~')) return out;
  size_t pos = raw.find("\r\n");
  if (pos == std::string::npos) return out;
  pos += 2;
  while (pos < raw.size()) {
    const size_t n = CompleteReplyLength(std::string_view(raw).substr(pos));
    if (n == 0) break;
    out.push_back(raw.substr(pos, n));
    pos += n;
  }
  return out;
}

bool SameReply(const Argv& cmd, const std::string& want, const std::string& got) {
  if (want.empty()) return false;  // no reply from the reference: nothing to compare with
  const std::string name = Upper(cmd[0]);
  if (Canonical(name, want) == Canonical(name, got)) return true;
  if (name != "TTL" && name != "PTTL") return false;
  const auto w = RawInteger(want), g = RawInteger(got);
  if (!w || !g || *w < 0 || *g < 0) return false;
  const int64_t tolerance = name == "TTL" ? kTtlToleranceMs / 1000 : kTtlToleranceMs;
  return std::abs(*w - *g) <= tolerance;
}

bool SameRawReplies(const std::vector<Argv>& commands, const std::vector<std::string>& want,
                    const std::vector<std::string>& got) {
  int wrong = 0;
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string& w = i < want.size() ? want[i] : "";
    const std::string& g = i < got.size() ? got[i] : "";
    if (!SameReply(commands[i], w, g) && ++wrong <= 8) {
      ADD_FAILURE() << "command " << i << ": " << ShowCommand(commands[i]) << "\n  redis-server "
                    << Show(w, 300) << "\n      ringside " << Show(g, 300);
    }
  }
  return wrong == 0;
}

Keyspace DumpTyped(int port) {
  Client c(port, std::chrono::seconds(30));
  Keyspace out;
  for (int db = 0; db < kDbs; ++db) {
    EXPECT_EQ(c.Cmd({"SELECT", std::to_string(db)}), kOk);
    const Reply keys = c.Cmd({"KEYS", "*"});
    EXPECT_EQ(keys.type, Reply::Type::kArray) << keys;
    for (const std::string& key : keys.Strings()) {
      KeyValue v;
      v.type = c.Cmd({"TYPE", key}).str;
      std::vector<std::string> items;
      if (v.type == "string") {
        items = {c.Cmd({"GET", key}).str};
      } else if (v.type == "hash") {
        const std::vector<std::string> flat = c.Cmd({"HGETALL", key}).Strings();
        for (size_t i = 0; i + 1 < flat.size(); i += 2)
          items.push_back(flat[i] + "=" + flat[i + 1]);
        std::sort(items.begin(), items.end());
      } else if (v.type == "list") {
        items = c.Cmd({"LRANGE", key, "0", "-1"}).Strings();
      } else if (v.type == "set") {
        items = c.Cmd({"SMEMBERS", key}).Strings();
        std::sort(items.begin(), items.end());
      } else if (v.type == "zset") {
        items = c.Cmd({"ZRANGE", key, "0", "-1", "WITHSCORES"}).Strings();
      } else if (v.type == "stream") {
        std::ostringstream text;
        text << c.Cmd({"XRANGE", key, "-", "+"});
        items = {text.str()};
      } else {
        ADD_FAILURE() << "a " << v.type << " key the test does not make: " << key;
      }
      for (const std::string& item : items) v.value += Show(item, 200) + " ";
      v.pttl = c.Cmd({"PTTL", key}).integer;
      out[{db, key}] = v;
    }
  }
  return out;
}

void ExpectSameKeyspace(const Keyspace& want, const Keyspace& got) {
  std::vector<std::string> diffs;
  const auto name = [](const std::pair<int, std::string>& k) {
    return Show(k.second) + " (db " + std::to_string(k.first) + ")";
  };
  for (const auto& [k, w] : want) {
    const auto it = got.find(k);
    if (it == got.end()) {
      diffs.push_back("missing on the upstream: " + name(k));
      continue;
    }
    const KeyValue& g = it->second;
    if (g.type != w.type || g.value != w.value) {
      diffs.push_back(name(k) + ": reference " + w.type + " " + w.value + ", upstream " + g.type +
                      " " + g.value);
    }
    const bool ttl_ok =
        w.pttl < 0 ? g.pttl == w.pttl : g.pttl > 0 && std::abs(g.pttl - w.pttl) <= kTtlToleranceMs;
    if (!ttl_ok) {
      diffs.push_back("PTTL of " + name(k) + ": reference " + std::to_string(w.pttl) +
                      ", upstream " + std::to_string(g.pttl));
    }
  }
  for (const auto& [k, unused] : got) {
    if (!want.contains(k)) diffs.push_back("only on the upstream: " + name(k));
  }
  if (diffs.empty()) return;
  std::string text;
  for (size_t i = 0; i < diffs.size() && i < 30; ++i) text += "  " + diffs[i] + "\n";
  ADD_FAILURE() << diffs.size() << " differences over " << want.size() << " keys:\n" << text;
}

void ReferenceTest::TearDown() {
  UpstreamTest::TearDown();
  if (reference_) reference_->Stop();
}

void ReferenceTest::StartReference() {
  reference_ = ServerProcess::StartRedis();
  ASSERT_NE(reference_, nullptr);
}

int64_t ReferenceTest::UpNumber(const std::string& field) {
  const std::string v = Up(proxy(), field);
  return v.empty() ? -1 : std::stoll(v);
}

bool ReferenceTest::SameOneByOne(const std::vector<Argv>& commands) {
  RawClient ringside(ringside_->port()), reference(reference_port());
  std::vector<std::string> want, got;
  for (const Argv& cmd : commands) {
    want.push_back(reference.Call(cmd));
    got.push_back(ringside.Call(cmd));
  }
  return SameRawReplies(commands, want, got);
}

void ReferenceTest::ExpectUpstreamLikeReference() {
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_record_errors"), 0) << UpstreamSection(proxy());
  ExpectSameKeyspace(DumpTyped(reference_port()), DumpTyped(upstream_port_));
}

}  // namespace ringside::testing
