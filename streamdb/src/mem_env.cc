// new_memory_env(): files as strings in a map, for tests and fuzzing.
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "streamdb/env.h"

namespace streamdb {
namespace {

struct MemData {
  std::mutex mu;
  std::string bytes;
};

class MemFile final : public File {
 public:
  explicit MemFile(std::shared_ptr<MemData> data) : data_(std::move(data)) {}

  Result<std::size_t> read_at(std::uint64_t offset,
                              std::span<const std::span<std::byte>> parts) override {
    std::lock_guard lock(data_->mu);
    std::size_t total = 0;
    for (const auto& p : parts) {
      if (offset >= data_->bytes.size()) break;
      std::size_t n = std::min<std::size_t>(p.size(), data_->bytes.size() - offset);
      std::memcpy(p.data(), data_->bytes.data() + offset, n);
      total += n;
      offset += n;
      if (n < p.size()) break;
    }
    return total;
  }

  Result<std::size_t> write_at(std::uint64_t offset,
                               std::span<const std::span<const std::byte>> parts) override {
    std::lock_guard lock(data_->mu);
    std::size_t total = 0;
    for (const auto& p : parts) {
      if (data_->bytes.size() < offset + p.size()) data_->bytes.resize(offset + p.size());
      if (!p.empty()) std::memcpy(data_->bytes.data() + offset, p.data(), p.size());
      offset += p.size();
      total += p.size();
    }
    return total;
  }

  Status sync() override { return {}; }

  Status truncate(std::uint64_t size) override {
    std::lock_guard lock(data_->mu);
    data_->bytes.resize(size);
    return {};
  }

  Result<std::uint64_t> size() override {
    std::lock_guard lock(data_->mu);
    return static_cast<std::uint64_t>(data_->bytes.size());
  }

 private:
  std::shared_ptr<MemData> data_;
};

class MemEnv;

class MemLock final : public FileLock {
 public:
  MemLock(MemEnv* env, std::string path) : env_(env), path_(std::move(path)) {}
  ~MemLock() override;

 private:
  MemEnv* env_;
  std::string path_;
};

class MemEnv final : public Env {
 public:
  Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) override {
    std::lock_guard lock(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) {
      if (mode != OpenMode::kCreate) return Status::not_found("open " + path + ": no such file");
      it = files_.emplace(path, std::make_shared<MemData>()).first;
    }
    return std::unique_ptr<File>(new MemFile(it->second));
  }
  Status remove_file(const std::string& path) override {
    std::lock_guard lock(mu_);
    if (files_.erase(path) == 0) return Status::not_found("remove " + path + ": no such file");
    return {};
  }
  Status rename_file(const std::string& from, const std::string& to) override {
    std::lock_guard lock(mu_);
    auto it = files_.find(from);
    if (it == files_.end()) return Status::not_found("rename " + from + ": no such file");
    files_[to] = it->second;
    files_.erase(from);
    return {};
  }
  Status create_dir(const std::string& path) override {
    std::lock_guard lock(mu_);
    dirs_.insert(path);
    return {};
  }
  Status sync_dir(const std::string&) override { return {}; }
  Result<std::vector<std::string>> list_dir(const std::string& path) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> names;
    std::string prefix = path + "/";
    for (const auto& [name, data] : files_) {
      if (name.compare(0, prefix.size(), prefix) == 0 &&
          name.find('/', prefix.size()) == std::string::npos) {
        names.push_back(name.substr(prefix.size()));
      }
    }
    return names;
  }
  bool file_exists(const std::string& path) override {
    std::lock_guard lock(mu_);
    return files_.count(path) != 0 || dirs_.count(path) != 0;
  }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    std::lock_guard lock(mu_);
    if (!locks_.insert(path).second) return Status::busy("database is in use; lock " + path);
    files_.emplace(path, std::make_shared<MemData>());
    return std::unique_ptr<FileLock>(new MemLock(this, path));
  }
  std::int64_t now_ns() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void unlock(const std::string& path) {
    std::lock_guard lock(mu_);
    locks_.erase(path);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<MemData>> files_;
  std::set<std::string> dirs_;
  std::set<std::string> locks_;
};

MemLock::~MemLock() {
  env_->unlock(path_);
}

}  // namespace

std::unique_ptr<Env> new_memory_env() {
  return std::make_unique<MemEnv>();
}

}  // namespace streamdb
