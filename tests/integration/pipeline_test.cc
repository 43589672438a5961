// Pipelines of 1,000 mixed commands from one connection over keys of all four shards; every
// reply is checked, in order, against a model of the keyspace computed here.

#include <charconv>
#include <map>
#include <random>
#include <string>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

constexpr int kKeys = 200;
constexpr int kPipelineLength = 1000;

// The subset of Redis string semantics the generated commands need.
class Model {
 public:
  Reply Apply(const std::vector<std::string>& argv) {
    const std::string& cmd = argv[0];
    if (cmd == "SET") {
      data_[argv[1]] = argv[2];
      return Status("OK");
    }
    if (cmd == "GET") return Lookup(argv[1]);
    if (cmd == "INCR" || cmd == "INCRBY") {
      const int64_t by = cmd == "INCR" ? 1 : std::stoll(argv[2]);
      int64_t current = 0;
      auto it = data_.find(argv[1]);
      if (it != data_.end() && !StrictInteger(it->second, &current)) {
        return Error("ERR value is not an integer or out of range");
      }
      data_[argv[1]] = std::to_string(current + by);
      return Int(current + by);
    }
    if (cmd == "DEL") {
      int64_t n = 0;
      for (size_t i = 1; i < argv.size(); ++i) n += static_cast<int64_t>(data_.erase(argv[i]));
      return Int(n);
    }
    if (cmd == "EXISTS") {
      int64_t n = 0;
      for (size_t i = 1; i < argv.size(); ++i) n += static_cast<int64_t>(data_.count(argv[i]));
      return Int(n);
    }
    if (cmd == "MGET") {
      std::vector<Reply> out;
      for (size_t i = 1; i < argv.size(); ++i) out.push_back(Lookup(argv[i]));
      return Array(std::move(out));
    }
    if (cmd == "MSET") {
      for (size_t i = 1; i + 1 < argv.size(); i += 2) data_[argv[i]] = argv[i + 1];
      return Status("OK");
    }
    if (cmd == "APPEND") {
      data_[argv[1]] += argv[2];
      return Int(static_cast<int64_t>(data_[argv[1]].size()));
    }
    if (cmd == "STRLEN") {
      auto it = data_.find(argv[1]);
      return Int(it == data_.end() ? 0 : static_cast<int64_t>(it->second.size()));
    }
    ADD_FAILURE() << "model does not know " << cmd;
    return Nil();
  }

  const std::map<std::string, std::string>& data() const { return data_; }

 private:
  Reply Lookup(const std::string& key) const {
    auto it = data_.find(key);
    return it == data_.end() ? Nil() : Bulk(it->second);
  }
  // Generated values are canonical decimal or clearly not numbers, so from_chars over the
  // whole string is exactly Redis's test here.
  static bool StrictInteger(const std::string& s, int64_t* v) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
  }

  std::map<std::string, std::string> data_;
};

class Generator {
 public:
  Generator(uint32_t seed, bool big_values) : rng_(seed), big_values_(big_values) {}

  std::vector<std::string> Next() {
    const int pick = Uniform(0, 99);
    if (pick < 22) return {"SET", Key(), Value()};
    if (pick < 44) return {"GET", Key()};
    if (pick < 62) return {"INCR", Key()};
    if (pick < 67) return {"INCRBY", Key(), std::to_string(Uniform(-50, 50))};
    if (pick < 75) {
      std::vector<std::string> argv = {"DEL"};
      for (int n = Uniform(1, 3); n > 0; --n) argv.push_back(Key());
      return argv;
    }
    if (pick < 87) {
      std::vector<std::string> argv = {"MGET"};
      for (int n = Uniform(1, 8); n > 0; --n) argv.push_back(Key());
      return argv;
    }
    if (pick < 92) {
      std::vector<std::string> argv = {"MSET"};
      for (int n = Uniform(1, 5); n > 0; --n) {
        argv.push_back(Key());
        argv.push_back(Value());
      }
      return argv;
    }
    if (pick < 96) {
      std::vector<std::string> argv = {"EXISTS"};
      for (int n = Uniform(1, 4); n > 0; --n) argv.push_back(Key());
      return argv;
    }
    if (pick < 98) return {"APPEND", Key(), "+tail"};
    return {"STRLEN", Key()};
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string Key() { return "pk:" + std::to_string(Uniform(0, kKeys - 1)); }
  std::string Value() {
    const int kind = Uniform(0, 99);
    if (kind < 45) return std::to_string(Uniform(-1000, 1000));
    if (big_values_ && kind < 47)
      return std::string(static_cast<size_t>(Uniform(20000, 70000)), 'B');
    return "str" + std::to_string(Uniform(0, 1 << 20));
  }

  std::mt19937 rng_;
  bool big_values_;
};

std::string Encode(const Reply& r) {
  switch (r.type) {
    case Reply::Type::kStatus:
      return "+" + r.str + "\r\n";
    case Reply::Type::kError:
      return "-" + r.str + "\r\n";
    case Reply::Type::kInteger:
      return ":" + std::to_string(r.integer) + "\r\n";
    case Reply::Type::kBulk:
      return "$" + std::to_string(r.str.size()) + "\r\n" + r.str + "\r\n";
    case Reply::Type::kNil:
      return "$-1\r\n";
    case Reply::Type::kArray: {
      std::string out = "*" + std::to_string(r.elements.size()) + "\r\n";
      for (const auto& e : r.elements) out += Encode(e);
      return out;
    }
    case Reply::Type::kIoError:
      break;
  }
  return "<io error>";
}

std::string Describe(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + (a.size() > 40 ? "<big>" : a);
  return out;
}

using PipelineTest = FourShardTest;

TEST_F(PipelineTest, ThousandMixedCommandsRepliesInOrder) {
  Model model;
  for (uint32_t seed : {1u, 2u, 3u}) {
    Generator gen(seed, /*big_values=*/true);
    std::vector<std::vector<std::string>> commands;
    for (int i = 0; i < kPipelineLength; ++i) commands.push_back(gen.Next());
    for (const auto& argv : commands) client().Append(argv);
    int mismatches = 0;
    for (size_t i = 0; i < commands.size(); ++i) {
      const Reply expected = model.Apply(commands[i]);
      const Reply got = client().GetReply();
      ASSERT_NE(got.type, Reply::Type::kIoError)
          << "seed " << seed << ", reply " << i << ": " << got;
      if (!(got == expected) && ++mismatches <= 5) {
        ADD_FAILURE() << "seed " << seed << ", command " << i << ": " << Describe(commands[i])
                      << "\n  expected " << expected << "\n  got      " << got;
      }
    }
    EXPECT_EQ(mismatches, 0) << "seed " << seed;
  }
  // The store ends up exactly as the model.
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(static_cast<int64_t>(model.data().size())));
  for (const auto& [key, value] : model.data()) {
    EXPECT_EQ(Cmd({"GET", key}), Bulk(value)) << key;
  }
}

