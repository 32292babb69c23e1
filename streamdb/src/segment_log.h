// SegmentLog: the append-only log of records, split into segment files ("00000001.seg").
//
// Appends are serialised under one lock and written with one vectored pwrite, so at any time
// every byte below the end of the log has been handed to the kernel. sync() (fdatasync of
// every segment written since the last sync) is what makes them durable; the DB's group-commit
// leader calls it once for a whole group of commits. After a failed fsync the log refuses
// every further append: the kernel may have dropped the dirty pages, so nothing written since
// the last good sync can be trusted until recovery has re-read the files.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "record.h"
#include "streamdb/env.h"

namespace streamdb::internal {

class SegmentFile {
 public:
  // map_reserve: how far a first mapping reaches when the file is still growing (the active
  // segment maps its whole planned size at once).
  SegmentFile(Env* env, std::string path, std::uint32_t id, std::unique_ptr<File> file,
              std::uint64_t size, std::uint64_t map_reserve = 0)
      : env_(env),
        path_(std::move(path)),
        id_(id),
        file_(std::move(file)),
        size_(size),
        map_reserve_(map_reserve) {}
  ~SegmentFile();
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  std::uint32_t id() const { return id_; }
  const std::string& path() const { return path_; }
  File& file() { return *file_; }
  std::uint64_t size() const { return size_.load(std::memory_order_relaxed); }
  void set_size(std::uint64_t size) { size_.store(size, std::memory_order_relaxed); }
  // The file is deleted when the last reference (a reader's index version) goes away.
  void mark_obsolete() { obsolete_.store(true); }

  // The start of a read-only mapping of the file that covers [0, end), or null when the Env
  // cannot map it (then read with file().read_at). end must not exceed size(): bytes past the
  // end of the file must never be touched through a mapping (SIGBUS). A mapping stays valid
  // until the SegmentFile is destroyed, so a reader holding an index version may use it freely.
  const std::byte* mapped(std::uint64_t end) {
    if (end <= map_len_.load(std::memory_order_acquire)) {
      return map_base_.load(std::memory_order_relaxed);
    }
    return map_slow(end);
  }

 private:
  Env* env_;
  std::string path_;
  std::uint32_t id_;
  std::unique_ptr<File> file_;
  std::atomic<std::uint64_t> size_;
  std::atomic<bool> obsolete_{false};

  const std::byte* map_slow(std::uint64_t end);
  std::uint64_t map_reserve_;
  std::mutex map_mu_;
  bool map_failed_ = false;
  // Every mapping made; a longer one replaces the published one when the file has grown, and
  // older ones stay until destruction because readers may still be copying from them.
  std::vector<std::unique_ptr<FileMapping>> mappings_;
  std::atomic<const std::byte*> map_base_{nullptr};
  std::atomic<std::uint64_t> map_len_{0};
};

using SegmentMap = std::map<std::uint32_t, std::shared_ptr<SegmentFile>>;

class SegmentLog {
 public:
  // Continues the log after recovery: `segments` exist, the last one is active and `end` is
  // its length (everything in them has been synced). With no segments, start() creates one.
  SegmentLog(Env* env, std::string dir, const Guid& db_id, std::uint64_t segment_size,
             SegmentMap segments, std::uint64_t end);

  Status start();

  // Fills parts with the bytes of one contiguous run of records starting at log position pos.
  // durable is the log position below which everything has been synced (the commit watermark).
  using Layout = std::function<void(std::uint64_t pos, std::uint64_t durable,
                                    std::vector<std::span<const std::byte>>* parts)>;
  // Appends exactly `size` bytes laid out by layout, starting a new segment first when the
  // active one is full. On a write error the active segment is cut back to its old end.
  Status append(std::uint64_t size, const Layout& layout);
  Status sync();
  // Starts a new segment; every later append goes there.
  Status roll(std::uint32_t* new_id);
  // Drops segments from the log; each file is deleted once no index version references it.
  void retire(const std::set<std::uint32_t>& ids);

  std::uint32_t active_segment() const;
  std::uint64_t durable() const;
  std::shared_ptr<const SegmentMap> segments() const;
  std::uint64_t file_bytes() const;
  std::uint64_t syncs() const { return syncs_.load(); }
  // OK, or the failure that made the log refuse writes.
  Status health() const;

 private:
  Status roll_locked();
  // Writes parts at end_ in slices, starting the device's writeback of each slice as soon as
  // it is in the page cache, so the next sync() overlaps with the copying.
  Status write_locked(const std::vector<std::span<const std::byte>>& parts);
  Status refuse_locked() const;
  // Fills the active segment with zeros from end_ to kZeroAhead past it (segment_log.cc).
  void zero_ahead_locked();

  Env* env_;
  std::string dir_;
  Guid db_id_;
  std::uint64_t segment_size_;

  mutable std::mutex mu_;
  std::shared_ptr<const SegmentMap> segments_;  // copy-on-write
  std::shared_ptr<SegmentFile> active_;
  std::uint64_t end_ = 0;     // length of the active segment
  std::uint64_t zeroed_ = 0;  // active segment: the file's bytes (records, then zeros) end here
  std::uint64_t kicked_ = 0;  // active segment: writeback started below this offset
  std::uint64_t durable_ = 0;
  std::set<std::shared_ptr<SegmentFile>> dirty_;
  Status failed_;

  std::mutex sync_mu_;  // one fdatasync round at a time
  std::atomic<std::uint64_t> syncs_{0};
};

}  // namespace streamdb::internal
