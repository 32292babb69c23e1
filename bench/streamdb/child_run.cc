#include "child_run.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace streamdb_bench {
namespace {

// Commands from the parent to a lockstep child, and its acknowledgements (one byte each).
constexpr char kReady = 'r';  // prepared, baseline taken
constexpr char kStep = 's';
constexpr char kFinish = 'f';
constexpr char kStepDone = 'k';
constexpr char kStepFailed = 'e';

// Makes VmHWM start again from the current RSS (Linux >= 4.0).
Status reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  if (!clear) return Status::io_error("cannot reset the peak RSS through /proc/self/clear_refs");
  return {};
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads one byte; '\0' at end of file or on error.
char read_byte(int fd) {
  char c = 0;
  for (;;) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    return n == 1 ? c : '\0';
  }
}

std::string read_to_end(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

// The timed part of a measurement: plain run(), or lockstep steps driven by the parent.
using TimedPart = std::function<Result<Metrics>(Workload&, Store&)>;

Result<Metrics> measure(const StoreKind& kind, WorkloadId id, const BenchSizes& sizes,
                        const std::string& dir, const TimedPart& timed) {
  Result<std::unique_ptr<Store>> store = kind.open(dir);
  if (!store.ok()) return store.status();
  std::unique_ptr<Workload> workload = make_workload(id, sizes);
  ARCHIBALD_RETURN_IF_ERROR(workload->prepare(**store).with_context("prepare"));
  ARCHIBALD_RETURN_IF_ERROR(reset_peak_rss());
  Result<std::uint64_t> baseline = read_proc_status_kib("VmRSS");
  Result<std::uint64_t> anon_before = read_proc_status_kib("RssAnon");
  Result<std::uint64_t> file_before = read_proc_status_kib("RssFile");
  if (!baseline.ok()) return baseline.status();
  Result<Metrics> metrics = timed(*workload, **store);
  if (!metrics.ok()) return metrics.status();
  Result<std::uint64_t> peak = read_proc_status_kib("VmHWM");
  if (!peak.ok()) return peak.status();
  auto mib = [](std::uint64_t kib) { return static_cast<double>(kib) / 1024.0; };
  (*metrics)["baseline_rss_mib"] = mib(*baseline);
  (*metrics)["peak_rss_mib"] = mib(*peak) - mib(*baseline);
  // Where the memory is at the end, above the baseline: heap and anonymous maps versus file
  // pages mapped into the process (an mmap store's reads show up there, not in its heap).
  Result<std::uint64_t> anon_after = read_proc_status_kib("RssAnon");
  Result<std::uint64_t> file_after = read_proc_status_kib("RssFile");
  if (anon_before.ok() && anon_after.ok() && file_before.ok() && file_after.ok()) {
    (*metrics)["end_rss_anon_mib"] = mib(*anon_after) - mib(*anon_before);
    (*metrics)["end_rss_file_mib"] = mib(*file_after) - mib(*file_before);
  }
  return metrics;
}

// The child's whole life: measure, send the result as JSON on result_fd, exit.
[[noreturn]] void child_main(int result_fd, const StoreKind& kind, WorkloadId id,
                             const BenchSizes& sizes, const std::string& dir,
                             const TimedPart& timed) {
  nlohmann::json reply;
  {
    Result<Metrics> metrics = measure(kind, id, sizes, dir, timed);  // the store closes here
    if (metrics.ok()) {
      reply["metrics"] = *metrics;
    } else {
      reply["error"] = metrics.status().to_string();
    }
  }
#if defined(__SANITIZE_ADDRESS__)
  // _exit skips LeakSanitizer's exit-time check; run it here so adapter leaks fail the run.
  __lsan_do_leak_check();
#endif
  bool sent = write_all(result_fd, reply.dump());
  ::close(result_fd);
  ::_exit(sent ? 0 : 3);
}

// Reads a child's reply to the end, reaps it, and turns both into its result.
Result<Metrics> collect(pid_t pid, int result_fd, const std::string& what) {
  std::string reply = read_to_end(result_fd);
  ::close(result_fd);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(wstatus)) {
    return Status::aborted(what + ": child killed by signal " + strsignal(WTERMSIG(wstatus)));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Status::aborted(what + ": child exited with status " +
                           std::to_string(WEXITSTATUS(wstatus)));
  }
  nlohmann::json parsed = nlohmann::json::parse(reply, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Status::aborted(what + ": child sent no readable result");
  }
  if (parsed.contains("error")) {
    return Status::aborted(what + ": " + parsed["error"].get<std::string>());
  }
  Metrics metrics;
  for (const auto& [key, value] : parsed["metrics"].items()) {
    if (value.is_number()) metrics[key] = value.get<double>();
  }
  return metrics;
}

