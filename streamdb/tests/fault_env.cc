#include "fault_env.h"

#include <algorithm>
#include <vector>

namespace streamdb::testing {

namespace {
constexpr std::uint64_t kPage = 4096;
}  // namespace

class FaultFile final : public File {
 public:
  FaultFile(FaultEnv* env, std::string path, std::unique_ptr<File> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)), generation_(env->generation_) {}

  bool alive() const { return !env_->dead_ && generation_ == env_->generation_; }

  Result<std::size_t> read_at(std::uint64_t offset,
                              std::span<const std::span<std::byte>> parts) override {
    if (!alive()) return env_->dead_error();
    ++env_->reads_;
    return base_->read_at(offset, parts);
  }

  Result<std::size_t> write_at(std::uint64_t offset,
                               std::span<const std::span<const std::byte>> parts) override {
    if (!alive()) return env_->dead_error();
    ++env_->writes_;
    std::size_t total = 0;
    for (const auto& p : parts)
      total += p.size();
    std::size_t allowed = total;
    {
      std::lock_guard lock(env_->mu_);
      if (env_->write_countdown_ == 0) {
        env_->write_countdown_ = -1;
        // Part of this write reaches the page cache before the lights go out.
        std::size_t part = total == 0 ? 0 : env_->rng_() % total;
        (void)keep_synced_pages_locked(offset, part);
        (void)write_prefix(offset, parts, part);
        env_->power_loss_locked(env_->torn_);
        return env_->dead_error();
      }
      if (env_->write_countdown_ > 0) --env_->write_countdown_;
      if (env_->short_writes_ && total > 1) allowed = 1 + env_->rng_() % (total - 1);
    }
    std::int64_t space = env_->space_left_;
    if (space >= 0) {
      if (space == 0 && total > 0) return Status::from_errno("write " + path_, ENOSPC);
      allowed = std::min<std::size_t>(allowed, static_cast<std::size_t>(space));
    }
    ARCHIBALD_RETURN_IF_ERROR(keep_synced_pages(offset, allowed));
    Result<std::size_t> n = write_prefix(offset, parts, allowed);
    if (n.ok() && space >= 0) env_->space_left_ -= static_cast<std::int64_t>(*n);
    return n;
  }

  Status sync() override {
    if (!alive()) return env_->dead_error();
    int c = env_->sync_countdown_;
    if (c == 0) {
      env_->sync_countdown_ = -1;
      return Status::io_error("fdatasync " + path_ + ": Input/output error (injected)");
    }
    if (c > 0) --env_->sync_countdown_;
    ARCHIBALD_RETURN_IF_ERROR(base_->sync());
    Result<std::uint64_t> size = base_->size();
    if (!size.ok()) return size.status();
    std::lock_guard lock(env_->mu_);
    env_->synced_[path_] = *size;
    env_->overwritten_.erase(path_);
    ++env_->syncs_;
    return {};
  }

  Status truncate(std::uint64_t size) override {
    if (!alive()) return env_->dead_error();
    ARCHIBALD_RETURN_IF_ERROR(base_->truncate(size));
    std::lock_guard lock(env_->mu_);
    auto& synced = env_->synced_[path_];
    synced = std::min(synced, size);
    auto& pages = env_->overwritten_[path_];
    pages.erase(pages.lower_bound(size), pages.end());
    if (!pages.empty()) {
      auto& [page, old] = *pages.rbegin();
      if (page + old.size() > size) old.resize(size - page);
    }
    return {};
  }

  Result<std::uint64_t> size() override {
    if (!alive()) return env_->dead_error();
    return base_->size();
  }

 private:
  Status keep_synced_pages(std::uint64_t offset, std::size_t n) {
    std::lock_guard lock(env_->mu_);
    return keep_synced_pages_locked(offset, n);
  }
  // Before a write changes bytes that were synced, remembers what the disk holds of each page
  // it touches, so that a power loss can bring the old bytes back.
  Status keep_synced_pages_locked(std::uint64_t offset, std::size_t n) {
    std::uint64_t synced = env_->synced_[path_];
    auto& pages = env_->overwritten_[path_];
    for (std::uint64_t page = offset / kPage * kPage; page < std::min(offset + n, synced);
         page += kPage) {
      if (pages.count(page) != 0) continue;
      std::vector<std::byte> old(std::min(page + kPage, synced) - page);
      std::span<std::byte> part(old);
      Result<std::size_t> got = base_->read_at(page, std::span(&part, 1));
      if (!got.ok()) return got.status();
      old.resize(*got);
      pages.emplace(page, std::move(old));
    }
    return {};
  }

