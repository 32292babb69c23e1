// Checks about memory and file systems: swapping, slow file-system drivers, inotify.

#include "check_registry.h"

namespace audio_setup {

Evaluation check_swappiness(const CheckContext& ctx) {
  std::optional<std::string> swaps = ctx.root().try_read("/proc/swaps");
  std::optional<std::string> value = ctx.root().try_read("/proc/sys/vm/swappiness");
  if (!swaps || !value) return na("/proc/swaps or /proc/sys/vm/swappiness unreadable");
  std::size_t devices = 0;
  for (const std::string& line : split(*swaps, '\n')) {
    if (!line.empty() && line[0] == '/') ++devices;
  }
  std::string v = trim(*value);
  std::optional<std::int64_t> swappiness = parse_int(v);
  if (!swappiness) return na("vm.swappiness = '" + v + "'");
  std::string obs =
      std::to_string(devices) + " swap device(s) in /proc/swaps, vm.swappiness = " + v;
  if (devices == 0 || *swappiness <= kMaxSwappiness) return ok(obs);
  return warn(obs + ": pages of a running audio engine may be swapped out");
}

Evaluation check_filesystems(const CheckContext& ctx) {
  std::optional<std::string> mounts = ctx.root().try_read("/proc/mounts");
  if (!mounts) return na("/proc/mounts unreadable");
  std::string slow;
  std::size_t count = 0;
  for (const std::string& line : split(*mounts, '\n')) {
    std::vector<std::string> f = split_words(line);
    if (f.size() < 3) continue;
    ++count;
    const std::string& type = f[2];
    // FUSE block file systems (ntfs-3g, exfat-fuse) run in a user process; reiserfs takes a
    // global lock. Both stall streaming from disk under load.
    if (type == "fuseblk" || type == "reiserfs" || type == "fuse.ntfs-3g") {
      slow += std::string(slow.empty() ? "" : "; ") + f[1] + " (" + type + ")";
    }
  }
  if (count == 0) return na("/proc/mounts lists no mounts");
  if (slow.empty()) return ok(std::to_string(count) + " mounts, none fuseblk or reiserfs");
  return warn("slow file systems mounted: " + slow);
}

Evaluation check_inotify_watches(const CheckContext& ctx) {
  const std::string path = "/proc/sys/fs/inotify/max_user_watches";
  std::optional<std::string> text = ctx.root().try_read(path);
  if (!text) return na(path + " missing");
  std::string t = trim(*text);
  std::optional<std::int64_t> v = parse_int(t);
  if (!v) return na(path + " = '" + t + "'");
  if (*v >= kMinInotifyWatches) return ok(path + " = " + t);
  return warn(path + " = " + t + ": DAWs watching sample libraries run out of watches");
}

}  // namespace audio_setup
