#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "archibald/subprocess.h"

namespace hydramesh::testing {

Child::Child(const std::vector<std::string>& argv, const std::string& log_path) {
  // If the test process dies (a crash, a sanitizer abort), its servers and daemons go too.
  pid_ = archibald::spawn_logged(argv, log_path);
}

Child::~Child() {
  stop();
}

Child::Child(Child&& other) noexcept : pid_(other.pid_), exit_code_(other.exit_code_) {
  other.pid_ = -1;
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = other.pid_;
    exit_code_ = other.exit_code_;
    other.pid_ = -1;
  }
  return *this;
}

bool Child::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return false;
  }
  return true;
}

int Child::wait_exit(double timeout_seconds) {
  if (!wait_until([&] { return !running(); }, timeout_seconds)) return -1;
  return exit_code_;
}

void Child::stop() {
  if (!running()) return;
  kill(pid_, SIGTERM);
  // Generous: a daemon killed before it closes its JACK clients leaves them to the server's
  // timeout.
  if (wait_exit(15.0) < 0 && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

std::string make_test_dir(const std::string& test_name) {
  const std::string dir =
      ::testing::TempDir() + "hydramesh-" + test_name + "-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::string& path, const std::string& content, int mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << content;
  }
  chmod(path.c_str(), static_cast<mode_t>(mode));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<float> read_raw_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

bool wait_until(const std::function<bool()>& condition, double timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

NodeStatsSnapshot read_status(const std::string& path) {
  auto stats = stats_from_json(read_file(path));
  return stats.ok() ? *stats : NodeStatsSnapshot{};
}

const PeerStatsSnapshot* find_peer(const NodeStatsSnapshot& stats, const std::string& node_id) {
  for (const PeerStatsSnapshot& p : stats.peers) {
    if (p.node_id == node_id) return &p;
  }
  return nullptr;
}

}  // namespace hydramesh::testing
