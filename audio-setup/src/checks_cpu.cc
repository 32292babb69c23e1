// Checks about CPUs and interrupts: frequency governor, SMT, isolation, and where the sound
// cards' interrupts are serviced.
#include <algorithm>
#include <charconv>

#include "check_registry.h"

namespace audio_setup {
namespace {

std::vector<int> cpu_indices(const SystemRoot& root) {
  std::vector<int> cpus;
  for (const std::string& name : root.list("/sys/devices/system/cpu")) {
    int n = 0;
    if (name.size() < 4 || name.rfind("cpu", 0) != 0) continue;
    auto [ptr, ec] = std::from_chars(name.data() + 3, name.data() + name.size(), n);
    if (ec == std::errc{} && ptr == name.data() + name.size()) cpus.push_back(n);
  }
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

bool intersects(const CpuSet& a, const CpuSet& b) {
  return std::any_of(a.begin(), a.end(), [&b](int c) { return b.count(c) != 0; });
}

bool subset_of(const CpuSet& a, const CpuSet& b) {
  return std::all_of(a.begin(), a.end(), [&b](int c) { return b.count(c) != 0; });
}

std::vector<int> numbered_entries(const SystemRoot& root, const std::string& dir) {
  std::vector<int> out;
  for (const std::string& name : root.list(dir)) {
    int n = 0;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (ec == std::errc{} && ptr == name.data() + name.size()) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Evaluation check_cpu_governor(const CheckContext& ctx) {
  std::map<std::string, CpuSet> by_governor;
  for (int cpu : cpu_indices(ctx.root())) {
    std::optional<std::string> gov = ctx.root().try_read(
        "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cpufreq/scaling_governor");
    if (gov) by_governor[trim(*gov)].insert(cpu);
  }
  if (by_governor.empty()) {
    return na(
        "no cpufreq/scaling_governor under /sys/devices/system/cpu/cpu*: the frequency is "
        "not scaled by the kernel here");
  }
  std::string obs;
  for (const auto& [gov, cpus] : by_governor) {
    obs += std::string(obs.empty() ? "" : "; ") + "cpu " + format_cpu_list(cpus) + ": " + gov;
  }
  if (by_governor.size() == 1 && by_governor.begin()->first == "performance") return ok(obs);
  return warn(obs);
}

Evaluation check_smt(const CheckContext& ctx) {
  std::optional<std::string> control = ctx.root().try_read("/sys/devices/system/cpu/smt/control");
  std::optional<std::string> active = ctx.root().try_read("/sys/devices/system/cpu/smt/active");
  if (control && (trim(*control) == "notsupported" || trim(*control) == "notimplemented")) {
    return na("/sys/devices/system/cpu/smt/control = " + trim(*control));
  }
  if (!active) return na("/sys/devices/system/cpu/smt/active missing");
  if (trim(*active) == "0") return ok("/sys/devices/system/cpu/smt/active = 0");
  return warn("/sys/devices/system/cpu/smt/active = " + trim(*active) +
              ": sibling threads share one core's execution units with the audio thread");
}

Evaluation check_isolated_cpus_used(const CheckContext& ctx) {
  if (!ctx.cmdline()) return na("/proc/cmdline unreadable");
  CpuSet isolated = isolated_cpus(*ctx.cmdline());
  if (isolated.empty()) return na("no isolcpus=, nohz_full= or rcu_nocbs= on the command line");
  std::map<int, std::string> users;  // isolated CPU -> first thing found pinned to it
  for (int irq : numbered_entries(ctx.root(), "/proc/irq")) {
    std::optional<CpuSet> aff = ctx.irq_affinity(irq);
    if (!aff || !subset_of(*aff, isolated)) continue;
    for (int c : *aff)
      users.emplace(c, "IRQ " + std::to_string(irq));
  }
  for (const ProcessInfo& p : ctx.processes()) {
    // Kernel threads (no argv) are per-CPU by design and say nothing about the user's intent.
    if (p.argv.empty() || !p.cpus_allowed || !subset_of(*p.cpus_allowed, isolated)) continue;
    for (int c : *p.cpus_allowed)
      users.emplace(c, p.comm + " (pid " + std::to_string(p.pid) + ")");
  }
  CpuSet idle;
  std::string used;
  for (int c : isolated) {
    auto it = users.find(c);
    if (it == users.end()) {
      idle.insert(c);
    } else {
      used += std::string(used.empty() ? "" : ", ") + "cpu" + std::to_string(c) + ": " + it->second;
    }
  }
  std::string obs = "isolated CPUs " + format_cpu_list(isolated);
  if (!used.empty()) obs += "; pinned: " + used;
  if (idle.empty()) return ok(obs);
  return warn(obs + "; nothing pinned to cpu " + format_cpu_list(idle) +
                  ": isolated and idle, they serve no audio",
              "taskset -cp " + format_cpu_list(idle) +
                  " $(pidof jackd pipewire)   # or drop them from isolcpus=");
}

Evaluation check_audio_irq_affinity(const CheckContext& ctx) {
  std::map<int, std::string> irqs = ctx.audio_irqs();
  if (irqs.empty()) return na("no sound card or USB host controller interrupt found");
  CpuSet isolated = ctx.cmdline() ? isolated_cpus(*ctx.cmdline()) : CpuSet{};
  CpuSet server_cpus;
  for (const ProcessInfo* p : ctx.audio_servers()) {
    if (p->cpus_allowed) server_cpus.insert(p->cpus_allowed->begin(), p->cpus_allowed->end());
  }
  std::string obs;
  std::string problems;
  std::string fix;
  bool offline_only = false;
  for (const auto& [irq, label] : irqs) {
    std::optional<CpuSet> aff = ctx.irq_affinity(irq);
    if (!aff) continue;
    obs += std::string(obs.empty() ? "" : "; ") + "IRQ " + std::to_string(irq) + " (" + label +
           ") on cpu " + format_cpu_list(*aff);
    bool online = !ctx.online_cpus() || intersects(*aff, *ctx.online_cpus());
    if (!online) {
      offline_only = true;
      problems += "; IRQ " + std::to_string(irq) + " may only run on offline CPUs";
    } else if (!isolated.empty() && subset_of(*aff, isolated) && !intersects(*aff, server_cpus)) {
      problems += "; IRQ " + std::to_string(irq) +
                  " sits on isolated CPUs where no JACK/PipeWire process runs";
    } else {
      continue;
    }
    CpuSet housekeeping;
    if (ctx.online_cpus()) {
      for (int c : *ctx.online_cpus()) {
        if (!isolated.count(c)) housekeeping.insert(c);
      }
    }
    if (!fix.empty()) fix += "; ";
    fix += "echo " + format_cpu_list(server_cpus.empty() ? housekeeping : server_cpus) +
           " > /proc/irq/" + std::to_string(irq) + "/smp_affinity_list";
  }
  if (obs.empty()) return na("no /proc/irq/N/smp_affinity_list for the audio interrupts");
  if (problems.empty()) return ok(obs);
  if (offline_only) return fail(obs + problems, fix);
  return warn(obs + problems, fix);
}

Evaluation check_audio_irq_sharing(const CheckContext& ctx) {
  std::map<int, std::string> irqs = ctx.audio_irqs();
  if (irqs.empty()) return na("no sound card or USB host controller interrupt found");
  std::optional<std::string> text = ctx.root().try_read("/proc/interrupts");
  if (!text) return na("/proc/interrupts unreadable");
  std::string shared;
  std::string all;
  for (const InterruptLine& line : parse_interrupts(*text)) {
    auto it = irqs.find(line.irq);
    if (it == irqs.end()) continue;
    std::string devices;
    for (const std::string& d : line.devices)
      devices += (devices.empty() ? "" : ", ") + d;
    all +=
        std::string(all.empty() ? "" : "; ") + "IRQ " + std::to_string(line.irq) + ": " + devices;
    if (line.devices.size() > 1) {
      shared += std::string(shared.empty() ? "" : "; ") + "IRQ " + std::to_string(line.irq) +
                " shared by " + devices;
    }
  }
  if (all.empty()) return na("audio interrupts not listed in /proc/interrupts");
  if (shared.empty()) return ok(all);
  return warn(shared);
}

Evaluation check_irq_thread_priority(const CheckContext& ctx) {
  std::map<int, std::string> irqs = ctx.audio_irqs();
  if (irqs.empty()) return na("no sound card or USB host controller interrupt found");
  // Devices on each line: on a shared line every handler has its own thread, named after its
  // device ("irq/16-i801_smb"); only the audio handler's thread is judged.
  std::map<int, std::vector<std::string>> devices;
  if (std::optional<std::string> text = ctx.root().try_read("/proc/interrupts")) {
    for (const InterruptLine& line : parse_interrupts(*text))
      devices[line.irq] = line.devices;
  }
  auto other_device = [&devices](int irq, const std::string& thread_suffix) {
    const std::vector<std::string>& on_line = devices[irq];
    if (on_line.size() < 2 || thread_suffix.empty()) return false;
    for (const std::string& d : on_line) {
      bool audio = d.find("snd") != std::string::npos || d.find("audio") != std::string::npos ||
                   d.find("hci") != std::string::npos || d.rfind("dwc", 0) == 0;
      if (d.rfind(thread_suffix, 0) == 0) return !audio;
    }
    return false;
  };
  std::string obs;
  std::string low;
  for (const ProcessInfo& p : ctx.processes()) {
    if (p.comm.rfind("irq/", 0) != 0) continue;
    int irq = 0;
    const char* begin = p.comm.data() + 4;
    auto [ptr, ec] = std::from_chars(begin, p.comm.data() + p.comm.size(), irq);
    if (ec != std::errc{} || ptr == begin || !irqs.count(irq)) continue;
    std::string suffix = *ptr == '-' ? std::string(ptr + 1) : std::string();
    if (other_device(irq, suffix)) continue;
    std::optional<std::string> stat =
        ctx.root().try_read("/proc/" + std::to_string(p.pid) + "/stat");
    std::optional<TaskStat> ts = stat ? parse_task_stat(*stat) : std::nullopt;
    if (!ts) continue;
    std::string item =
        p.comm + " (pid " + std::to_string(p.pid) + ") priority " + std::to_string(ts->rt_priority);
    obs += (obs.empty() ? "" : "; ") + item;
    if (ts->rt_priority <= 50) {
      low += std::string(low.empty() ? "" : "; ") + "chrt -f -p 90 " + std::to_string(p.pid);
    }
  }
  if (obs.empty()) return na("no threaded handler (irq/N-*) for the audio interrupts");
  if (low.empty()) return ok(obs);
  return warn(obs + ": not above the default 50 of every other interrupt thread", low);
}

}  // namespace audio_setup
