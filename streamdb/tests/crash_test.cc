// Crash test: a child process commits batches from several threads and reports each
// acknowledged batch through a pipe; the parent SIGKILLs it at a random moment, reopens the
// database and checks that every acknowledged batch is there, that no batch is partly applied,
// and that verify() is clean. Repeated STREAMDB_CRASH_ITERATIONS times (default 200).
//
// Thread t commits batches 0, 1, 2, ... in order. Batch n writes /b/t/n/0..k-1 and /latest/t
// (= n), and removes batch n - kWindow. So after any crash, with M = the highest batch applied,
// the database must hold exactly batches max(0, M - kWindow + 1) .. M of thread t, each whole.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "streamdb/db.h"
#include "test_dir.h"

namespace streamdb {
namespace {

constexpr int kThreads = 3;
constexpr int kWindow = 8;

Options crash_options() {
  Options o;
  o.block_size = 4096;
  o.segment_size = 1024 * 1024;
  o.async_threads = 1;
  return o;
}

std::string batch_doc_path(int t, int n, int j) {
  return "/b/" + std::to_string(t) + "/" + std::to_string(n) + "/" + std::to_string(j);
}

int docs_in_batch(int t, int n) {
  return 1 + (t * 7 + n * 13) % 4;
}

std::string batch_doc_content(int t, int n, int j) {
  std::size_t len = static_cast<std::size_t>((t * 1009 + n * 7919 + j * 104729) % 9000);
  std::string s(len, '\0');
  for (std::size_t i = 0; i < len; ++i)
    s[i] = static_cast<char>(t * 31 + n * 7 + j + i);
  return s;
}

[[noreturn]] void run_child(const std::string& dir, const int* next, int write_fd, unsigned seed) {
  auto db = DB::open(dir, crash_options());
  if (!db.ok()) _exit(3);
  if (::write(write_fd, "R\n", 2) != 2) _exit(5);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(seed + static_cast<unsigned>(t));
      for (int n = next[t];; ++n) {
        WriteBatch batch;
        for (int j = 0; j < docs_in_batch(t, n); ++j) {
          batch.put(batch_doc_path(t, n, j), batch_doc_content(t, n, j));
        }
        batch.put("/latest/" + std::to_string(t), std::to_string(n));
        if (n >= kWindow) {
          for (int j = 0; j < docs_in_batch(t, n - kWindow); ++j) {
            batch.remove(batch_doc_path(t, n - kWindow, j));
          }
        }
        WriteOptions wo;
        wo.sync = rng() % 4 != 0;
        if (!(*db)->write(wo, batch).ok()) _exit(4);
        std::string ack = std::to_string(t) + " " + std::to_string(n) + "\n";
        if (::write(write_fd, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) _exit(5);
        if (t == 0 && n % 40 == 39 && !(*db)->compact().ok()) _exit(6);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  _exit(0);
}

TEST(CrashTest, EveryAcknowledgedBatchSurvivesSigkillAndNoneIsPartial) {
  int iterations = 200;
  if (const char* env = std::getenv("STREAMDB_CRASH_ITERATIONS")) iterations = std::atoi(env);
  streamdb::testing::TestDir dir;
  std::mt19937 rng(12345);
  if (std::getenv("CRASH_KEEP")) setenv("TMPDIR", std::getenv("CRASH_KEEP"), 1);
  int next[kThreads] = {0, 0, 0};
  int total_acks = 0;
  for (int it = 0; it < iterations; ++it) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_child(dir.db(), next, fds[1], rng());
    }
    ::close(fds[1]);
    std::string acks;
    char buf[4096];
    ssize_t n;
    // A quarter of the kills land anywhere (recovery included); the rest once batches flow
    // (after the first acknowledgement), however slow the machine is.
    auto flowing = [&] {
      std::size_t r = acks.find("R\n");
      return r != std::string::npos && acks.find('\n', r + 2) != std::string::npos;
    };
    if (rng() % 4 != 0) {
      while (!flowing() && (n = ::read(fds[0], buf, sizeof buf)) > 0) {
        acks.append(buf, static_cast<std::size_t>(n));
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "child exited early with " << WEXITSTATUS(status) << " in iteration " << it;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
      acks.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);

    int max_acked[kThreads] = {-1, -1, -1};
    std::size_t pos = acks.find("R\n") == std::string::npos ? 0 : acks.find("R\n") + 2;
    while (true) {
      std::size_t nl = acks.find('\n', pos);
      if (nl == std::string::npos) break;
      int t = 0, b = 0;
      ASSERT_EQ(std::sscanf(acks.c_str() + pos, "%d %d", &t, &b), 2);
      max_acked[t] = std::max(max_acked[t], b);
      ++total_acks;
      pos = nl + 1;
    }

    auto t0 = std::chrono::steady_clock::now();
    auto db = DB::open(dir.db(), crash_options());
    if (std::getenv("CRASH_DEBUG"))
      fprintf(stderr, "it %d acks %zu open %ld ms\n", it, acks.size(),
              static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - t0)
                                    .count()));
    ASSERT_TRUE(db.ok()) << "iteration " << it << ": " << db.status().to_string();
    std::map<int, std::set<int>> present;
    std::map<std::pair<int, int>, int> doc_count;
    ASSERT_TRUE((*db)
                    ->list({}, "/b/",
                           [&](const DocumentInfo& info) {
                             int t = 0, b = 0, j = 0;
                             EXPECT_EQ(std::sscanf(info.path.c_str(), "/b/%d/%d/%d", &t, &b, &j),
                                       3);
                             present[t].insert(b);
                             ++doc_count[{t, b}];
                             auto got = (*db)->get({}, info.path);
                             EXPECT_TRUE(got.ok()) << got.status().to_string();
                             if (got.ok()) {
                               EXPECT_EQ(*got, batch_doc_content(t, b, j)) << info.path;
                             }
                             return true;
                           })
                    .ok());
    for (int t = 0; t < kThreads; ++t) {
      int applied = present[t].empty() ? -1 : *present[t].rbegin();
      ASSERT_GE(applied, max_acked[t]) << "acknowledged batch lost, iteration " << it;
      ASSERT_GE(applied, next[t] - 1) << "batch from an earlier run lost, iteration " << it;
      std::set<int> want;
      for (int b = std::max(0, applied - kWindow + 1); b <= applied; ++b)
        want.insert(b);
      ASSERT_EQ(present[t], want) << "thread " << t << ", iteration " << it;
      for (int b : want) {
        ASSERT_EQ((doc_count[{t, b}]), docs_in_batch(t, b)) << "partial batch " << t << "/" << b;
      }
      if (applied >= 0) {
        auto latest = (*db)->get({}, "/latest/" + std::to_string(t));
        ASSERT_TRUE(latest.ok());
        ASSERT_EQ(*latest, std::to_string(applied)) << "partial batch (latest), iteration " << it;
      }
      next[t] = applied + 1;
    }
    if (it % 10 == 9) {
      ASSERT_TRUE((*db)->compact().ok());
    }
    {
      auto report = (*db)->verify();
      ASSERT_TRUE(report.ok());
      ASSERT_TRUE(report->clean()) << report->damaged.front().problem;
    }
  }
  // The kills must land while batches are flowing, or the test proves nothing.
  std::printf("crash test: %d kills, %d acknowledged batches\n", iterations, total_acks);
  EXPECT_GT(total_acks, iterations);
  EXPECT_GT(next[0] + next[1] + next[2], iterations);
}

}  // namespace
}  // namespace streamdb
