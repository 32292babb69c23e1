#include "audio_setup/system_root.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

namespace audio_setup {
namespace {

using archibald::Result;
using archibald::Status;

Status errno_status(const std::string& what, int err) {
  if (err == ENOENT || err == ENOTDIR) return Status::not_found(what + ": no such file");
  if (err == EACCES || err == EPERM) return Status::permission_denied(what + ": permission denied");
  return Status::from_errno(what, err);
}

bool is_kernel_file(const std::string& path) {
  return path.rfind("/proc/", 0) == 0 || path.rfind("/sys/", 0) == 0 || path.rfind("/dev/", 0) == 0;
}

}  // namespace

std::string normalize_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    std::string part = path.substr(pos, next - pos);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = next + 1;
  }
  std::string out;
  for (const std::string& p : parts)
    out += "/" + p;
  return out.empty() ? "/" : out;
}

SystemRoot::SystemRoot(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/')
    root_.pop_back();
  if (root_.empty()) root_ = "/";
  live_ = root_ == "/";
}

Status SystemRoot::validate() const {
  struct stat st {};
  if (::stat(root_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::invalid_argument("--root " + root_ + ": not a directory");
  }
  return {};
}

std::string SystemRoot::host_path(const std::string& path) const {
  std::string norm = normalize_path(path);
  return live_ ? norm : root_ + norm;
}

Result<std::string> SystemRoot::read(const std::string& path) const {
  std::string host = host_path(resolve(path));
  int fd = ::open(host.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(path, errno);
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return errno_status(path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<std::string> SystemRoot::read_line(const std::string& path) const {
  Result<std::string> all = read(path);
  if (!all.ok()) return all;
  std::string line = all->substr(0, all->find('\n'));
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!line.empty() && blank(line.back()))
    line.pop_back();
  std::size_t start = 0;
  while (start < line.size() && blank(line[start]))
    ++start;
  return line.substr(start);
}

std::optional<std::string> SystemRoot::try_read(const std::string& path) const {
  Result<std::string> r = read(path);
  if (!r.ok()) return std::nullopt;
  return std::move(r).value();
}

bool SystemRoot::exists(const std::string& path) const {
  struct stat st {};
  return ::stat(host_path(resolve(path)).c_str(), &st) == 0;
}

bool SystemRoot::is_directory(const std::string& path) const {
  struct stat st {};
  return ::stat(host_path(resolve(path)).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> SystemRoot::list(const std::string& path) const {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(host_path(resolve(path)), ec);
  if (ec) return names;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string SystemRoot::resolve(const std::string& path) const {
  // Walk the path component by component, replacing each link by its target, so that links in
  // the middle (/sys/class/sound/card0/device/...) resolve inside the root. Bounded against
  // link loops.
  std::string done = "/";
  std::string rest = normalize_path(path);
  int hops = 0;
  std::size_t pos = 1;
  while (pos < rest.size()) {
    std::size_t next = rest.find('/', pos);
    if (next == std::string::npos) next = rest.size();
    std::string candidate = normalize_path(done + "/" + rest.substr(pos, next - pos));
    std::string host = live_ ? candidate : root_ + candidate;
    char target[4096];
    ssize_t n = ::readlink(host.c_str(), target, sizeof target - 1);
    if (n > 0 && ++hops < 40) {
      std::string link(target, static_cast<std::size_t>(n));
      std::string base = link[0] == '/' ? link : done + "/" + link;
      rest = normalize_path(base + rest.substr(next));
      done = "/";
      pos = 1;
      continue;
    }
    done = candidate;
    pos = next + 1;
  }
  return done;
}

Status SystemRoot::write(const std::string& path, const std::string& contents,
                         std::vector<std::string>* created_dirs) const {
  // Links resolve inside the root, as for reads: a link in the path, or the file itself being a
  // link, leads to its target in the root (never the host's file of that name), and the link
  // itself survives apply and rollback.
  std::string norm = resolve(path);
  // Create missing parents, outermost first.
  std::vector<std::string> missing;
  for (std::string dir = norm.substr(0, norm.rfind('/')); !dir.empty() && !is_directory(dir);
       dir = dir.substr(0, dir.rfind('/'))) {
    missing.push_back(dir);
  }
  std::reverse(missing.begin(), missing.end());
  for (const std::string& dir : missing) {
    if (::mkdir(host_path(dir).c_str(), 0755) != 0 && errno != EEXIST) {
      return errno_status("mkdir " + dir, errno);
    }
    if (created_dirs != nullptr) created_dirs->push_back(dir);
  }
  std::string host = host_path(norm);
  auto write_all = [](int fd, const std::string& data) -> int {
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(fd, data.data() + off, data.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      off += static_cast<std::size_t>(n);
    }
    return 0;
  };
  if (live_ && is_kernel_file(norm)) {
    int fd = ::open(host.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno_status("write " + path, errno);
    int err = write_all(fd, contents);
    ::close(fd);
    return err == 0 ? Status{} : errno_status("write " + path, err);
  }
  // A replaced file keeps its mode and owner, so that rollback restores it exactly.
  struct stat old {};
  bool replacing = ::lstat(host.c_str(), &old) == 0 && S_ISREG(old.st_mode);
  std::string tmp = host + ".audio-setup-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status("write " + path, errno);
  int err = 0;
  if (replacing) {
    struct stat fresh {};
    if (::fstat(fd, &fresh) != 0) {
      err = errno;
    } else if ((fresh.st_uid != old.st_uid || fresh.st_gid != old.st_gid) &&
               ::fchown(fd, old.st_uid, old.st_gid) != 0) {
      err = errno;
    } else if (::fchmod(fd, old.st_mode & 07777) != 0) {
      err = errno;
    }
  }
  if (err == 0) err = write_all(fd, contents);
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err == 0 && ::rename(tmp.c_str(), host.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return errno_status("write " + path, err);
  }
  return {};
}

std::string SystemRoot::resolve_parent(const std::string& path) const {
  std::string norm = normalize_path(path);
  std::size_t slash = norm.rfind('/');
  if (slash == 0) return norm;
  return normalize_path(resolve(norm.substr(0, slash)) + norm.substr(slash));
}

Status SystemRoot::remove(const std::string& path) const {
  if (::unlink(host_path(resolve_parent(path)).c_str()) != 0 && errno != ENOENT) {
    return errno_status("remove " + path, errno);
  }
  return {};
}

Status SystemRoot::remove_empty_directory(const std::string& path) const {
  // A directory someone else has put files into since is left alone.
  if (::rmdir(host_path(resolve_parent(path)).c_str()) != 0 && errno != ENOENT &&
      errno != ENOTEMPTY && errno != EEXIST) {
    return errno_status("rmdir " + path, errno);
  }
  return {};
}

}  // namespace audio_setup
