// Raw-file baseline (f): what the disk gives with no database at all. Documents are appended
// to one data file with pwrite and made durable with one fdatasync per commit; reads are pread
// into the caller's buffer. Streamed documents get a file each (pwrite per chunk, then
// fdatasync of the file and fsync of the directory that names it). The index lives only in
// memory, so this is a bound, not a store: it cannot list (workload (c) is skipped) and would
// lose its index on a crash.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>

#include "store.h"

namespace streamdb_bench {
namespace {

Status write_all(int fd, std::string_view data, std::uint64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::from_errno("raw pwrite", errno);
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

Status read_all(int fd, std::span<char> out, std::uint64_t offset) {
  while (!out.empty()) {
    ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::from_errno("raw pread", errno);
    if (n == 0) return Status::corruption("raw pread: file shorter than its index says");
    out = out.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<FileDescriptor> open_file(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return Status::from_errno("raw open " + path, errno);
  return FileDescriptor(fd);
}

class RawStreamWriter final : public StreamWriter {
 public:
  RawStreamWriter(FileDescriptor file, int dir_fd, std::uint64_t size)
      : file_(std::move(file)), dir_fd_(dir_fd), size_(size) {}

  Status append(std::string_view chunk) override {
    ARCHIBALD_RETURN_IF_ERROR(write_all(file_.get(), chunk, written_));
    written_ += chunk.size();
    return {};
  }

  Status commit() override {
    if (written_ != size_) return Status::invalid_argument("raw writer: size mismatch");
    if (::fdatasync(file_.get()) != 0) return Status::from_errno("raw fdatasync", errno);
    if (::fsync(dir_fd_) != 0) return Status::from_errno("raw fsync directory", errno);
    return {};
  }

 private:
  FileDescriptor file_;
  int dir_fd_;
  std::uint64_t size_;
  std::uint64_t written_ = 0;
};

class RawStreamReader final : public StreamReader {
 public:
  RawStreamReader(FileDescriptor file, std::uint64_t size) : file_(std::move(file)), size_(size) {}

  Result<std::size_t> read(std::span<char> out) override {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - offset_));
    ARCHIBALD_RETURN_IF_ERROR(read_all(file_.get(), out.first(n), offset_));
    offset_ += n;
    return n;
  }

 private:
  FileDescriptor file_;
  std::uint64_t size_;
  std::uint64_t offset_ = 0;
};

class RawFileStore final : public Store {
 public:
  RawFileStore(std::string dir, FileDescriptor dir_fd, FileDescriptor data)
      : dir_(std::move(dir)), dir_fd_(std::move(dir_fd)), data_(std::move(data)) {}

  Status put_batch(std::span<const Document> docs) override {
    for (const Document& doc : docs) {
      ARCHIBALD_RETURN_IF_ERROR(write_all(data_.get(), doc.data, end_));
      index_[std::string(doc.path)] = Extent{end_, doc.data.size()};
      end_ += doc.data.size();
    }
    if (::fdatasync(data_.get()) != 0) return Status::from_errno("raw fdatasync", errno);
    return {};
  }

  Status get(std::string_view path, std::string* out) override {
    auto it = index_.find(path);
    if (it == index_.end()) return Status::not_found(std::string(path));
    out->resize(it->second.size);
    return read_all(data_.get(), std::span<char>(out->data(), out->size()), it->second.offset);
  }

  Status list(std::string_view, ListMode, const ListVisitor&) override {
    return Status::not_supported("the raw-file baseline has no index to list");
  }

  Result<std::unique_ptr<StreamWriter>> new_writer(std::string_view path,
                                                   std::uint64_t size) override {
    std::string file = dir_ + "/stream" + std::to_string(streams_.size());
    auto fd = open_file(file, O_WRONLY | O_CREAT | O_TRUNC);
    if (!fd.ok()) return fd.status();
    streams_[std::string(path)] = Stream{file, size};
    return std::unique_ptr<StreamWriter>(
        std::make_unique<RawStreamWriter>(std::move(fd).value(), dir_fd_.get(), size));
  }

  Result<std::unique_ptr<StreamReader>> new_reader(std::string_view path) override {
    auto it = streams_.find(path);
    if (it == streams_.end()) return Status::not_found(std::string(path));
    auto fd = open_file(it->second.file, O_RDONLY);
    if (!fd.ok()) return fd.status();
    return std::unique_ptr<StreamReader>(
        std::make_unique<RawStreamReader>(std::move(fd).value(), it->second.size));
  }

 private:
  struct Extent {
    std::uint64_t offset;
    std::uint64_t size;
  };
  struct Stream {
    std::string file;
    std::uint64_t size;
  };

  std::string dir_;
  FileDescriptor dir_fd_;
  FileDescriptor data_;
  std::uint64_t end_ = 0;
  std::map<std::string, Extent, std::less<>> index_;
  std::map<std::string, Stream, std::less<>> streams_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_raw_file_store(const std::string& dir) {
  auto dir_fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!dir_fd.ok()) return dir_fd.status();
  auto data = open_file(dir + "/data", O_RDWR | O_CREAT | O_TRUNC);
  if (!data.ok()) return data.status();
  if (::fsync(dir_fd->get()) != 0) return Status::from_errno("raw fsync directory", errno);
  return std::unique_ptr<Store>(
      std::make_unique<RawFileStore>(dir, std::move(dir_fd).value(), std::move(data).value()));
}

}  // namespace streamdb_bench
