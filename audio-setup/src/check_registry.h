// The list of checks as data: each entry names one data source, one pass criterion (its
// evaluate function) and one piece of advice (why + fixes). run_checks() walks this list;
// adding a check is adding an entry.
#pragma once

#include <string>
#include <vector>

#include "audio_setup/finding.h"
#include "check_context.h"

namespace audio_setup {

struct Evaluation {
  Outcome status = Outcome::kNa;
  std::string observed;
  // When non-empty, replaces the spec's fix_other for this finding (e.g. names the IRQ).
  std::string fix_other;
};

inline Evaluation ok(std::string observed) {
  return {Outcome::kOk, std::move(observed), ""};
}
inline Evaluation warn(std::string observed, std::string fix = "") {
  return {Outcome::kWarn, std::move(observed), std::move(fix)};
}
inline Evaluation fail(std::string observed, std::string fix = "") {
  return {Outcome::kFail, std::move(observed), std::move(fix)};
}
inline Evaluation na(std::string observed) {
  return {Outcome::kNa, std::move(observed), ""};
}

using CheckFn = Evaluation (*)(const CheckContext&);

// How a NixSetting enters the snippet: `path = value;`, an element of the list option `path`
// (merged with other checks' elements), or a line of the multi-line string option `path`.
enum class NixKind { kAssign, kListItem, kLine };

// One setting for the NixOS snippet. value is a Nix expression, except for kLine, where it is
// the raw text of the line.
struct NixSetting {
  std::string path;
  std::string value;
  NixKind kind = NixKind::kAssign;
  // A trade-off the user must choose (mitigations=off): printed as a comment, not set.
  bool commented = false;
};

struct CheckSpec {
  std::string id;
  std::string title;
  std::string source;  // The data source, as "what was read".
  std::string why;
  std::string fix_nixos;
  std::string fix_other;
  CheckFn evaluate = nullptr;
  // Acts on the running system (tries SCHED_FIFO, mlock): na when checking another root.
  bool live_only = false;
  std::vector<NixSetting> nix;
};

const std::vector<CheckSpec>& check_registry();

// Evaluate functions, one per check, grouped by the file that defines them.
// checks_process.cc
Evaluation check_not_root(const CheckContext& ctx);
Evaluation check_rtprio_limit(const CheckContext& ctx);
Evaluation check_memlock_limit(const CheckContext& ctx);
Evaluation check_audio_group(const CheckContext& ctx);
Evaluation check_sched_fifo_trial(const CheckContext& ctx);
Evaluation check_mlock_trial(const CheckContext& ctx);
Evaluation check_rt_cgroup_runtime(const CheckContext& ctx);
// checks_cpu.cc
Evaluation check_cpu_governor(const CheckContext& ctx);
Evaluation check_smt(const CheckContext& ctx);
Evaluation check_isolated_cpus_used(const CheckContext& ctx);
Evaluation check_audio_irq_affinity(const CheckContext& ctx);
Evaluation check_audio_irq_sharing(const CheckContext& ctx);
Evaluation check_irq_thread_priority(const CheckContext& ctx);
// checks_kernel.cc
Evaluation check_kernel_config(const CheckContext& ctx);
Evaluation check_high_res_timers(const CheckContext& ctx);
Evaluation check_tickless(const CheckContext& ctx);
Evaluation check_preemption_model(const CheckContext& ctx);
Evaluation check_threadirqs(const CheckContext& ctx);
Evaluation check_mitigations(const CheckContext& ctx);
Evaluation check_rt_throttling(const CheckContext& ctx);
Evaluation check_transparent_hugepages(const CheckContext& ctx);
Evaluation check_nmi_watchdog(const CheckContext& ctx);
Evaluation check_timer_migration(const CheckContext& ctx);
// checks_memory.cc
Evaluation check_swappiness(const CheckContext& ctx);
Evaluation check_filesystems(const CheckContext& ctx);
Evaluation check_inotify_watches(const CheckContext& ctx);
// checks_devices.cc
Evaluation check_cpu_dma_latency_access(const CheckContext& ctx);
Evaluation check_rtc_access(const CheckContext& ctx);
Evaluation check_hpet_access(const CheckContext& ctx);
Evaluation check_rtc_max_user_freq(const CheckContext& ctx);
Evaluation check_hpet_max_user_freq(const CheckContext& ctx);
// checks_audio_server.cc
Evaluation check_audio_server_rt(const CheckContext& ctx);
Evaluation check_audio_server_quantum(const CheckContext& ctx);

// Shared by several checks: the preemption model the running kernel uses ("rt", "full",
// "voluntary", "none", "lazy") and where that was read; "" when unknown.
struct PreemptionModel {
  std::string model;
  std::string evidence;
};
PreemptionModel running_preemption_model(const CheckContext& ctx);

// Recommended values, shared by checks, apply and the Nix snippet.
inline constexpr std::int64_t kWantedRtprio = 95;
inline constexpr std::int64_t kMinRtprio = 88;                 // PipeWire's default rt.prio.
inline constexpr std::int64_t kMinMemlockBytes = 256LL << 20;  // JACK/PipeWire + plugins.
inline constexpr std::int64_t kMaxSwappiness = 10;
inline constexpr std::int64_t kMinInotifyWatches = 524288;
inline constexpr std::int64_t kMinTimerFreq = 2048;
inline constexpr std::int64_t kMaxQuantum = 256;

}  // namespace audio_setup