  Result<std::size_t> write_prefix(std::uint64_t offset,
                                   std::span<const std::span<const std::byte>> parts,
                                   std::size_t limit) {
    std::vector<std::span<const std::byte>> cut;
    for (const auto& p : parts) {
      if (limit == 0) break;
      std::size_t take = std::min(limit, p.size());
      cut.push_back(p.first(take));
      limit -= take;
    }
    if (cut.empty()) return std::size_t{0};
    return base_->write_at(offset, cut);
  }

  FaultEnv* env_;
  std::string path_;
  std::unique_ptr<File> base_;
  int generation_;
};

void FaultEnv::power_loss(bool torn, std::uint32_t seed) {
  std::lock_guard lock(mu_);
  rng_.seed(seed);
  power_loss_locked(torn);
}

void FaultEnv::drop_unsynced_entries_locked() {
  for (auto it = unsynced_renames_.rbegin(); it != unsynced_renames_.rend(); ++it) {
    synced_.erase(it->to);
    overwritten_.erase(it->to);
    if (!it->before) {
      (void)base_->remove_file(it->to);
      continue;
    }
    auto file = base_->open_file(it->to, OpenMode::kCreate);
    if (!file.ok() || !(*file)->truncate(0).ok()) continue;
    std::span<const std::byte> part(reinterpret_cast<const std::byte*>(it->before->data()),
                                    it->before->size());
    if (write_fully(**file, 0, std::span(&part, 1)).ok()) synced_[it->to] = it->before->size();
  }
  unsynced_renames_.clear();
  for (const std::string& path : unsynced_entries_) {
    (void)base_->remove_file(path);
    synced_.erase(path);
    overwritten_.erase(path);
  }
  unsynced_entries_.clear();
}

void FaultEnv::power_loss_locked(bool torn) {
  dead_ = true;
  drop_unsynced_entries_locked();
  for (const auto& [path, synced] : synced_) {
    auto file = base_->open_file(path, OpenMode::kReadWrite);
    if (!file.ok()) continue;
    // Synced pages overwritten since: the old bytes come back (torn: for some of them).
    for (const auto& [page, old] : overwritten_[path]) {
      if (torn && rng_() % 2 == 0) continue;
      std::span<const std::byte> part(old);
      (void)write_fully(**file, page, std::span(&part, 1));
    }
    auto size = (*file)->size();
    if (!size.ok() || *size <= synced) continue;
    std::uint64_t keep = torn ? rng_() % (*size - synced + 1) : 0;
    (void)(*file)->truncate(synced + keep);
    if (!torn) continue;
    // Write-back happens page by page in no particular order: some pages of the surviving
    // tail never made it (zeros) and some were half written (garbage).
    for (std::uint64_t page = synced / kPage * kPage; page < synced + keep; page += kPage) {
      std::uint32_t dice = rng_() % 100;
      if (dice >= 25) continue;
      std::uint64_t from = std::max(page, synced);
      std::uint64_t to = std::min(page + kPage, synced + keep);
      std::vector<std::byte> bytes(to - from);
      if (dice < 5) {
        for (auto& b : bytes)
          b = static_cast<std::byte>(rng_());
      }
      std::span<const std::byte> part(bytes);
      (void)write_fully(**file, from, std::span(&part, 1));
    }
  }
}

void FaultEnv::power_loss_with_hole(std::uint64_t page) {
  std::lock_guard lock(mu_);
  dead_ = true;
  drop_unsynced_entries_locked();
  for (const auto& [path, synced] : synced_) {
    auto file = base_->open_file(path, OpenMode::kReadWrite);
    if (!file.ok()) continue;
    auto size = (*file)->size();
    // The unsynced part starts at the first synced page overwritten since, or at the end.
    const auto& pages = overwritten_[path];
    std::uint64_t dirty = pages.empty() ? synced : std::min(synced, pages.begin()->first);
    std::uint64_t from = (dirty + kPage - 1) / kPage * kPage + page * kPage;
    if (!size.ok() || from + kPage > *size) continue;
    std::vector<std::byte> zeros(kPage);
    std::span<const std::byte> part(zeros);
    (void)write_fully(**file, from, std::span(&part, 1));
  }
}

