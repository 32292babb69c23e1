// FaultEnv: the real file system with injectable failures, for fault-injection tests.
//
// It remembers, per file, how much had been fsynced, and the synced contents of pages written
// over since. power_loss() then does what a power cut does: everything after the last sync is
// lost and overwritten pages read back as before — or, when torn, a random part of the tail
// survives, with some of its pages missing (zeros) or half written (garbage), and some
// overwritten pages keep their new bytes. A file created since its directory was last synced
// loses its directory entry: it is gone; a rename since then is undone (the target's old
// contents come back). Removals are taken as durable at once.
// Handles opened before the power loss fail every call afterwards, like a dead machine; restart()
// lets new handles work again.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "streamdb/env.h"

namespace streamdb::testing {

class FaultEnv : public Env {
 public:
  explicit FaultEnv(Env* base = Env::posix()) : base_(base) {}

  // The (n+1)-th fdatasync from now fails with an I/O error; -1 disables.
  void fail_sync_after(int n) { sync_countdown_ = n; }
  // Writes may add this many more bytes; then they fail with ENOSPC after writing what fits.
  // -1 is unlimited.
  void limit_space(std::int64_t bytes) { space_left_ = bytes; }
  // Every write writes only a random non-empty prefix (a short write).
  void set_short_writes(bool on) { short_writes_ = on; }
  // The power fails during the (n+1)-th write from now (which then fails); -1 disables.
  void power_loss_after_writes(int n, bool torn, std::uint32_t seed) {
    std::lock_guard lock(mu_);
    write_countdown_ = n;
    torn_ = torn;
    rng_.seed(seed);
  }

  void power_loss(bool torn, std::uint32_t seed);
  // Power loss after which everything unsynced survives except one page (the page-th whole
  // page after the start of the unsynced part), which reads back as zeros: written back out of
  // order.
  void power_loss_with_hole(std::uint64_t page);
  void restart();
  bool dead() const { return dead_; }
  int syncs() const { return syncs_; }
  // read_at and write_at calls so far, on every file.
  int reads() const { return reads_; }
  int writes() const { return writes_; }

  // Env
  Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) override;
  Status remove_file(const std::string& path) override;
  Status rename_file(const std::string& from, const std::string& to) override;
  Status create_dir(const std::string& path) override;
  Status sync_dir(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& path) override;
  bool file_exists(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override;
  std::int64_t now_ns() override { return base_->now_ns(); }

 private:
  friend class FaultFile;
  void power_loss_locked(bool torn);
  void drop_unsynced_entries_locked();
  Status dead_error() const { return Status::io_error("injected: the machine lost power"); }

  Env* base_;
  std::mutex mu_;
  std::map<std::string, std::uint64_t> synced_;  // path -> length that survives power loss
  // path -> page offset -> that page's synced bytes, for pages written since the last sync
  std::map<std::string, std::map<std::uint64_t, std::vector<std::byte>>> overwritten_;
  // Files created since their directory was last synced.
  std::set<std::string> unsynced_entries_;
  // Renames since the target's directory was last synced: the target and its contents before
  // (none: it did not exist).
  struct Rename {
    std::string to;
    std::optional<std::string> before;
  };
  std::vector<Rename> unsynced_renames_;
  std::atomic<int> generation_{0};
  std::atomic<bool> dead_{false};
  std::atomic<int> sync_countdown_{-1};
  std::atomic<std::int64_t> space_left_{-1};
  std::atomic<bool> short_writes_{false};
  std::atomic<int> syncs_{0};
  std::atomic<int> reads_{0};
  std::atomic<int> writes_{0};
  int write_countdown_ = -1;
  bool torn_ = false;
  std::mt19937 rng_{1};
};

}  // namespace streamdb::testing
