// Env::posix(): the real file system through pread/pwritev/fdatasync and flock.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "streamdb/env.h"

namespace streamdb {
namespace {

constexpr std::size_t kMaxIov = IOV_MAX;

class PosixMapping final : public FileMapping {
 public:
  PosixMapping(void* addr, std::uint64_t size) : addr_(addr), size_(size) {}
  ~PosixMapping() override { ::munmap(addr_, size_); }
  const std::byte* data() const override { return static_cast<const std::byte*>(addr_); }
  std::uint64_t size() const override { return size_; }

 private:
  void* addr_;
  std::uint64_t size_;
};

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  Result<std::size_t> read_at(std::uint64_t offset,
                              std::span<const std::span<std::byte>> parts) override {
    std::size_t total = 0;
    std::size_t part = 0;
    std::size_t part_done = 0;
    std::vector<iovec> iov;
    while (part < parts.size()) {
      iov.clear();
      for (std::size_t i = part; i < parts.size() && iov.size() < kMaxIov; ++i) {
        std::size_t skip = i == part ? part_done : 0;
        if (parts[i].size() == skip) continue;
        iov.push_back({parts[i].data() + skip, parts[i].size() - skip});
      }
      if (iov.empty()) break;
      ssize_t n = ::preadv(fd_, iov.data(), static_cast<int>(iov.size()),
                           static_cast<off_t>(offset + total));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::from_errno("read " + path_, errno);
      }
      if (n == 0) break;  // end of file
      total += static_cast<std::size_t>(n);
      std::size_t left = static_cast<std::size_t>(n);
      while (part < parts.size() && left >= parts[part].size() - part_done) {
        left -= parts[part].size() - part_done;
        ++part;
        part_done = 0;
      }
      part_done += left;
    }
    return total;
  }

  Result<std::size_t> write_at(std::uint64_t offset,
                               std::span<const std::span<const std::byte>> parts) override {
    std::vector<iovec> iov;
    iov.reserve(std::min(parts.size(), kMaxIov));
    for (const auto& p : parts) {
      if (iov.size() == kMaxIov) break;
      if (p.empty()) continue;
      iov.push_back({const_cast<std::byte*>(p.data()), p.size()});
    }
    if (iov.empty()) return std::size_t{0};
    while (true) {
      ssize_t n =
          ::pwritev(fd_, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(offset));
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return Status::from_errno("write " + path_, errno);
    }
  }

  Status sync() override {
    if (::fdatasync(fd_) != 0) return Status::from_errno("fdatasync " + path_, errno);
    return {};
  }

  void start_writeback(std::uint64_t offset, std::uint64_t length) override {
    // Errors of the writeback itself are reported by the next fdatasync.
    (void)::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
                            SYNC_FILE_RANGE_WRITE);
  }

  Status truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return Status::from_errno("truncate " + path_, errno);
    }
    return {};
  }

  Result<std::uint64_t> size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return Status::from_errno("stat " + path_, errno);
    return static_cast<std::uint64_t>(st.st_size);
  }

  std::unique_ptr<FileMapping> map_read_only(std::uint64_t length) override {
    if (length == 0) return nullptr;
    void* addr = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd_, 0);
    if (addr == MAP_FAILED) return nullptr;  // callers fall back to read_at
    return std::make_unique<PosixMapping>(addr, length);
  }

 private:
  int fd_;
  std::string path_;
};

class PosixLock final : public FileLock {
 public:
  explicit PosixLock(int fd) : fd_(fd) {}
  ~PosixLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) override {
    int flags = O_CLOEXEC;
    switch (mode) {
      case OpenMode::kRead:
        flags |= O_RDONLY;
        break;
      case OpenMode::kReadWrite:
        flags |= O_RDWR;
        break;
      case OpenMode::kCreate:
        flags |= O_RDWR | O_CREAT;
        break;
    }
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return Status::from_errno("open " + path, errno);
    return std::unique_ptr<File>(new PosixFile(fd, path));
  }

  Status remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return Status::from_errno("remove " + path, errno);
    return {};
  }

  Status rename_file(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status::from_errno("rename " + from + " to " + to, errno);
    }
    return {};
  }

  Status create_dir(const std::string& path) override {
    if (path.empty()) return Status::invalid_argument("empty directory name");
    for (std::size_t i = 1; i <= path.size(); ++i) {
      if (i != path.size() && path[i] != '/') continue;
      std::string prefix = path.substr(0, i);
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
        return Status::from_errno("create directory " + prefix, errno);
      }
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Status::from_errno("stat " + path, errno);
    if (!S_ISDIR(st.st_mode)) return Status::invalid_argument(path + " is not a directory");
    return {};
  }

  Status sync_dir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::from_errno("open directory " + path, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Status::from_errno("fsync directory " + path, err);
    return {};
  }

  Result<std::vector<std::string>> list_dir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return Status::from_errno("list " + path, errno);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    return names;
  }

  bool file_exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::from_errno("open " + path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      char buf[32] = {};
      ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      ::close(fd);
      if (err == EWOULDBLOCK) {
        std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
          holder.pop_back();
        }
        return Status::busy("database is in use by another writer" +
                            (holder.empty() ? std::string() : " (pid " + holder + ")") + "; lock " +
                            path);
      }
      return Status::from_errno("lock " + path, err);
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] ssize_t w = ::pwrite(fd, pid.data(), pid.size(), 0);
    }
    return std::unique_ptr<FileLock>(new PosixLock(fd));
  }

  std::int64_t now_ns() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

Env* Env::posix() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

Status write_fully(File& file, std::uint64_t offset,
                   std::span<const std::span<const std::byte>> parts) {
  std::vector<std::span<const std::byte>> rest(parts.begin(), parts.end());
  std::size_t first = 0;
  while (first < rest.size()) {
    Result<std::size_t> n = file.write_at(offset, std::span(rest).subspan(first));
    if (!n.ok()) return n.status();
    std::size_t left = *n;
    offset += left;
    while (first < rest.size() && left >= rest[first].size()) {
      left -= rest[first].size();
      ++first;
    }
    if (first < rest.size()) rest[first] = rest[first].subspan(left);
    if (*n == 0 && first < rest.size() && !rest[first].empty()) {
      return Status::io_error("write made no progress");
    }
  }
  return {};
}

}  // namespace streamdb
