// Keys of one shard claimed by an MSETNX in flight (commands/keyspace.cc): an MSETNX claims
// its keys owner by owner before it writes any, and another MSETNX that finds one of its keys
// claimed waits here until the claims are released. Owned by the shard's worker, used on its
// thread only.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringside::proxy {

class Worker;

class KeyClaims {
 public:
  bool IsClaimed(int db, std::string_view key) const {
    return claims_.count({db, std::string(key)}) > 0;
  }
  void Claim(int db, std::string_view key) { claims_.insert({db, std::string(key)}); }
  void Release(int db, std::string_view key) { claims_.erase({db, std::string(key)}); }
  // Runs `retry` on this shard once claims were released (WakeWaiters).
  void WaitForClaims(std::function<void(Worker&)> retry) { waiters_.push_back(std::move(retry)); }
  void WakeWaiters(Worker& w) {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (auto& retry : waiters) retry(w);
  }

 private:
  std::set<std::pair<int, std::string>> claims_;
  std::vector<std::function<void(Worker&)>> waiters_;
};

}  // namespace ringside::proxy