void FaultEnv::restart() {
  ++generation_;
  dead_ = false;
  sync_countdown_ = -1;
  space_left_ = -1;
  short_writes_ = false;
  std::lock_guard lock(mu_);
  write_countdown_ = -1;
  // After the reboot, whatever is in the files is what the disk holds.
  overwritten_.clear();
  for (auto& [path, synced] : synced_) {
    auto file = base_->open_file(path, OpenMode::kRead);
    if (file.ok()) {
      auto size = (*file)->size();
      if (size.ok()) synced = *size;
    }
  }
}

Result<std::unique_ptr<File>> FaultEnv::open_file(const std::string& path, OpenMode mode) {
  if (dead_) return dead_error();
  bool existed = base_->file_exists(path);
  auto file = base_->open_file(path, mode);
  if (!file.ok()) return file.status();
  {
    std::lock_guard lock(mu_);
    if (synced_.count(path) == 0) {
      std::uint64_t size = 0;
      if (existed) {
        auto s = (*file)->size();
        if (s.ok()) size = *s;
      }
      synced_[path] = size;
    }
    if (!existed) unsynced_entries_.insert(path);
  }
  return std::unique_ptr<File>(new FaultFile(this, path, std::move(*file)));
}

Status FaultEnv::remove_file(const std::string& path) {
  if (dead_) return dead_error();
  ARCHIBALD_RETURN_IF_ERROR(base_->remove_file(path));
  std::lock_guard lock(mu_);
  synced_.erase(path);
  // Taken as durable at once: no later power loss brings the file back.
  unsynced_entries_.erase(path);
  std::erase_if(unsynced_renames_, [&](const Rename& r) { return r.to == path; });
  return {};
}

Status FaultEnv::rename_file(const std::string& from, const std::string& to) {
  if (dead_) return dead_error();
  std::optional<std::string> before;
  if (base_->file_exists(to)) {
    auto file = base_->open_file(to, OpenMode::kRead);
    if (!file.ok()) return file.status();
    auto size = (*file)->size();
    if (!size.ok()) return size.status();
    before.emplace(static_cast<std::size_t>(*size), '\0');
    std::span<std::byte> part(reinterpret_cast<std::byte*>(before->data()), before->size());
    auto got = (*file)->read_at(0, std::span(&part, 1));
    if (!got.ok()) return got.status();
  }
  ARCHIBALD_RETURN_IF_ERROR(base_->rename_file(from, to));
  std::lock_guard lock(mu_);
  unsynced_entries_.erase(from);
  unsynced_renames_.push_back({to, std::move(before)});
  auto it = synced_.find(from);
  if (it != synced_.end()) {
    synced_[to] = it->second;
    synced_.erase(it);
  }
  return {};
}

Status FaultEnv::create_dir(const std::string& path) {
  if (dead_) return dead_error();
  return base_->create_dir(path);
}

Status FaultEnv::sync_dir(const std::string& path) {
  if (dead_) return dead_error();
  ARCHIBALD_RETURN_IF_ERROR(base_->sync_dir(path));
  std::lock_guard lock(mu_);
  auto in_dir = [&](const std::string& file) {
    std::string::size_type slash = file.rfind('/');
    return slash != std::string::npos && slash == path.size() && file.compare(0, slash, path) == 0;
  };
  std::erase_if(unsynced_entries_, in_dir);
  std::erase_if(unsynced_renames_, [&](const Rename& r) { return in_dir(r.to); });
  return {};
}

Result<std::vector<std::string>> FaultEnv::list_dir(const std::string& path) {
  if (dead_) return dead_error();
  return base_->list_dir(path);
}

bool FaultEnv::file_exists(const std::string& path) {
  return base_->file_exists(path);
}

Result<std::unique_ptr<FileLock>> FaultEnv::lock_file(const std::string& path) {
  if (dead_) return dead_error();
  return base_->lock_file(path);
}

}  // namespace streamdb::testing
