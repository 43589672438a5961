// A move-only piece of work to run once on the shard's thread: what the backend keeps while it
// waits for a record to become durable or acknowledged. (std::function needs copyable
// captures, and the work waiting here owns what it captures; C++20 has no
// std::move_only_function.)
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace ringside::backend {

class Job {
 public:
  Job() = default;
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Job>>>
  Job(F&& fn)  // NOLINT(google-explicit-constructor): a lambda converts as to std::function
      : impl_(std::make_unique<Impl<std::decay_t<F>>>(std::forward<F>(fn))) {}

  explicit operator bool() const { return impl_ != nullptr; }
  // Runs it; a Job runs at most once, and is empty afterwards.
  void operator()() {
    std::unique_ptr<Base> impl = std::move(impl_);
    impl->Run();
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void Run() = 0;
  };
  template <class F>
  struct Impl final : Base {
    explicit Impl(F&& f) : fn(std::move(f)) {}
    explicit Impl(const F& f) : fn(f) {}
    void Run() override { fn(); }
    F fn;
  };
  std::unique_ptr<Base> impl_;
};

}  // namespace ringside::backend
