#include "segment_log.h"

#include <algorithm>
#include <array>

#include "coding.h"
#include "hash.h"

namespace streamdb::internal {

namespace {
// Appends are written (and their writeback started) in slices of about this size: large enough
// that the system calls cost nothing next to the copying, small enough that the device starts
// early (raw pwrite of 100 x 64 KiB + fdatasync: ~15% faster with writeback started per
// 256 KiB than with none; ad-hoc probe).
constexpr std::uint64_t kWritebackSlice = 256 << 10;
constexpr std::uint64_t kPageSize = 4096;
// Small commits are written over zeros. An fdatasync after an append that grew the file also
// commits the file system's journal (the new size); after a write over bytes the file already
// has, it flushes only the data (ext4, 267-byte writes, p50: 96 us appended, 55-64 us over
// zeros; ad-hoc probe). So after a small append the active segment is filled with zeros to
// kZeroAhead past its end: one growing write per kZeroAhead of log instead of one per commit.
// Recovery takes a segment's zero-filled tail as its end (recovery.cc).
constexpr std::uint64_t kZeroAhead = 1 << 20;
// Larger appends grow the file in large steps anyway; filling ahead of them would only add
// writes.
constexpr std::uint64_t kZeroFillUpTo = 64 << 10;
}  // namespace

SegmentFile::~SegmentFile() {
  if (obsolete_.load()) {
    file_.reset();
    (void)env_->remove_file(path_);
  }
}

const std::byte* SegmentFile::map_slow(std::uint64_t end) {
  std::lock_guard lock(map_mu_);
  std::uint64_t len = map_len_.load(std::memory_order_relaxed);
  if (end <= len) return map_base_.load(std::memory_order_relaxed);
  if (map_failed_ || end > size()) return nullptr;
  // Grow geometrically so a segment that keeps growing past its reserve is remapped rarely.
  std::uint64_t want = std::max({end, size(), map_reserve_, 2 * len});
  std::unique_ptr<FileMapping> m = file_->map_read_only(want);
  if (!m) {
    map_failed_ = true;
    return nullptr;
  }
  const std::byte* base = m->data();
  mappings_.push_back(std::move(m));
  map_base_.store(base, std::memory_order_relaxed);
  map_len_.store(want, std::memory_order_release);
  return base;
}

SegmentLog::SegmentLog(Env* env, std::string dir, const Guid& db_id, std::uint64_t segment_size,
                       SegmentMap segments, std::uint64_t end)
    : env_(env),
      dir_(std::move(dir)),
      db_id_(db_id),
      segment_size_(segment_size),
      end_(end),
      zeroed_(end),
      kicked_(end & ~(kPageSize - 1)) {
  if (!segments.empty()) active_ = segments.rbegin()->second;
  if (active_) durable_ = log_pos(active_->id(), end_);
  segments_ = std::make_shared<const SegmentMap>(std::move(segments));
}

Status SegmentLog::start() {
  std::lock_guard lock(mu_);
  if (active_) return {};
  return roll_locked();
}

Status SegmentLog::refuse_locked() const {
  return Status::aborted("the database refuses writes after an earlier failure (" +
                         failed_.message() + "); reopen it to recover");
}

Status SegmentLog::roll_locked() {
  std::uint32_t id = active_ ? active_->id() + 1 : 1;
  if (id >= (1u << 24)) return Status::not_supported("segment ids exhausted");
  std::string path = dir_ + "/" + segment_file_name(id);
  Result<std::unique_ptr<File>> file = env_->open_file(path, OpenMode::kCreate);
  if (!file.ok()) return file.status();
  std::string payload;
  put_bytes(&payload, db_id_.bytes.data(), db_id_.bytes.size());
  put_u64(&payload, id);
  RecordHeader h{RecordType::kSegmentHeader, 0, static_cast<std::uint32_t>(payload.size()), id,
                 xxh3(payload.data(), payload.size())};
  std::array<std::byte, kRecordHeaderSize> header{};
  encode_header(h, header.data());
  std::span<const std::byte> parts[] = {header,
                                        std::as_bytes(std::span(payload.data(), payload.size()))};
  Status s = (*file)->truncate(0);
  if (s.ok()) s = write_fully(**file, 0, parts);
  // The new file's directory entry must be durable before any commit in it is acknowledged.
  if (s.ok()) s = env_->sync_dir(dir_);
  if (!s.ok()) {
    file->reset();
    (void)env_->remove_file(path);
    return s.with_context("start segment " + path);
  }
  std::uint64_t size = kRecordHeaderSize + payload.size();
  // The old segment's zeros past its last record are not needed any more.
  if (active_ && zeroed_ > end_) (void)active_->file().truncate(end_);
  auto seg = std::make_shared<SegmentFile>(env_, path, id, std::move(*file), size, segment_size_);
  auto map = std::make_shared<SegmentMap>(*segments_);
  (*map)[id] = seg;
  segments_ = std::move(map);
  active_ = seg;
  end_ = size;
  zeroed_ = size;
  kicked_ = 0;
  dirty_.insert(seg);
  return {};
}

Status SegmentLog::append(std::uint64_t size, const Layout& layout) {
  std::lock_guard lock(mu_);
  if (!failed_.ok()) return refuse_locked();
  if (end_ > kRecordHeaderSize + 24 && end_ + size > segment_size_) {
    ARCHIBALD_RETURN_IF_ERROR(roll_locked());
  }
  if (end_ + size >= (1ull << 40)) return Status::not_supported("segment too large");
  std::vector<std::span<const std::byte>> parts;
  layout(log_pos(active_->id(), end_), durable_, &parts);
  Status s = write_locked(parts);
  if (!s.ok()) {
    // Cut the partial write off so the file never holds a half record followed by new ones.
    Status t = active_->file().truncate(end_);
    if (!t.ok()) failed_ = t;
    kicked_ = std::min(kicked_, end_ & ~(kPageSize - 1));
    zeroed_ = end_;
    return s;
  }
  end_ += size;
  active_->set_size(end_);
  dirty_.insert(active_);
  if (size <= kZeroFillUpTo && end_ > zeroed_) zero_ahead_locked();
  zeroed_ = std::max(zeroed_, end_);
  return {};
}

void SegmentLog::zero_ahead_locked() {
  static const std::array<std::byte, 64 << 10> kZeros{};
  std::uint64_t to = std::min((end_ + kZeroAhead) & ~(kPageSize - 1), segment_size_);
  if (to <= end_) return;
  std::vector<std::span<const std::byte>> parts;
  for (std::uint64_t at = end_; at < to; at += kZeros.size())
    parts.emplace_back(kZeros.data(), std::min<std::uint64_t>(kZeros.size(), to - at));
  File& file = active_->file();
  if (!write_fully(file, end_, parts).ok()) {
    // Only an optimisation: a full disk makes the next commit grow the file instead. The
    // zeros that did reach the file are harmless (recovery takes them as the end).
    (void)file.truncate(end_);
    return;
  }
  // Past the page holding the end, which the next commit changes again.
  std::uint64_t from = (end_ + kPageSize - 1) & ~(kPageSize - 1);
  if (to > from) file.start_writeback(from, to - from);
  zeroed_ = to;
}

Status SegmentLog::write_locked(const std::vector<std::span<const std::byte>>& parts) {
  File& file = active_->file();
  std::uint64_t at = end_;
  std::size_t first = 0;
  while (first < parts.size()) {
    std::size_t last = first;
    std::uint64_t bytes = 0;
    while (last < parts.size() && bytes < kWritebackSlice)
      bytes += parts[last++].size();
    ARCHIBALD_RETURN_IF_ERROR(write_fully(file, at, std::span(parts).subspan(first, last - first)));
    at += bytes;
    first = last;
    // Whole pages only: a page still being appended to is left alone until it is complete.
    std::uint64_t complete = at & ~(kPageSize - 1);
    if (complete >= kicked_ + kWritebackSlice) {
      file.start_writeback(kicked_, complete - kicked_);
      kicked_ = complete;
    }
  }
  return {};
}

Status SegmentLog::sync() {
  std::lock_guard sync_lock(sync_mu_);
  std::set<std::shared_ptr<SegmentFile>> dirty;
  std::uint64_t end = 0;
  {
    std::lock_guard lock(mu_);
    if (!failed_.ok()) return refuse_locked();
    dirty.swap(dirty_);
    end = log_pos(active_->id(), end_);
  }
  for (const auto& seg : dirty) {
    Status s = seg->file().sync();
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      failed_ = s;
      return s;
    }
  }
  syncs_.fetch_add(1);
  std::lock_guard lock(mu_);
  if (end > durable_) durable_ = end;
  return {};
}

