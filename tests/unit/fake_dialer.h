// A Dialer for unit tests of the backend's upstream users: each connection it dials does what
// the test tells it (connect, drop, stay in flight after Close) and records what the code
// under test did with it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/dialer.h"
#include "backend/upstream_link.h"

namespace ringside::backend {

struct FakeConnection final : UpstreamConnection {
  UpstreamProtocol* protocol;
  std::function<void()> on_down;
  std::string error;
  int ticks = 0;
  bool closed = false;
  bool in_flight = false;  // a connect or stream still open after Close
  bool refused = false;    // every connect fails as it starts
  explicit FakeConnection(UpstreamProtocol* p) : protocol(p) {}
  void Tick(int64_t) override {
    ++ticks;
    if (refused && !closed) on_down();
  }
  void Flush() override {}
  void Close() override { closed = true; }
  bool gone() const override { return closed && !in_flight; }
  bool connecting() const override { return false; }
  std::string_view state() const override { return closed ? "down" : "up"; }
  const std::string& connect_error() const override { return error; }
  void set_on_down(std::function<void()> fn) override { on_down = std::move(fn); }
  std::string tls_version() const override { return ""; }
  std::string tls_cipher() const override { return ""; }
  // The upstream accepted the connection; it drops it.
  void Up() { protocol->Connected(); }
  void Down() { on_down(); }
};

struct FakeDialer : Dialer {
  // Owned by whoever dialed them; valid while the code under test keeps them.
  std::vector<std::pair<std::string, FakeConnection*>> dialed;
  bool refuse = false;  // the connections dialed from now on are refused at once
  std::unique_ptr<UpstreamConnection> Dial(std::string role, UpstreamProtocol* p) override {
    auto c = std::make_unique<FakeConnection>(p);
    c->refused = refuse;
    dialed.emplace_back(std::move(role), c.get());
    return c;
  }
};

}  // namespace ringside::backend
