// AsyncPool: a few threads running queued jobs (get_async). Posting never blocks on I/O: it
// only takes the queue's lock for a push. The destructor runs every job already posted.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace streamdb::internal {

class AsyncPool {
 public:
  explicit AsyncPool(int threads);
  ~AsyncPool();
  AsyncPool(const AsyncPool&) = delete;
  AsyncPool& operator=(const AsyncPool&) = delete;

  void post(std::function<void()> job);

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace streamdb::internal
