// CheckContext: the parsed sources several checks share (kernel command line, kernel config,
// the calling process's identity, sound-card interrupts, running processes), read once through
// the SystemRoot seam and cached. Single-threaded.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audio_setup/sound_cards.h"
#include "audio_setup/system_root.h"
#include "proc_parsers.h"

namespace audio_setup {

struct KernelConfig {
  std::string source;  // The file it came from, e.g. "/proc/config.gz".
  std::map<std::string, std::string> options;
  // "y", "m", a value, or "" when not set.
  std::string get(const std::string& name) const {
    auto it = options.find(name);
    return it == options.end() ? "" : it->second;
  }
};

struct ProcessInfo {
  int pid = 0;
  std::string comm;
  std::vector<std::string> argv;
  std::optional<CpuSet> cpus_allowed;
};

class CheckContext {
 public:
  explicit CheckContext(const SystemRoot& root) : root_(root) {}

  const SystemRoot& root() const { return root_; }

  // /proc/cmdline, or std::nullopt when unreadable.
  const std::optional<std::string>& cmdline() const;
  // The running kernel's configuration from /proc/config.gz, /boot/config-<release> or
  // /lib/modules/<release>/config; std::nullopt when none is found.
  const std::optional<KernelConfig>& kernel_config() const;
  // Paths kernel_config() looked at, for "what was read".
  std::string kernel_config_candidates() const;
  // The checking process (/proc/self/status).
  const std::optional<ProcessIdentity>& identity() const;
  const std::vector<SoundCard>& sound_cards() const;
  const std::vector<ProcessInfo>& processes() const;
  // /sys/devices/system/cpu/online, or std::nullopt.
  const std::optional<CpuSet>& online_cpus() const;
  // Interrupt numbers of sound cards and of USB host controllers (from /proc/interrupts
  // device names xhci/ehci/ohci/uhci), mapped to a label ("card0 PCH", "xhci_hcd").
  std::map<int, std::string> audio_irqs() const;
  // /proc/irq/N/effective_affinity_list, falling back to smp_affinity_list.
  std::optional<CpuSet> irq_affinity(int irq) const;
  // Processes that serve audio: jackd, jackdbus, pipewire, pipewire-pulse excluded.
  std::vector<const ProcessInfo*> audio_servers() const;

 private:
  const SystemRoot& root_;
  mutable std::optional<std::optional<std::string>> cmdline_;
  mutable std::optional<std::optional<KernelConfig>> kernel_config_;
  mutable std::optional<std::optional<ProcessIdentity>> identity_;
  mutable std::optional<std::vector<SoundCard>> sound_cards_;
  mutable std::optional<std::vector<ProcessInfo>> processes_;
  mutable std::optional<std::optional<CpuSet>> online_cpus_;
};

}  // namespace audio_setup
