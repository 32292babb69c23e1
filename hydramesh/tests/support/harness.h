// Test harness: child processes (jackd, hydrameshd, probes) that are always stopped, JACK dummy
// servers with unique names, and small file helpers.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "hydramesh/peer_stats.h"
#include "jack_dummy_server.h"

namespace hydramesh::testing {

// A child process; the destructor stops it (SIGTERM, then SIGKILL after 15 s).
class Child {
 public:
  Child() = default;
  Child(const std::vector<std::string>& argv, const std::string& log_path);
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;

  bool running();
  // Waits for exit; returns the exit code, or -1 on timeout (the child keeps running).
  int wait_exit(double timeout_seconds);
  void stop();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// A `jackd -d dummy -r 48000 -p PERIOD` server named "<prefix><pid>", logging into dir, ready
// when constructed (check ready()). Stopped by the destructor.
class JackServer : public archibald::testing::JackDummyServer {
 public:
  JackServer(const std::string& prefix, const std::string& dir, int period = 64)
      : JackDummyServer(prefix + std::to_string(getpid()), dir, 48000, period) {}
};

// A fresh directory for this test's files.
std::string make_test_dir(const std::string& test_name);
void write_file(const std::string& path, const std::string& content, int mode = 0600);
std::string read_file(const std::string& path);
std::vector<float> read_raw_floats(const std::string& path);
bool wait_until(const std::function<bool()>& condition, double timeout_seconds);
// The daemon's status file, or an empty snapshot when absent or half-written.
NodeStatsSnapshot read_status(const std::string& path);
// The named peer in a snapshot, or nullptr.
const PeerStatsSnapshot* find_peer(const NodeStatsSnapshot& stats, const std::string& node_id);

}  // namespace hydramesh::testing
