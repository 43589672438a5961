// 200 clients at once against four shards: each with its own connection and thread, working
// on its own keys and on shared counters; the final counts must add up exactly.

#include <atomic>
#include <latch>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

constexpr int kClients = 200;
constexpr int kRounds = 40;
constexpr int kSharedCounters = 8;

using ConcurrencyTest = FourShardTest;

// Failures from worker threads are collected and reported by the test's thread.
class Problems {
 public:
  void Add(std::string what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (list_.size() < 20) list_.push_back(std::move(what));
    ++count_;
  }
  void Report() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& p : list_) ADD_FAILURE() << p;
    EXPECT_EQ(count_, 0) << "problems in worker threads";
  }

 private:
  std::mutex mu_;
  std::vector<std::string> list_;
  int count_ = 0;
};

std::string Describe(const Reply& r) {
  std::ostringstream os;
  os << r;
  return os.str();
}

TEST_F(ConcurrencyTest, TwoHundredClientsCountersAddUp) {
  Problems problems;
  std::latch connected(kClients + 1);
  std::latch go(1);
  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int id = 0; id < kClients; ++id) {
    threads.emplace_back([&, id] {
      Client c(port(), std::chrono::seconds(30));
      const bool ok =
          c.ok() && c.Cmd({"CLIENT", "SETNAME", "worker" + std::to_string(id)}) == Status("OK");
      if (!ok) problems.Add("client " + std::to_string(id) + " cannot connect: " + c.error());
      connected.count_down();
      go.wait();
      if (!ok) return;
      const std::string own = "own:" + std::to_string(id);
      const std::string counter = "count:" + std::to_string(id);
      for (int round = 0; round < kRounds; ++round) {
        const std::string value = std::to_string(id) + "/" + std::to_string(round);
        const std::string shared = "shared:" + std::to_string((id + round) % kSharedCounters);
        Reply r = c.Cmd({"SET", own, value});
        if (!(r == Status("OK"))) problems.Add(own + " SET -> " + Describe(r));
        r = c.Cmd({"GET", own});
        if (!(r == Bulk(value))) {
          problems.Add(own + " GET -> " + Describe(r) + ", expected " + value);
        }
        r = c.Cmd({"INCR", counter});
        if (!(r == Int(round + 1))) problems.Add(counter + " INCR -> " + Describe(r));
        r = c.Cmd({"INCR", shared});
        if (r.type != Reply::Type::kInteger) problems.Add(shared + " INCR -> " + Describe(r));
        r = c.Cmd({"INCRBY", "shared:total", "2"});
        if (r.type != Reply::Type::kInteger) problems.Add("INCRBY -> " + Describe(r));
        if (round % 10 == 0) {
          // A pipelined burst mixed in, touching other clients' keys too.
          c.Append({"MGET", own, "own:" + std::to_string((id + 1) % kClients), counter});
          c.Append({"SET", "last-writer", own});
          c.Append({"EXISTS", own, counter});
          const Reply mget = c.GetReply();
          const Reply set = c.GetReply();
          const Reply exists = c.GetReply();
          if (mget.type != Reply::Type::kArray || mget.elements.size() != 3 ||
              !(mget.elements[0] == Bulk(value))) {
            problems.Add(own + " MGET -> " + Describe(mget));
          }
          if (!(set == Status("OK"))) problems.Add("SET last-writer -> " + Describe(set));
          if (!(exists == Int(2))) problems.Add(own + " EXISTS -> " + Describe(exists));
        }
      }
    });
  }
  connected.arrive_and_wait();
  // Every client is connected at the same time.
  EXPECT_EQ(InfoInt("clients", "connected_clients"), kClients + 1);
  go.count_down();
  for (auto& t : threads) t.join();
  problems.Report();

  int64_t shared_sum = 0;
  for (int s = 0; s < kSharedCounters; ++s) {
    const Reply r = Cmd({"GET", "shared:" + std::to_string(s)});
    ASSERT_EQ(r.type, Reply::Type::kBulk) << r;
    shared_sum += std::stoll(r.str);
    EXPECT_EQ(r, Bulk(std::to_string(kClients * kRounds / kSharedCounters))) << "shared:" << s;
  }
  EXPECT_EQ(shared_sum, kClients * kRounds);
  EXPECT_EQ(Cmd({"GET", "shared:total"}), Bulk(std::to_string(2 * kClients * kRounds)));
  std::vector<std::string> mget = {"MGET"};
  for (int id = 0; id < kClients; ++id) mget.push_back("count:" + std::to_string(id));
  EXPECT_EQ(Cmd(mget), BulkArray(std::vector<std::string>(kClients, std::to_string(kRounds))));
  for (int id = 0; id < kClients; id += 37) {
    EXPECT_EQ(Cmd({"GET", "own:" + std::to_string(id)}),
              Bulk(std::to_string(id) + "/" + std::to_string(kRounds - 1)));
  }
  // own:*, count:*, shared:0..7, shared:total, last-writer.
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(2 * kClients + kSharedCounters + 2));
  EXPECT_TRUE(WaitUntil([&] { return InfoInt("clients", "connected_clients") == 1; }))
      << "closed connections are not all accounted for";
}

TEST_F(ConcurrencyTest, ConnectionsComeAndGoWhileOthersWork) {
  Problems problems;
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      Client c(port());
      int64_t n = 0;
      while (!stop.load()) {
        const Reply r = c.Cmd({"INCR", "steady:" + std::to_string(w)});
        if (!(r == Int(++n))) {
          problems.Add("steady worker " + std::to_string(w) + " -> " + Describe(r));
          return;
        }
      }
    });
  }
  // Meanwhile 300 short-lived connections: some polite, some just vanish mid-command.
  for (int i = 0; i < 300; ++i) {
    if (i % 3 == 0) {
      RawClient raw(port());
      raw.SendRaw("*3\r\n$3\r\nSET\r\n$6\r\nabrupt\r\n$10\r\nhalf");  // and close
    } else {
      Client c(port());
      ASSERT_EQ(c.Cmd({"INCR", "churn"}), Int(i - i / 3)) << i;
    }
  }
  stop = true;
  for (auto& t : workers) t.join();
  problems.Report();
  EXPECT_EQ(Cmd({"EXISTS", "abrupt"}), Int(0));
  EXPECT_EQ(Cmd({"GET", "churn"}), Bulk("200"));
  EXPECT_TRUE(WaitUntil([&] { return InfoInt("clients", "connected_clients") == 1; }));
}

}  // namespace
}  // namespace ringside::testing