TEST_F(PipelineTest, PipelineSplitAtArbitraryByteBoundaries) {
  Model model;
  Generator gen(7, /*big_values=*/false);
  std::string wire;
  std::string expected;
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < kPipelineLength; ++i) {
    commands.push_back(gen.Next());
    wire += EncodeCommand(commands.back());
    expected += Encode(model.Apply(commands.back()));
  }
  RawClient raw(port());
  std::mt19937 rng(11);
  for (size_t pos = 0; pos < wire.size();) {
    const size_t n = std::min(wire.size() - pos, std::uniform_int_distribution<size_t>(1, 97)(rng));
    raw.SendRaw(std::string_view(wire).substr(pos, n));
    pos += n;
  }
  std::string got;
  for (size_t i = 0; i < commands.size(); ++i) {
    const auto reply = raw.ReadReply();
    ASSERT_TRUE(reply.has_value()) << "no reply " << i << " (" << Describe(commands[i]) << ")";
    got += *reply;
  }
  if (got != expected) {
    size_t at = 0;
    while (at < got.size() && at < expected.size() && got[at] == expected[at]) ++at;
    FAIL() << "replies differ from byte " << at << ":\n  expected " << expected.substr(at, 80)
           << "\n  got      " << got.substr(at, 80);
  }
}

TEST_F(PipelineTest, ErrorsInsideAPipelineKeepTheirPlace) {
  std::vector<std::vector<std::string>> commands;
  std::vector<Reply> expected;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "e:" + std::to_string(i);
    commands.push_back({"SET", key, "x"});
    expected.push_back(Status("OK"));
    commands.push_back({"INCR", key});
    expected.push_back(Error("ERR value is not an integer or out of range"));
    commands.push_back({"NOSUCH", key});
    expected.push_back(
        Error("ERR unknown command 'NOSUCH', with args beginning with: '" + key + "' "));
    commands.push_back({"GET"});
    expected.push_back(ArityError("get"));
    commands.push_back({"MGET", key, "e:" + std::to_string(i + 1)});
    expected.push_back(Array({Bulk("x"), Nil()}));
  }
  for (const auto& argv : commands) client().Append(argv);
  for (size_t i = 0; i < commands.size(); ++i) {
    const Reply got = client().GetReply();
    ASSERT_NE(got.type, Reply::Type::kIoError) << i;
    ASSERT_EQ(got, expected[i]) << "reply " << i << " to " << Describe(commands[i]);
  }
}

TEST_F(PipelineTest, ManyConnectionsPipelineAtOnce) {
  constexpr int kConnections = 8;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<Model> models(kConnections);
  std::vector<std::vector<std::vector<std::string>>> commands(kConnections);
  for (int c = 0; c < kConnections; ++c) {
    clients.push_back(NewClient());
    Generator gen(100 + static_cast<uint32_t>(c), /*big_values=*/false);
    for (int i = 0; i < kPipelineLength; ++i) {
      auto argv = gen.Next();
      // Every connection has its own keys, so each one's model is exact.
      for (size_t a = 1; a < argv.size(); ++a) {
        if (argv[a].rfind("pk:", 0) == 0) argv[a] = "c" + std::to_string(c) + argv[a];
      }
      commands[c].push_back(std::move(argv));
    }
  }
  // Queue everything on every connection, then read: the server sees all pipelines at once.
  for (int c = 0; c < kConnections; ++c) {
    for (const auto& argv : commands[c]) clients[c]->Append(argv);
    ASSERT_TRUE(clients[c]->Flush()) << clients[c]->error();
  }
  for (int c = 0; c < kConnections; ++c) {
    for (size_t i = 0; i < commands[c].size(); ++i) {
      const Reply expected = models[c].Apply(commands[c][i]);
      const Reply got = clients[c]->GetReply();
      ASSERT_EQ(got, expected) << "connection " << c << ", command " << i << ": "
                               << Describe(commands[c][i]);
    }
  }
}

}  // namespace
}  // namespace ringside::testing