std::string describe(const StoreKind& kind, WorkloadId id) {
  return std::string(kind.name) + " (" + workload_info(id).letter + ")";
}

// The parent's ends of one lockstep child's pipes.
struct LockstepChild {
  pid_t pid = -1;
  int result_fd = -1;
  int command_fd = -1;
  int ack_fd = -1;
  Status failure;  // set when the child could not be started or a step failed
};

}  // namespace

Result<std::uint64_t> read_proc_status_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return Status::not_supported("/proc/self/status has no " + std::string(field));
}

Result<Metrics> run_in_child(const StoreKind& kind, WorkloadId id, const BenchSizes& sizes,
                             const std::string& dir) {
  const std::string what = describe(kind, id);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::from_errno(what + ": pipe", errno);
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::from_errno(what + ": fork", err);
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], kind, id, sizes, dir,
               [](Workload& workload, Store& store) { return workload.run(store); });
  }
  ::close(fds[1]);
  return collect(pid, fds[0], what);
}

std::vector<Result<Metrics>> run_in_lockstep(std::span<const StoreKind* const> kinds, WorkloadId id,
                                             const BenchSizes& sizes,
                                             std::span<const std::string> dirs) {
  // A child that dies must not take the parent with it when the parent writes its next command.
  ::signal(SIGPIPE, SIG_IGN);
  const int steps = make_workload(id, sizes)->steps();
  std::vector<LockstepChild> children(kinds.size());
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    const std::string what = describe(*kinds[k], id);
    int result[2], command[2], ack[2];
    if (::pipe2(result, O_CLOEXEC) != 0) {
      children[k].failure = Status::from_errno(what + ": pipe", errno);
      continue;
    }
    if (::pipe2(command, O_CLOEXEC) != 0 || ::pipe2(ack, O_CLOEXEC) != 0) {
      children[k].failure = Status::from_errno(what + ": pipe", errno);
      ::close(result[0]);
      ::close(result[1]);
      continue;  // (a leaked pipe pair on this path is reclaimed at exit)
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      // Only this child's pipes stay open: a sibling's write end held here would keep the
      // parent from ever seeing that sibling's end of file.
      for (std::size_t j = 0; j < k; ++j) {
        for (int fd : {children[j].result_fd, children[j].command_fd, children[j].ack_fd}) {
          if (fd >= 0) ::close(fd);
        }
      }
      ::close(result[0]);
      ::close(command[1]);
      ::close(ack[0]);
      const int command_fd = command[0];
      const int ack_fd = ack[1];
      child_main(result[1], *kinds[k], id, sizes, dirs[k],
                 [&](Workload& workload, Store& store) -> Result<Metrics> {
                   write_all(ack_fd, std::string_view(&kReady, 1));
                   for (int i = 0;; ++i) {
                     char c = read_byte(command_fd);
                     if (c == kFinish) return workload.finish(store);
                     if (c != kStep) return Status::aborted("the parent went away");
                     Status s = workload.step(store, i);
                     write_all(ack_fd, std::string_view(s.ok() ? &kStepDone : &kStepFailed, 1));
                     if (!s.ok()) return s;
                   }
                 });
    }
    ::close(result[1]);
    ::close(command[0]);
    ::close(ack[1]);
    if (pid < 0) {
      children[k].failure = Status::from_errno(what + ": fork", errno);
      ::close(result[0]);
      ::close(command[1]);
      ::close(ack[0]);
      continue;
    }
    children[k] = LockstepChild{pid, result[0], command[1], ack[0], Status{}};
  }

  // A child whose step fails (or who dies) drops out; it reports its own error at the end.
  std::vector<bool> active(children.size());
  for (std::size_t k = 0; k < children.size(); ++k)
    active[k] = children[k].pid > 0;
  // Every child prepares at the same time, so the first step waits until all are ready.
  for (std::size_t k = 0; k < children.size(); ++k) {
    if (active[k]) active[k] = read_byte(children[k].ack_fd) == kReady;
  }
  const std::string_view step(&kStep, 1);
  for (int i = 0; i < steps; ++i) {
    for (std::size_t k = 0; k < children.size(); ++k) {
      if (!active[k]) continue;
      active[k] =
          write_all(children[k].command_fd, step) && read_byte(children[k].ack_fd) == kStepDone;
    }
  }

  std::vector<Result<Metrics>> results;
  for (std::size_t k = 0; k < children.size(); ++k) {
    LockstepChild& child = children[k];
    if (child.pid <= 0) {
      results.emplace_back(child.failure);
      continue;
    }
    write_all(child.command_fd, std::string_view(&kFinish, 1));
    ::close(child.command_fd);
    ::close(child.ack_fd);
    results.push_back(collect(child.pid, child.result_fd, describe(*kinds[k], id)));
  }
  return results;
}

}  // namespace streamdb_bench
