// Checks about the checking process: who it runs as, its limits, groups, and whether
// SCHED_FIFO and mlock actually work.
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "check_registry.h"

namespace audio_setup {
namespace {

std::string limit_text(std::int64_t v) {
  return v == kUnlimited ? "unlimited" : std::to_string(v);
}

std::string bytes_text(std::int64_t v) {
  if (v == kUnlimited) return "unlimited";
  if (v >= (1LL << 20) && v % (1LL << 20) == 0) return std::to_string(v >> 20) + " MiB";
  if (v >= 1024 && v % 1024 == 0) return std::to_string(v >> 10) + " KiB";
  return std::to_string(v) + " bytes";
}

bool is_root(const CheckContext& ctx) {
  return ctx.identity() && ctx.identity()->uid == 0;
}

}  // namespace

Evaluation check_not_root(const CheckContext& ctx) {
  if (!ctx.identity()) return na("/proc/self/status unreadable or without Uid/Gid lines");
  if (ctx.identity()->uid == 0) {
    return warn(
        "effective uid 0: this report describes root, which ignores RLIMIT_RTPRIO, "
        "RLIMIT_MEMLOCK and group permissions");
  }
  return ok("effective uid " + std::to_string(ctx.identity()->uid));
}

Evaluation check_rtprio_limit(const CheckContext& ctx) {
  std::optional<std::string> limits = ctx.root().try_read("/proc/self/limits");
  if (!limits) return na("/proc/self/limits unreadable");
  std::optional<Limit> limit = parse_limit(*limits, "Max realtime priority");
  if (!limit) return na("/proc/self/limits has no readable 'Max realtime priority' row");
  std::string obs =
      "RLIMIT_RTPRIO soft " + limit_text(limit->soft) + ", hard " + limit_text(limit->hard);
  if (is_root(ctx)) return na(obs + "; root is not bound by it (CAP_SYS_NICE)");
  if (limit->hard == kUnlimited || limit->hard >= kMinRtprio) return ok(obs);
  if (limit->hard == 0) return fail(obs + ": no real-time scheduling allowed");
  return warn(obs + ": below " + std::to_string(kMinRtprio) + ", the priority PipeWire asks for");
}

Evaluation check_memlock_limit(const CheckContext& ctx) {
  std::optional<std::string> limits = ctx.root().try_read("/proc/self/limits");
  if (!limits) return na("/proc/self/limits unreadable");
  std::optional<Limit> limit = parse_limit(*limits, "Max locked memory");
  if (!limit) return na("/proc/self/limits has no readable 'Max locked memory' row");
  std::string obs =
      "RLIMIT_MEMLOCK soft " + bytes_text(limit->soft) + ", hard " + bytes_text(limit->hard);
  if (is_root(ctx)) return na(obs + "; root is not bound by it (CAP_IPC_LOCK)");
  if (limit->hard == kUnlimited || limit->hard >= kMinMemlockBytes) return ok(obs);
  if (limit->hard < (64LL << 20)) return fail(obs + ": too small to lock an audio engine");
  return warn(obs + ": below " + bytes_text(kMinMemlockBytes));
}

Evaluation check_audio_group(const CheckContext& ctx) {
  if (!ctx.identity()) return na("/proc/self/status unreadable or without Uid/Gid lines");
  std::optional<std::string> group_text = ctx.root().try_read("/etc/group");
  if (!group_text) return na("/etc/group unreadable");
  if (is_root(ctx)) return na("running as root: group membership grants root nothing");
  std::map<std::string, GroupEntry> groups = parse_group_file(*group_text);
  std::string present;
  for (const char* name : {"audio", "realtime", "pipewire"}) {
    auto it = groups.find(name);
    if (it == groups.end()) continue;
    present += std::string(present.empty() ? "" : ", ") + name;
    const ProcessIdentity& id = *ctx.identity();
    bool member = id.gid == it->second.gid;
    for (std::int64_t g : id.groups)
      member = member || g == it->second.gid;
    if (member) {
      return ok("member of group '" + std::string(name) + "' (gid " +
                std::to_string(it->second.gid) + ")");
    }
  }
  if (present.empty()) return warn("none of the groups audio, realtime, pipewire exists");
  return warn("not a member of " + present + " (supplementary groups of this process)");
}

Evaluation check_sched_fifo_trial(const CheckContext& /*ctx*/) {
  // A throwaway thread asks for SCHED_FIFO, then puts its policy back; the caller's own
  // scheduling is never touched.
  int granted = 0;
  int error = 0;
  std::thread trial([&] {
    int old_policy = 0;
    sched_param old_param{};
    pthread_getschedparam(pthread_self(), &old_policy, &old_param);
    for (int prio : {static_cast<int>(kWantedRtprio) - 25, 1}) {
      sched_param param{};
      param.sched_priority = prio;
      int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
      if (rc == 0) {
        granted = prio;
        break;
      }
      error = rc;
    }
    pthread_setschedparam(pthread_self(), old_policy, &old_param);
  });
  trial.join();
  if (granted == static_cast<int>(kWantedRtprio) - 25) {
    return ok("SCHED_FIFO priority " + std::to_string(granted) + " granted to a test thread");
  }
  if (granted > 0) {
    return warn("SCHED_FIFO granted only at priority " + std::to_string(granted) + ", not " +
                std::to_string(kWantedRtprio - 25));
  }
  return fail(std::string("SCHED_FIFO refused: ") + strerror(error));
}

Evaluation check_mlock_trial(const CheckContext& /*ctx*/) {
  constexpr std::size_t kTrialBytes = 64u << 20;
  int error = 0;
  std::thread trial([&] {
    void* block =
        mmap(nullptr, kTrialBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) {
      error = errno;
      return;
    }
    if (mlock(block, kTrialBytes) == 0) {
      munlock(block, kTrialBytes);
    } else {
      error = errno;
    }
    munmap(block, kTrialBytes);
  });
  trial.join();
  if (error == 0) return ok("mlock of 64 MiB succeeded on a test thread (and was undone)");
  return fail(std::string("mlock of 64 MiB failed: ") + strerror(error));
}

Evaluation check_rt_cgroup_runtime(const CheckContext& ctx) {
  std::optional<std::string> cgroups = ctx.root().try_read("/proc/self/cgroup");
  if (!cgroups) return na("/proc/self/cgroup unreadable");
  for (const std::string& line : split(*cgroups, '\n')) {
    std::vector<std::string> f = split(line, ':');
    if (f.size() < 3) continue;
    bool has_cpu = false;
    for (const std::string& c : split(f[1], ','))
      has_cpu = has_cpu || c == "cpu";
    if (!has_cpu) continue;
    std::string path = f[2] == "/" ? "" : f[2];
    for (const std::string& mount : {"/sys/fs/cgroup/" + f[1], std::string("/sys/fs/cgroup/cpu")}) {
      std::string file = mount + path + "/cpu.rt_runtime_us";
      std::optional<std::string> value = ctx.root().try_read(file);
      if (!value) continue;
      std::string v = trim(*value);
      if (v == "0") {
        return fail(
            file + " = 0: this cgroup gets no real-time time, SCHED_FIFO is refused",
            "echo 950000 > " + file + "  (or move the audio session out of '" + f[2] + "')");
      }
      return ok(file + " = " + v);
    }
    return na("cgroup v1 cpu controller without cpu.rt_runtime_us: no RT group scheduling");
  }
  return na("no cgroup v1 cpu controller (cgroup v2 has no per-group real-time budget)");
}

}  // namespace audio_setup
