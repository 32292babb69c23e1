// SystemRoot: the one seam through which audio-setup reads and writes /proc, /sys, /etc, /dev
// and /boot. Every path the checks name is absolute as on the target system ("/proc/cmdline");
// SystemRoot prefixes it with the root directory, so a mounted system or a fixture tree under
// tests/fixtures/ stands in for the running machine.
//
// Symbolic links inside the tree (sysfs is full of them) are resolved inside the root: an
// absolute link target is re-rooted, a relative one is joined lexically. Nothing here follows
// a link out of the root.
//
// Thread-compatible: const methods may be called from several threads.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "archibald/status.h"

namespace audio_setup {

class SystemRoot {
 public:
  // root: a directory; "/" is the running system. REQUIRES: root is absolute or relative to the
  // working directory; a trailing slash is ignored.
  explicit SystemRoot(std::string root);

  // True when the root is "/", i.e. the running system: only then may checks act (try
  // SCHED_FIFO, look at the calling process) instead of only reading files.
  bool is_live() const { return live_; }
  const std::string& root() const { return root_; }

  // Fails with kInvalidArgument when the root directory does not exist.
  archibald::Status validate() const;

  // Host path for a target path: "/proc/cmdline" -> "<root>/proc/cmdline".
  std::string host_path(const std::string& path) const;

  // Whole file contents. kNotFound when absent, kPermissionDenied when unreadable.
  archibald::Result<std::string> read(const std::string& path) const;
  // First line without its newline, trimmed of surrounding blanks.
  archibald::Result<std::string> read_line(const std::string& path) const;
  // read() or std::nullopt, for optional sources.
  std::optional<std::string> try_read(const std::string& path) const;

  bool exists(const std::string& path) const;
  bool is_directory(const std::string& path) const;
  // Names in a directory, sorted, without "." and "..". Empty when absent.
  std::vector<std::string> list(const std::string& path) const;

  // Resolves symbolic links in path inside the root and returns the target path (still in
  // target-system form, "/sys/devices/..."). A path with no links is returned normalised.
  std::string resolve(const std::string& path) const;

  // Writing (apply/rollback). Links in path resolve inside the root as for reads; a path that
  // is itself a link is written through (the link stays). Creates missing parent directories
  // (reported in created_dirs, outermost first, when given). write() replaces the file
  // atomically (temp file + rename, fsync), keeping the mode and owner of the file it replaces,
  // and writes in place for /proc, /sys and /dev of the running system.
  archibald::Status write(const std::string& path, const std::string& contents,
                          std::vector<std::string>* created_dirs = nullptr) const;
  // Removes the file (or link) path names; links in its parent directories resolve in the root.
  archibald::Status remove(const std::string& path) const;
  // Removes path when it is an empty directory; OK when absent or not empty.
  archibald::Status remove_empty_directory(const std::string& path) const;

 private:
  // path with the links of its parent directories resolved, its last component kept.
  std::string resolve_parent(const std::string& path) const;

  std::string root_;
  bool live_;
};

// Lexically normalises an absolute path: collapses "//", ".", "..".
std::string normalize_path(const std::string& path);

}  // namespace audio_setup
