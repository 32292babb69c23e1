// The checks, in report order. Each entry: id, title, data source, why it matters, the NixOS
// fix, the fix elsewhere, the evaluate function, and the settings for `audio-setup nix`.
#include "check_registry.h"

namespace audio_setup {
namespace {

const NixSetting kMusnix{"musnix.enable", "true"};
const NixSetting kMusnixRt{"musnix.kernel.realtime", "true"};

NixSetting boot_param(const std::string& p) {
  return {"boot.kernelParams", "\"" + p + "\"", NixKind::kListItem};
}
NixSetting sysctl(const std::string& key, const std::string& v) {
  return {"boot.kernel.sysctl.\"" + key + "\"", v};
}
NixSetting udev_rule(const std::string& rule) {
  return {"services.udev.extraRules", rule, NixKind::kLine};
}

std::vector<CheckSpec> build() {
  return {
      {"not_root",
       "Not running as root",
       "/proc/self/status (Uid)",
       "Root ignores the limits and device permissions an audio user depends on, so checks run "
       "as root say nothing about the user who will run JACK or PipeWire.",
       "Run audio-setup as the audio user (users.users.<name>.extraGroups = [ \"audio\" ]).",
       "Run audio-setup as the user who runs the audio software, without sudo.",
       check_not_root,
       false,
       {}},
      {"rtprio_limit",
       "RTPRIO hard limit",
       "/proc/self/limits (Max realtime priority)",
       "Without a real-time priority limit JACK and PipeWire cannot use SCHED_FIFO and every "
       "other process can delay the audio thread.",
       "musnix.enable = true; (sets rtprio 99 for @audio) or security.pam.loginLimits with "
       "{ domain = \"@audio\"; item = \"rtprio\"; type = \"-\"; value = \"95\"; }",
       "echo '@audio - rtprio 95' > /etc/security/limits.d/95-audio-setup.conf; log in again",
       check_rtprio_limit,
       false,
       {kMusnix}},
      {"memlock_limit",
       "MEMLOCK hard limit",
       "/proc/self/limits (Max locked memory)",
       "Audio engines lock their memory so that no page fault can stall the audio thread; a "
       "small limit makes mlock fail or the engine refuse to start.",
       "musnix.enable = true; (sets memlock unlimited for @audio)",
       "echo '@audio - memlock unlimited' >> /etc/security/limits.d/95-audio-setup.conf; log in "
       "again",
       check_memlock_limit,
       false,
       {kMusnix}},
      {"audio_group",
       "audio/realtime group membership",
       "/proc/self/status (Groups), /etc/group",
       "Limits and device permissions for real-time audio are granted to the audio (or "
       "realtime) group.",
       "users.users.<name>.extraGroups = [ \"audio\" ];",
       "usermod -aG audio \"$USER\"; log in again",
       check_audio_group,
       false,
       {{"users.users.\"<user>\".extraGroups", "\"audio\"", NixKind::kListItem}}},
      {"sched_fifo_trial",
       "SCHED_FIFO works",
       "pthread_setschedparam on a throwaway thread",
       "Limits on paper are not enough: PAM, cgroups or a container may still refuse "
       "SCHED_FIFO. This tries it.",
       "musnix.enable = true; and log in again as a member of audio",
       "set the rtprio limit (see rtprio_limit), log in again; check cgroup RT budgets",
       check_sched_fifo_trial,
       true,
       {kMusnix}},
      {"mlock_trial",
       "mlock works",
       "mlock of 64 MiB on a throwaway thread",
       "Tries to lock memory as an audio engine does at start.",
       "musnix.enable = true; and log in again as a member of audio",
       "set the memlock limit (see memlock_limit), log in again",
       check_mlock_trial,
       true,
       {kMusnix}},
      {"rt_cgroup_runtime",
       "cgroup real-time budget",
       "/proc/self/cgroup, /sys/fs/cgroup/cpu*/<group>/cpu.rt_runtime_us",
       "With RT group scheduling a cgroup whose cpu.rt_runtime_us is 0 cannot run any "
       "SCHED_FIFO thread, whatever the limits say.",
       "Use a kernel without CONFIG_RT_GROUP_SCHED (the NixOS and musnix kernels have none).",
       "echo 950000 > /sys/fs/cgroup/cpu/<group>/cpu.rt_runtime_us (after giving the parent "
       "time)",
       check_rt_cgroup_runtime,
       false,
       {}},
      {"cpu_governor",
       "CPU frequency governor",
       "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor",
       "Frequency scaling changes how long each audio period takes to compute, and ramping up "
       "after idle costs the first periods.",
       "powerManagement.cpuFreqGovernor = \"performance\";",
       "echo performance | tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor (or "
       "cpupower frequency-set -g performance)",
       check_cpu_governor,
       false,
       {{"powerManagement.cpuFreqGovernor", "\"performance\"", NixKind::kAssign}}},
      {"smt",
       "Simultaneous multithreading",
       "/sys/devices/system/cpu/smt/active",
       "A hyper-thread sibling competes with the audio thread for the same core, making "
       "period times jitter.",
       "boot.kernelParams = [ \"nosmt\" ];",
       "echo off > /sys/devices/system/cpu/smt/control (or boot with nosmt)",
       check_smt,
       false,
       {boot_param("nosmt")}},
      {"isolated_cpus_used",
       "Isolated CPUs are used",
       "/proc/cmdline (isolcpus, nohz_full, rcu_nocbs), /proc/irq/*/smp_affinity_list, "
       "/proc/*/status (Cpus_allowed_list)",
       "An isolated CPU that nothing is pinned to is a CPU taken away from the audio work.",
       "Pin the audio server to the isolated CPUs (systemd.services.<name>.serviceConfig."
       "CPUAffinity) or remove them from boot.kernelParams.",
       "taskset -cp <isolated cpus> $(pidof jackd pipewire), or drop isolcpus=",
       check_isolated_cpus_used,
       false,
       {}},
      {"audio_irq_affinity",
       "Audio IRQ affinity",
       "/sys/class/sound/card*/device -> msi_irqs|irq, /proc/irq/N/effective_affinity_list, "
       "/proc/cmdline, /sys/devices/system/cpu/online",
       "An audio interrupt that can only be serviced on an offline CPU, or on an isolated CPU "
       "where no audio server runs, delays every period.",
       "Keep the audio IRQ's CPUs out of isolcpus= in boot.kernelParams, or set its affinity in "
       "boot.postBootCommands.",
       "echo <cpus> > /proc/irq/<N>/smp_affinity_list",
       check_audio_irq_affinity,
       false,
       {}},
      {"audio_irq_sharing",
       "Audio IRQs not shared",
       "/sys/class/sound/card*/device -> msi_irqs|irq, /proc/interrupts",
       "A shared interrupt line runs every sharer's handler: a slow device (a GPU, a WLAN "
       "card) then delays the sound card.",
       "boot.extraModprobeConfig = \"options snd_hda_intel enable_msi=1\"; or move the card to "
       "another slot/port",
       "echo 'options snd_hda_intel enable_msi=1' > /etc/modprobe.d/audio-setup.conf, or move "
       "the card to another slot/USB port",
       check_audio_irq_sharing,
       false,
       {}},
      {"irq_thread_priority",
       "Audio IRQ thread priority",
       "/proc/*/comm (irq/N-*), /proc/<pid>/stat (rt_priority)",
       "With threaded interrupts every handler runs at priority 50; the sound card's must run "
       "above the others (what rtirq does).",
       "musnix.rtirq.enable = true;",
       "chrt -f -p 90 <pid of irq/N-snd...> (or install rtirq-init)",
       check_irq_thread_priority,
       false,
       {{"musnix.rtirq.enable", "true", NixKind::kAssign}}},
      {"kernel_config",
       "Kernel configuration found",
       "/proc/config.gz, /boot/config-<release>, /lib/modules/<release>/config",
       "Several checks (timers, tickless, preemption) need the running kernel's configuration.",
       "NixOS kernels provide /proc/config.gz (CONFIG_IKCONFIG_PROC); use a nixpkgs kernel.",
       "Install the config with the kernel (Debian: /boot/config-$(uname -r)) or modprobe "
       "configs",
       check_kernel_config,
       false,
       {}},
      {"high_res_timers",
       "High-resolution timers",
       "kernel config (CONFIG_HIGH_RES_TIMERS)",
       "Without high-resolution timers sleeps and timers are rounded to the scheduler tick.",
       "musnix.kernel.realtime = true; (or any nixpkgs kernel)",
       "Use a distribution kernel built with CONFIG_HIGH_RES_TIMERS=y",
       check_high_res_timers,
       false,
       {kMusnixRt}},
      {"tickless",
       "Tickless kernel",
       "kernel config (CONFIG_NO_HZ_IDLE, CONFIG_NO_HZ_FULL)",
       "A periodic tick interrupts every CPU hundreds of times a second, idle or not.",
       "musnix.kernel.realtime = true;",
       "Use a kernel built with CONFIG_NO_HZ_IDLE=y",
       check_tickless,
       false,
       {kMusnixRt}},
      {"preemption_model",
       "Preemption model in use",
       "/sys/kernel/realtime, /sys/kernel/debug/sched/preempt, /proc/cmdline (preempt=), "
       "kernel config, /proc/sys/kernel/version",
       "Kernel code that cannot be preempted holds the audio thread off the CPU until it "
       "finishes: milliseconds on a voluntary-preemption kernel.",
       "musnix.kernel.realtime = true; (PREEMPT_RT) or boot.kernelParams = [ \"preempt=full\" ];",
       "Boot with preempt=full (PREEMPT_DYNAMIC kernels) or install an RT kernel (Debian: "
       "linux-image-rt-amd64)",
       check_preemption_model,
       false,
       {kMusnixRt}},
      {"threadirqs",
       "Threaded interrupts",
       "/proc/cmdline (threadirqs)",
       "Threaded interrupt handlers can be given priorities, so the sound card's handler runs "
       "before the others and none runs in hard-IRQ context for long.",
       "boot.kernelParams = [ \"threadirqs\" ];",
       "Add threadirqs to GRUB_CMDLINE_LINUX in /etc/default/grub.d/audio-setup.cfg; update-grub",
       check_threadirqs,
       false,
       {boot_param("threadirqs")}},
      {"mitigations",
       "CPU vulnerability mitigations",
       "/proc/cmdline (mitigations=)",
       "Mitigations flush buffers and change page tables on kernel entries, which adds to the "
       "worst-case latency. Turning them off is a security trade-off: only on machines that "
       "run no untrusted code.",
       "boot.kernelParams = [ \"mitigations=off\" ]; (security trade-off)",
       "Add mitigations=off to GRUB_CMDLINE_LINUX (security trade-off); update-grub",
       check_mitigations,
       false,
       {{"boot.kernelParams", "\"mitigations=off\"", NixKind::kListItem, true}}},
      {"rt_throttling",
       "RT throttling",
       "/proc/sys/kernel/sched_rt_runtime_us, /proc/sys/kernel/sched_rt_period_us",
       "RT throttling stops all real-time threads once they used their share of a period; a "
       "small share stops the audio thread mid-period.",
       "boot.kernel.sysctl.\"kernel.sched_rt_runtime_us\" = 950000;",
       "echo 'kernel.sched_rt_runtime_us = 950000' > /etc/sysctl.d/90-audio-setup.conf; "
       "sysctl --system",
       check_rt_throttling,
       false,
       {sysctl("kernel.sched_rt_runtime_us", "950000")}},
      {"transparent_hugepages",
       "Transparent huge pages",
       "/sys/kernel/mm/transparent_hugepage/enabled",
       "With THP 'always', page faults compact memory and khugepaged scans, both stalling "
       "threads for milliseconds.",
       "boot.kernelParams = [ \"transparent_hugepage=madvise\" ];",
       "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled (and "
       "transparent_hugepage=madvise on the kernel command line)",
       check_transparent_hugepages,
       false,
       {boot_param("transparent_hugepage=madvise")}},
      {"nmi_watchdog",
       "NMI watchdog",
       "/proc/sys/kernel/nmi_watchdog",
       "The NMI watchdog interrupts every CPU periodically with an interrupt nothing can mask.",
       "boot.kernel.sysctl.\"kernel.nmi_watchdog\" = 0;",
       "echo 'kernel.nmi_watchdog = 0' > /etc/sysctl.d/90-audio-setup.conf; sysctl --system",
       check_nmi_watchdog,
       false,
       {sysctl("kernel.nmi_watchdog", "0")}},
      {"timer_migration",
       "Timer migration",
       "/proc/sys/kernel/timer_migration",
       "Timer migration moves timers to busy CPUs, so the audio CPU wakes for others' timers.",
       "boot.kernel.sysctl.\"kernel.timer_migration\" = 0;",
       "echo 'kernel.timer_migration = 0' > /etc/sysctl.d/90-audio-setup.conf; sysctl --system",
       check_timer_migration,
       false,
       {sysctl("kernel.timer_migration", "0")}},
      {"swappiness",
       "Swap and swappiness",
       "/proc/swaps, /proc/sys/vm/swappiness",
       "A swapped-out page of the audio engine costs a disk read inside the audio callback.",
       "boot.kernel.sysctl.\"vm.swappiness\" = 10; (musnix.enable sets it)",
       "echo 'vm.swappiness = 10' > /etc/sysctl.d/90-audio-setup.conf; sysctl --system",
       check_swappiness,
       false,
       {sysctl("vm.swappiness", "10")}},
      {"filesystems",
       "File systems",
       "/proc/mounts",
       "Streaming samples from a FUSE (ntfs-3g) or reiserfs mount stalls under load.",
       "Keep sample libraries on ext4/xfs/btrfs (fileSystems.<path>.fsType)",
       "Move sample libraries to an ext4/xfs/btrfs file system",
       check_filesystems,
       false,
       {}},
      {"inotify_watches",
       "inotify watches",
       "/proc/sys/fs/inotify/max_user_watches",
       "DAWs and sample managers watch many files; running out of watches breaks them.",
       "boot.kernel.sysctl.\"fs.inotify.max_user_watches\" = 524288;",
       "echo 'fs.inotify.max_user_watches = 524288' > /etc/sysctl.d/90-audio-setup.conf; "
       "sysctl --system",
       check_inotify_watches,
       false,
       {sysctl("fs.inotify.max_user_watches", "524288")}},
      {"cpu_dma_latency_access",
       "/dev/cpu_dma_latency access",
       "/dev/cpu_dma_latency, udev rules.d, /etc/group, /proc/self/status",
       "Audio software holds /dev/cpu_dma_latency open to keep CPUs out of deep C-states, "
       "whose exit latency is hundreds of microseconds.",
       "services.udev.extraRules = ''DEVPATH==\"/devices/virtual/misc/cpu_dma_latency\", "
       "OWNER=\"root\", GROUP=\"audio\", MODE=\"0660\"''; (musnix.enable sets it)",
       "Add DEVPATH==\"/devices/virtual/misc/cpu_dma_latency\", OWNER=\"root\", "
       "GROUP=\"audio\", MODE=\"0660\" to /etc/udev/rules.d/90-audio-setup.rules",
       check_cpu_dma_latency_access,
       false,
       {udev_rule("DEVPATH==\"/devices/virtual/misc/cpu_dma_latency\", OWNER=\"root\", "
                  "GROUP=\"audio\", MODE=\"0660\"")}},
      {"rtc_access",
       "/dev/rtc0 access",
       "/dev/rtc0, udev rules.d, /etc/group, /proc/self/status",
       "MIDI sequencers use the RTC as a high-resolution clock; they need to open it.",
       "services.udev.extraRules = ''KERNEL==\"rtc0\", GROUP=\"audio\"''; (musnix.enable sets it)",
       "Add KERNEL==\"rtc0\", GROUP=\"audio\" to /etc/udev/rules.d/90-audio-setup.rules",
       check_rtc_access,
       false,
       {udev_rule("KERNEL==\"rtc0\", GROUP=\"audio\"")}},
      {"hpet_access",
       "/dev/hpet access",
       "/dev/hpet, udev rules.d, /etc/group, /proc/self/status",
       "MIDI sequencers use the HPET as a high-resolution clock; they need to open it.",
       "services.udev.extraRules = ''KERNEL==\"hpet\", GROUP=\"audio\"''; (musnix.enable sets it)",
       "Add KERNEL==\"hpet\", GROUP=\"audio\" to /etc/udev/rules.d/90-audio-setup.rules",
       check_hpet_access,
       false,
       {udev_rule("KERNEL==\"hpet\", GROUP=\"audio\"")}},
      {"rtc_max_user_freq",
       "RTC max user frequency",
       "/sys/class/rtc/rtc0/max_user_freq",
       "User space may program the RTC only up to this rate (64 Hz by default).",
       "boot.postBootCommands = \"echo 2048 > /sys/class/rtc/rtc0/max_user_freq\"; (musnix)",
       "Add ACTION==\"add\", SUBSYSTEM==\"rtc\", ATTR{max_user_freq}=\"2048\" to "
       "/etc/udev/rules.d/90-audio-setup.rules",
       check_rtc_max_user_freq,
       false,
       {{"boot.postBootCommands", "echo 2048 > /sys/class/rtc/rtc0/max_user_freq",
         NixKind::kLine}}},
      {"hpet_max_user_freq",
       "HPET max user frequency",
       "/proc/sys/dev/hpet/max-user-freq",
       "User space may program the HPET only up to this rate (64 Hz by default).",
       "boot.kernel.sysctl.\"dev.hpet.max-user-freq\" = 2048;",
       "echo 'dev.hpet.max-user-freq = 2048' > /etc/sysctl.d/90-audio-setup.conf; sysctl --system",
       check_hpet_max_user_freq,
       false,
       {sysctl("dev.hpet.max-user-freq", "2048")}},
      {"audio_server_rt",
       "Audio server real-time threads",
       "/proc/*/comm (jackd, jackdbus, pipewire), /proc/<pid>/task/*/stat",
       "A JACK or PipeWire process without a SCHED_FIFO thread runs audio at normal priority: "
       "every busy process causes xruns.",
       "security.rtkit.enable = true; and members of audio (PipeWire's module-rt asks rtkit)",
       "Start jackd with -R (default) as a member of audio; for PipeWire install rtkit",
       check_audio_server_rt,
       false,
       {{"security.rtkit.enable", "true", NixKind::kAssign}}},
      {"audio_server_quantum",
       "Audio server period (quantum)",
       "/proc/<jackd>/cmdline (-p, -r); pipewire.conf and pipewire.conf.d/*.conf in "
       "/usr/share/pipewire, /etc/pipewire and the running PipeWire's ~/.config/pipewire",
       "The period sets the latency floor: PipeWire's default 1024 frames at 48 kHz is 21 ms "
       "each way.",
       "services.pipewire.extraConfig.pipewire.\"92-low-latency\" = { \"context.properties\" = "
       "{ \"default.clock.quantum\" = 64; \"default.clock.min-quantum\" = 64; }; };",
       "Create /etc/pipewire/pipewire.conf.d/92-low-latency.conf with context.properties = { "
       "default.clock.quantum = 64 }; or start jackd with -p 64",
       check_audio_server_quantum,
       false,
       {{"services.pipewire.extraConfig.pipewire.\"92-low-latency\"",
         "{ \"context.properties\" = { \"default.clock.quantum\" = 64; "
         "\"default.clock.min-quantum\" = 64; }; }"}}},
  };
}

}  // namespace

const std::vector<CheckSpec>& check_registry() {
  static const std::vector<CheckSpec> registry = build();
  return registry;
}

}  // namespace audio_setup
