// Cross-core mailboxes: a bounded single-producer/single-consumer ring. One ring exists per
// (sender core, receiver core) pair; the sender pushes, the receiver pops, nobody else touches
// it. The wake-up that tells a parked receiver to look is the reactor's business, not this
// queue's.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <utility>

namespace ringside::shards {

template <class T>
class SpscQueue {
 public:
  // `capacity` must be a power of two.
  explicit SpscQueue(size_t capacity) : mask_(capacity - 1), slots_(new Slot[capacity]) {}
  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  // Producer side. Returns false (and leaves `v` untouched) when the ring is full.
  bool TryPush(T& v) {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return false;
    }
    new (&slots_[tail & mask_].storage) T(std::move(v));
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side.
  std::optional<T> TryPop() {
    const size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return std::nullopt;
    }
    T* p = std::launder(reinterpret_cast<T*>(&slots_[head & mask_].storage));
    std::optional<T> v(std::move(*p));
    p->~T();
    head_.store(head + 1, std::memory_order_release);
    return v;
  }

  ~SpscQueue() {
    while (TryPop()) {
    }
  }

 private:
  struct Slot {
    alignas(T) unsigned char storage[sizeof(T)];
  };
  const size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<size_t> head_{0};
  size_t tail_cache_ = 0;  // consumer's last view of tail_
  alignas(64) std::atomic<size_t> tail_{0};
  size_t head_cache_ = 0;  // producer's last view of head_
};

}  // namespace ringside::shards
