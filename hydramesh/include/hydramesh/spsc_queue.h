// SpscQueue<T>: a fixed-capacity, lock-free single-producer/single-consumer ring.
//
// Storage is allocated once in the constructor; try_push/try_pop never allocate, lock or block,
// so one side may be the JACK process thread. Exactly one thread may call the producer methods
// (try_push, producer_slot/commit) and exactly one the consumer methods (try_pop, front/pop).
// The zero-copy forms let large elements (packets) be filled and read in place.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace hydramesh {

template <typename T>
class SpscQueue {
 public:
  // capacity is rounded up to a power of two.
  explicit SpscQueue(std::size_t capacity) {
    std::size_t n = 2;
    while (n < capacity)
      n *= 2;
    mask_ = n - 1;
    slots_ = std::make_unique<T[]>(n);
  }

  std::size_t capacity() const { return mask_ + 1; }

  // Producer: the slot to fill next, or nullptr when full. Call commit() to publish it.
  T* producer_slot() {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) > mask_) return nullptr;
    return &slots_[head & mask_];
  }
  void commit() {
    head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  bool try_push(const T& value) {
    T* slot = producer_slot();
    if (slot == nullptr) return false;
    *slot = value;
    commit();
    return true;
  }

  // Consumer: the oldest element, or nullptr when empty. Call pop() when done with it.
  T* front() {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return nullptr;
    return &slots_[tail & mask_];
  }
  void pop() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  bool try_pop(T* out) {
    T* slot = front();
    if (slot == nullptr) return false;
    *out = *slot;
    pop();
    return true;
  }

  // Approximate; exact when called from either side with the other side idle.
  std::size_t size() const {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }

 private:
  std::unique_ptr<T[]> slots_;
  std::size_t mask_ = 0;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace hydramesh
