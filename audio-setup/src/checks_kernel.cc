// Checks about the running kernel: its configuration, timers, preemption model, boot
// parameters and scheduler/memory knobs that cause latency spikes.

#include "check_registry.h"

namespace audio_setup {
namespace {

std::optional<std::int64_t> read_int(const CheckContext& ctx, const std::string& path) {
  std::optional<std::string> text = ctx.root().try_read(path);
  if (!text) return std::nullopt;
  return parse_int(trim(*text));
}

// A 0/1 sysctl whose wanted value is 0.
Evaluation want_zero(const CheckContext& ctx, const std::string& path, const std::string& why_on) {
  std::optional<std::int64_t> v = read_int(ctx, path);
  if (!v) return na(path + " missing or not a number");
  if (*v == 0) return ok(path + " = 0");
  return warn(path + " = " + std::to_string(*v) + ": " + why_on);
}

}  // namespace

Evaluation check_kernel_config(const CheckContext& ctx) {
  if (const auto& config = ctx.kernel_config()) {
    return ok(config->source + " (" + std::to_string(config->options.size()) + " options set)");
  }
  return warn("no kernel configuration at " + ctx.kernel_config_candidates() +
              ": the timer and tickless checks cannot tell");
}

Evaluation check_high_res_timers(const CheckContext& ctx) {
  const auto& config = ctx.kernel_config();
  if (!config) return na("kernel configuration not found");
  std::string v = config->get("CONFIG_HIGH_RES_TIMERS");
  if (v == "y") return ok("CONFIG_HIGH_RES_TIMERS=y in " + config->source);
  return fail("CONFIG_HIGH_RES_TIMERS " + (v.empty() ? std::string("not set") : "=" + v) + " in " +
              config->source + ": timers fire only at the scheduler tick");
}

Evaluation check_tickless(const CheckContext& ctx) {
  const auto& config = ctx.kernel_config();
  if (!config) return na("kernel configuration not found");
  for (const char* name : {"CONFIG_NO_HZ_FULL", "CONFIG_NO_HZ_IDLE"}) {
    if (config->get(name) == "y") return ok(std::string(name) + "=y in " + config->source);
  }
  return warn("neither CONFIG_NO_HZ_IDLE nor CONFIG_NO_HZ_FULL in " + config->source +
              ": a periodic tick interrupts every CPU");
}

PreemptionModel running_preemption_model(const CheckContext& ctx) {
  const SystemRoot& root = ctx.root();
  if (std::optional<std::string> rt = root.try_read("/sys/kernel/realtime")) {
    if (trim(*rt) == "1") return {"rt", "/sys/kernel/realtime = 1"};
  }
  // Dynamic preemption exposes the mode in use, in parentheses.
  if (std::optional<std::string> dyn = root.try_read("/sys/kernel/debug/sched/preempt")) {
    std::string t = trim(*dyn);
    std::size_t open = t.find('(');
    std::size_t close = t.find(')', open);
    if (open != std::string::npos && close != std::string::npos) {
      return {t.substr(open + 1, close - open - 1), "/sys/kernel/debug/sched/preempt = " + t};
    }
  }
  const auto& config = ctx.kernel_config();
  std::string version = trim(root.try_read("/proc/sys/kernel/version").value_or(""));
  bool rt_config = config && config->get("CONFIG_PREEMPT_RT") == "y";
  if (rt_config || version.find("PREEMPT_RT") != std::string::npos) {
    return {"rt", rt_config ? "CONFIG_PREEMPT_RT=y in " + config->source
                            : "/proc/sys/kernel/version: " + version};
  }
  bool dynamic = (config && config->get("CONFIG_PREEMPT_DYNAMIC") == "y") ||
                 version.find("PREEMPT_DYNAMIC") != std::string::npos;
  if (dynamic && ctx.cmdline()) {
    if (std::optional<std::string> mode = kernel_param(*ctx.cmdline(), "preempt")) {
      return {*mode, "PREEMPT_DYNAMIC kernel booted with preempt=" + *mode};
    }
  }
  if (config) {
    for (const auto& [option, model] :
         {std::pair<const char*, const char*>{"CONFIG_PREEMPT_LAZY", "lazy"},
          {"CONFIG_PREEMPT", "full"},
          {"CONFIG_PREEMPT_VOLUNTARY", "voluntary"},
          {"CONFIG_PREEMPT_NONE", "none"}}) {
      if (config->get(option) == "y") {
        return {model, std::string(option) + "=y in " + config->source +
                           (dynamic ? " (PREEMPT_DYNAMIC default, no preempt= given)" : "")};
      }
    }
  }
  // "#1 SMP PREEMPT ..." names a kernel built with full preemption.
  for (const std::string& word : split_words(version)) {
    if (word == "PREEMPT" && !dynamic) return {"full", "/proc/sys/kernel/version: " + version};
  }
  if (dynamic) {
    return {"dynamic", "PREEMPT_DYNAMIC kernel (" + version +
                           "), mode not readable without debugfs or preempt="};
  }
  return {"", ""};
}

Evaluation check_preemption_model(const CheckContext& ctx) {
  PreemptionModel m = running_preemption_model(ctx);
  if (m.model.empty()) {
    return na(
        "no /sys/kernel/realtime, debugfs sched/preempt, kernel config or version string "
        "names the preemption model");
  }
  std::string obs = m.model + " (" + m.evidence + ")";
  if (m.model == "rt" || m.model == "full" || m.model == "lazy") return ok(obs);
  if (m.model == "none") return fail(obs + ": kernel code is never preempted");
  return warn(obs + ": kernel code is preempted only at explicit points");
}

Evaluation check_threadirqs(const CheckContext& ctx) {
  if (!ctx.cmdline()) return na("/proc/cmdline unreadable");
  if (has_kernel_flag(*ctx.cmdline(), "threadirqs")) return ok("threadirqs on /proc/cmdline");
  PreemptionModel m = running_preemption_model(ctx);
  if (m.model == "rt") return ok("PREEMPT_RT kernel: interrupt handlers are always threaded");
  return warn(
      "threadirqs not on /proc/cmdline: interrupt handlers run in hard-IRQ context and "
      "cannot be prioritised");
}

Evaluation check_mitigations(const CheckContext& ctx) {
  if (!ctx.cmdline()) return na("/proc/cmdline unreadable");
  std::optional<std::string> m = kernel_param(*ctx.cmdline(), "mitigations");
  if (m && *m == "off") return ok("mitigations=off on /proc/cmdline");
  return warn("mitigations=" + m.value_or("auto (default)") +
              ": CPU vulnerability mitigations add cost to every kernel entry (a security "
              "trade-off; only for machines that run no untrusted code)");
}

Evaluation check_rt_throttling(const CheckContext& ctx) {
  std::optional<std::int64_t> runtime = read_int(ctx, "/proc/sys/kernel/sched_rt_runtime_us");
  std::optional<std::int64_t> period = read_int(ctx, "/proc/sys/kernel/sched_rt_period_us");
  if (!runtime || !period || *period <= 0) {
    return na("/proc/sys/kernel/sched_rt_runtime_us or sched_rt_period_us missing");
  }
  std::string obs = "sched_rt_runtime_us = " + std::to_string(*runtime) +
                    ", sched_rt_period_us = " + std::to_string(*period);
  if (*runtime < 0) return ok(obs + " (throttling off)");
  if (*runtime * 100 >= *period * 95) return ok(obs);
  return warn(obs + ": real-time threads are stopped after " +
              std::to_string(*runtime * 100 / *period) + "% of each period");
}

Evaluation check_transparent_hugepages(const CheckContext& ctx) {
  const std::string path = "/sys/kernel/mm/transparent_hugepage/enabled";
  std::optional<std::string> text = ctx.root().try_read(path);
  if (!text) return na(path + " missing");
  std::string t = trim(*text);
  std::size_t open = t.find('[');
  std::size_t close = t.find(']', open);
  // The kernel shows "always [madvise] never"; a tree written by apply holds the bare choice.
  std::string mode = open != std::string::npos && close != std::string::npos
                         ? t.substr(open + 1, close - open - 1)
                         : t;
  if (mode != "always" && mode != "madvise" && mode != "never") return na(path + " = " + t);
  if (mode == "always") {
    return warn(path + " = always: page faults and khugepaged compaction stall threads");
  }
  return ok(path + " = " + mode);
}

Evaluation check_nmi_watchdog(const CheckContext& ctx) {
  return want_zero(ctx, "/proc/sys/kernel/nmi_watchdog",
                   "a periodic non-maskable interrupt runs on every CPU");
}

Evaluation check_timer_migration(const CheckContext& ctx) {
  return want_zero(ctx, "/proc/sys/kernel/timer_migration",
                   "timers move between CPUs, waking the audio CPU for others' work");
}

}  // namespace audio_setup
