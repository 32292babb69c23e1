#include "bench_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "archibald/subprocess.h"

namespace hydramesh::bench {

Process::Process(const std::vector<std::string>& argv, const std::string& log,
                 const std::map<std::string, std::string>& env)
    : name_(argv.empty() ? "" : argv[0]) {
  std::map<std::string, std::string> all = env;
  all.emplace("JACK_NO_AUDIO_RESERVATION", "1");
  pid_ = archibald::spawn_logged(argv, log, all);
}

Process::Process(Process&& other) noexcept : pid_(other.pid_), name_(std::move(other.name_)) {
  other.pid_ = -1;
}

Process::~Process() {
  stop();
}

bool Process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || r < 0) {
    pid_ = -1;
    return false;
  }
  return true;
}

void Process::stop() {
  if (!running()) return;
  kill(pid_, SIGTERM);
  // Generous, so jackd unregisters from jack2's machine-wide server table (8 slots).
  for (int i = 0; i < 1500 && running(); ++i)
    usleep(10'000);
  if (running()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double now_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void sleep_seconds(double s) {
  usleep(static_cast<useconds_t>(s * 1e6));
}

int run(const std::vector<std::string>& argv, const std::string& log, double timeout_s) {
  Process p(argv, log);
  const double deadline = now_seconds() + timeout_s;
  const pid_t pid = p.pid();
  while (now_seconds() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    usleep(10'000);
  }
  return -1;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace hydramesh::bench
