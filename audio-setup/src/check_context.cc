#include "check_context.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>

namespace audio_setup {
namespace {

// Inflates a gzip stream held in memory (the bytes of /proc/config.gz read through the seam).
std::optional<std::string> gunzip(const std::string& data) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

bool is_number(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const std::optional<std::string>& CheckContext::cmdline() const {
  if (!cmdline_) cmdline_ = root_.try_read("/proc/cmdline");
  return *cmdline_;
}

std::string CheckContext::kernel_config_candidates() const {
  std::string release = trim(root_.try_read("/proc/sys/kernel/osrelease").value_or("<release>"));
  return "/proc/config.gz, /boot/config-" + release + ", /lib/modules/" + release + "/config";
}

const std::optional<KernelConfig>& CheckContext::kernel_config() const {
  if (kernel_config_) return *kernel_config_;
  kernel_config_.emplace();
  if (std::optional<std::string> gz = root_.try_read("/proc/config.gz")) {
    if (std::optional<std::string> text = gunzip(*gz)) {
      *kernel_config_ = KernelConfig{"/proc/config.gz", parse_kernel_config(*text)};
      return *kernel_config_;
    }
  }
  std::optional<std::string> release = root_.try_read("/proc/sys/kernel/osrelease");
  if (!release) return *kernel_config_;
  std::string rel = trim(*release);
  for (const std::string& path : {"/boot/config-" + rel, "/lib/modules/" + rel + "/config"}) {
    if (std::optional<std::string> text = root_.try_read(path)) {
      *kernel_config_ = KernelConfig{path, parse_kernel_config(*text)};
      break;
    }
  }
  return *kernel_config_;
}

const std::optional<ProcessIdentity>& CheckContext::identity() const {
  if (!identity_) {
    std::optional<std::string> status = root_.try_read("/proc/self/status");
    identity_ = status ? parse_status_identity(*status) : std::nullopt;
  }
  return *identity_;
}

const std::vector<SoundCard>& CheckContext::sound_cards() const {
  if (!sound_cards_) sound_cards_ = find_sound_cards(root_);
  return *sound_cards_;
}

const std::vector<ProcessInfo>& CheckContext::processes() const {
  if (processes_) return *processes_;
  processes_.emplace();
  for (const std::string& name : root_.list("/proc")) {
    if (!is_number(name)) continue;
    ProcessInfo info;
    std::from_chars(name.data(), name.data() + name.size(), info.pid);
    std::string base = "/proc/" + name;
    std::optional<std::string> comm = root_.try_read(base + "/comm");
    if (!comm) continue;  // Exited while we looked.
    info.comm = trim(*comm);
    if (std::optional<std::string> cmd = root_.try_read(base + "/cmdline")) {
      for (const std::string& arg : split(*cmd, '\0')) {
        if (!arg.empty()) info.argv.push_back(arg);
      }
    }
    if (std::optional<std::string> status = root_.try_read(base + "/status")) {
      if (std::optional<std::string> list = status_field(*status, "Cpus_allowed_list")) {
        info.cpus_allowed = parse_cpu_list(*list);
      }
    }
    processes_->push_back(std::move(info));
  }
  return *processes_;
}

const std::optional<CpuSet>& CheckContext::online_cpus() const {
  if (!online_cpus_) {
    std::optional<std::string> text = root_.try_read("/sys/devices/system/cpu/online");
    online_cpus_ = text ? parse_cpu_list(*text) : std::nullopt;
  }
  return *online_cpus_;
}

std::map<int, std::string> CheckContext::audio_irqs() const {
  std::map<int, std::string> out;
  for (const SoundCard& card : sound_cards()) {
    for (int irq : card.irqs) {
      out[irq] = "card" + std::to_string(card.index) + (card.id.empty() ? "" : " " + card.id);
    }
  }
  if (std::optional<std::string> text = root_.try_read("/proc/interrupts")) {
    for (const InterruptLine& line : parse_interrupts(*text)) {
      for (const std::string& dev : line.devices) {
        bool usb_host = dev.find("xhci") != std::string::npos ||
                        dev.find("ehci") != std::string::npos ||
                        dev.find("ohci") != std::string::npos ||
                        dev.find("uhci") != std::string::npos || dev.rfind("dwc", 0) == 0;
        if (usb_host && !out.count(line.irq)) out[line.irq] = dev;
      }
    }
  }
  return out;
}

std::optional<CpuSet> CheckContext::irq_affinity(int irq) const {
  std::string base = "/proc/irq/" + std::to_string(irq);
  for (const char* name : {"/effective_affinity_list", "/smp_affinity_list"}) {
    if (std::optional<std::string> text = root_.try_read(base + name)) {
      std::optional<CpuSet> set = parse_cpu_list(*text);
      if (set && !set->empty()) return set;
    }
  }
  return std::nullopt;
}

std::vector<const ProcessInfo*> CheckContext::audio_servers() const {
  std::vector<const ProcessInfo*> out;
  for (const ProcessInfo& p : processes()) {
    if (p.comm == "jackd" || p.comm == "jackdbus" || p.comm == "pipewire") out.push_back(&p);
  }
  return out;
}

}  // namespace audio_setup
