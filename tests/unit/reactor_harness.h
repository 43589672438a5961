// What the reactor tests share: a reactor of the backend a test is parameterised with, small
// enough that its edge cases are easy to reach, and running its loop until a condition holds.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "proxy/io/reactor.h"

namespace ringside::proxy::testing {

inline constexpr unsigned kTickMs = 5;
inline constexpr unsigned kDeadlineTicks = 2000;  // 10 s

// An io_uring or libevent reactor with a 64-entry ring and eight 4 KiB receive buffers; null
// with *skip set when io_uring cannot run here, null with *error when creating it failed.
inline std::unique_ptr<Reactor> MakeTestReactor(const std::string& backend, std::string* skip,
                                                std::string* error) {
  ReactorOptions opts;
  opts.ring_entries = 64;
  opts.recv_buffers = 8;
  opts.recv_buffer_size = 4096;
  if (backend == "io_uring") {
    if (!ProbeUring(opts, error)) {
      *skip = "io_uring unavailable: " + *error;
      return nullptr;
    }
    return MakeUringReactor(opts, error);
  }
  return MakeEventReactor(opts, error);
}

// Runs the loop (once: a reactor does not run again after Stop) until `done` holds, checked
// before each pass and on a 5 ms tick that also calls `tick` when set. False when 10 s passed
// first.
inline bool RunUntil(Reactor& reactor, const std::function<bool()>& done,
                     const std::function<void()>& tick = {}) {
  bool met = false;
  unsigned ticks = 0;
  reactor.SetLoopHook([&] {
    if (done()) {
      met = true;
      reactor.Stop();
    }
  });
  reactor.AddTimer(kTickMs, [&] {
    if (tick) tick();
    if (++ticks > kDeadlineTicks) reactor.Stop();
  });
  reactor.Run();
  return met;
}

}  // namespace ringside::proxy::testing
