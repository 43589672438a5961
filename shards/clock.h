// Time source for a store. Tests use FakeClock; the server uses the system clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace ringside::shards {

using Millis = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis NowMs() const = 0;  // Unix time in milliseconds
};

class SystemClock final : public Clock {
 public:
  Millis NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Millis start = 1'700'000'000'000) : now_(start) {}
  Millis NowMs() const override { return now_; }
  void Advance(Millis ms) { now_ += ms; }
  void Set(Millis ms) { now_ = ms; }

 private:
  Millis now_;
};

}  // namespace ringside::shards
