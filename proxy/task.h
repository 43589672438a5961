// A unit of work sent to a worker's thread (Worker::Submit / Post).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace ringside::proxy {

class Worker;

// A unit of work run on one worker's thread. Whoever submits it hands over everything it
// captures; the receiving worker owns the task until it has run and is destroyed there.
class Task {
 public:
  virtual ~Task() = default;
  virtual void Run(Worker& w) = 0;
};
using TaskPtr = std::unique_ptr<Task>;

template <class F>
TaskPtr MakeTask(F&& f) {
  struct Impl final : Task {
    explicit Impl(F&& fn) : fn(std::move(fn)) {}
    void Run(Worker& w) override { fn(w); }
    std::decay_t<F> fn;
  };
  return std::make_unique<Impl>(std::forward<F>(f));
}

}  // namespace ringside::proxy