Status SegmentLog::roll(std::uint32_t* new_id) {
  std::lock_guard lock(mu_);
  if (!failed_.ok()) return refuse_locked();
  ARCHIBALD_RETURN_IF_ERROR(roll_locked());
  *new_id = active_->id();
  return {};
}

void SegmentLog::retire(const std::set<std::uint32_t>& ids) {
  std::lock_guard lock(mu_);
  auto map = std::make_shared<SegmentMap>(*segments_);
  for (std::uint32_t id : ids) {
    auto it = map->find(id);
    if (it == map->end() || it->second == active_) continue;
    it->second->mark_obsolete();
    dirty_.erase(it->second);
    map->erase(it);
  }
  segments_ = std::move(map);
}

std::uint32_t SegmentLog::active_segment() const {
  std::lock_guard lock(mu_);
  return active_ ? active_->id() : 0;
}

std::uint64_t SegmentLog::durable() const {
  std::lock_guard lock(mu_);
  return durable_;
}

std::shared_ptr<const SegmentMap> SegmentLog::segments() const {
  std::lock_guard lock(mu_);
  return segments_;
}

std::uint64_t SegmentLog::file_bytes() const {
  std::lock_guard lock(mu_);
  std::uint64_t total = 0;
  for (const auto& [id, seg] : *segments_)
    total += seg->size();
  return total;
}

Status SegmentLog::health() const {
  std::lock_guard lock(mu_);
  return failed_.ok() ? Status{} : refuse_locked();
}

}  // namespace streamdb::internal
