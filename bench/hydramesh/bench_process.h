// Child processes and CPU accounting for the benchmark.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace hydramesh::bench {

// A child process, stopped (SIGTERM, then SIGKILL) by the destructor or stop().
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log,
          const std::map<std::string, std::string>& env = {});
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  bool running();
  void stop();
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

 private:
  pid_t pid_ = -1;
  std::string name_;
};

// user + system CPU time of a process so far, in seconds (0 when gone).
double cpu_seconds(pid_t pid);
double now_seconds();
void sleep_seconds(double s);
// Runs a command to completion (with a timeout); returns its exit code or -1.
int run(const std::vector<std::string>& argv, const std::string& log, double timeout_s = 10);
std::string read_text(const std::string& path);

}  // namespace hydramesh::bench
