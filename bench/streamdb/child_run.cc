#include "child_run.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace streamdb_bench {
namespace {

// Makes VmHWM start again from the current RSS (Linux >= 4.0).
Status reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  if (!clear) return Status::io_error("cannot reset the peak RSS through /proc/self/clear_refs");
  return {};
}

Result<Metrics> measure(const StoreKind& kind, WorkloadId id, const BenchSizes& sizes,
                        const std::string& dir) {
  Result<std::unique_ptr<Store>> store = kind.open(dir);
  if (!store.ok()) return store.status();
  std::unique_ptr<Workload> workload = make_workload(id, sizes);
  ARCHIBALD_RETURN_IF_ERROR(workload->prepare(**store).with_context("prepare"));
  ARCHIBALD_RETURN_IF_ERROR(reset_peak_rss());
  Result<std::uint64_t> baseline = read_proc_status_kib("VmRSS");
  Result<std::uint64_t> anon_before = read_proc_status_kib("RssAnon");
  Result<std::uint64_t> file_before = read_proc_status_kib("RssFile");
  if (!baseline.ok()) return baseline.status();
  Result<Metrics> metrics = workload->run(**store);
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

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void child_main(int fd, const StoreKind& kind, WorkloadId id, const BenchSizes& sizes,
                             const std::string& dir) {
  nlohmann::json reply;
  {
    Result<Metrics> metrics = measure(kind, id, sizes, dir);  // the store closes here
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
  bool sent = write_all(fd, reply.dump());
  ::close(fd);
  ::_exit(sent ? 0 : 3);
}

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
  std::string what = std::string(kind.name) + " (" + workload_info(id).letter + ")";
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
    child_main(fds[1], kind, id, sizes, dir);
  }
  ::close(fds[1]);
  std::string reply;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
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

}  // namespace streamdb_bench
