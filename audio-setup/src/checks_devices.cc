// Checks about timer and latency devices: who may open /dev/cpu_dma_latency, /dev/rtc0 and
// /dev/hpet, and how fast user space may program the RTC and HPET.
#include <fnmatch.h>
#include <unistd.h>

#include "check_registry.h"

namespace audio_setup {
namespace {

// Group a udev rule assigns to the device, or "" when no rule names it. Reads
// /etc/udev/rules.d, /lib/udev/rules.d and /usr/lib/udev/rules.d.
std::string udev_group_for(const CheckContext& ctx, const std::string& kernel_name,
                           std::string* rule_file) {
  const std::string devpath = "/devices/virtual/misc/" + kernel_name;
  std::string group;
  for (const char* dir : {"/lib/udev/rules.d", "/usr/lib/udev/rules.d", "/etc/udev/rules.d"}) {
    for (const std::string& name : ctx.root().list(dir)) {
      if (name.size() < 6 || name.compare(name.size() - 6, 6, ".rules") != 0) continue;
      std::string path = std::string(dir) + "/" + name;
      std::optional<std::string> text = ctx.root().try_read(path);
      if (!text) continue;
      for (const std::string& raw : split(*text, '\n')) {
        std::string line = trim(raw);
        if (line.empty() || line[0] == '#') continue;
        bool matches = false;
        std::string rule_group;
        for (const std::string& part : split(line, ',')) {
          std::string p = trim(part);
          auto value_of = [&p](std::string_view key,
                               std::string_view op) -> std::optional<std::string> {
            std::string prefix = std::string(key) + std::string(op) + "\"";
            if (p.rfind(prefix, 0) != 0 || p.back() != '"') return std::nullopt;
            return p.substr(prefix.size(), p.size() - prefix.size() - 1);
          };
          if (auto k = value_of("KERNEL", "==")) {
            matches = matches || fnmatch(k->c_str(), kernel_name.c_str(), 0) == 0;
          } else if (auto d = value_of("DEVPATH", "==")) {
            matches = matches || fnmatch(d->c_str(), devpath.c_str(), 0) == 0;
          } else if (auto g = value_of("GROUP", "=")) {
            rule_group = *g;
          } else if (auto g2 = value_of("GROUP", ":=")) {
            rule_group = *g2;
          }
        }
        if (matches && !rule_group.empty()) {
          group = rule_group;  // Later files win, as udev applies them in order.
          *rule_file = path;
        }
      }
    }
  }
  return group;
}

Evaluation device_access(const CheckContext& ctx, const std::string& kernel_name) {
  const std::string dev = "/dev/" + kernel_name;
  if (!ctx.root().exists(dev)) return na(dev + " does not exist");
  if (!ctx.identity()) return na("/proc/self/status unreadable or without Uid/Gid lines");
  if (ctx.identity()->uid == 0) return ok(dev + ": root may open it");
  if (ctx.root().is_live()) {
    // On the running system the kernel's own answer is the truth.
    if (::access(ctx.root().host_path(dev).c_str(), R_OK | W_OK) == 0)
      return ok(dev + ": readable and writable");
  }
  std::string rule_file;
  std::string group = udev_group_for(ctx, kernel_name, &rule_file);
  if (group.empty()) return warn(dev + ": no udev rule gives a group access (root only)");
  std::optional<std::string> group_text = ctx.root().try_read("/etc/group");
  std::map<std::string, GroupEntry> groups =
      group_text ? parse_group_file(*group_text) : std::map<std::string, GroupEntry>{};
  auto it = groups.find(group);
  bool member = false;
  if (it != groups.end()) {
    member = ctx.identity()->gid == it->second.gid;
    for (std::int64_t g : ctx.identity()->groups)
      member = member || g == it->second.gid;
  }
  std::string obs = dev + ": group '" + group + "' from " + rule_file;
  if (member) return ok(obs + ", and this user is a member");
  return warn(obs + ", but this user is not a member");
}

Evaluation min_frequency(const CheckContext& ctx, const std::string& path) {
  std::optional<std::string> text = ctx.root().try_read(path);
  if (!text) return na(path + " missing");
  std::string t = trim(*text);
  std::optional<std::int64_t> v = parse_int(t);
  if (!v) return na(path + " = '" + t + "'");
  if (*v >= kMinTimerFreq) return ok(path + " = " + t);
  return warn(path + " = " + t + " Hz: below " + std::to_string(kMinTimerFreq) +
              " Hz, MIDI sequencers using it as a clock are coarse");
}

}  // namespace

Evaluation check_cpu_dma_latency_access(const CheckContext& ctx) {
  return device_access(ctx, "cpu_dma_latency");
}
Evaluation check_rtc_access(const CheckContext& ctx) {
  return device_access(ctx, "rtc0");
}
Evaluation check_hpet_access(const CheckContext& ctx) {
  return device_access(ctx, "hpet");
}

Evaluation check_rtc_max_user_freq(const CheckContext& ctx) {
  return min_frequency(ctx, "/sys/class/rtc/rtc0/max_user_freq");
}

Evaluation check_hpet_max_user_freq(const CheckContext& ctx) {
  return min_frequency(ctx, "/proc/sys/dev/hpet/max-user-freq");
}

}  // namespace audio_setup
