// DB::Impl reads: every read loads the current (or a snapshot's) index version, looks up, and
// preads the blocks, checking each before returning a byte.
#include <algorithm>

#include "db_impl.h"

namespace streamdb {

using internal::Doc;
using internal::Version;

namespace {

DocumentInfo info_of(const std::string& path, const Doc& doc) {
  DocumentInfo info;
  info.path = path;
  info.guid = doc.guid;
  info.size = doc.size;
  info.checksum = doc.checksum;
  info.mtime_ns = doc.mtime_ns;
  info.path_count = static_cast<std::uint32_t>(doc.paths.size());
  return info;
}

}  // namespace

// --- reads ------------------------------------------------------------------------------------

Status DB::Impl::get(const ReadOptions& ro, std::string_view path, std::string* value) {
  std::shared_ptr<const Version> v = version(ro);
  const internal::DocPtr* d = v->state.find_path(path);
  if (d == nullptr) return Status::not_found(std::string(path) + ": no such path");
  const Doc& doc = **d;
  value->resize(doc.size);
  std::string scratch;
  for (std::uint32_t i = 0; i < doc.blocks.size(); ++i) {
    std::uint64_t start = static_cast<std::uint64_t>(i) * config_.block_size;
    std::span<std::byte> out(reinterpret_cast<std::byte*>(value->data()) + start,
                             internal::block_raw_len(doc, i, config_.block_size));
    Status s = internal::read_block(codec_, *v->segments, doc, i, path, out, &scratch);
    if (!s.ok()) {
      value->clear();
      return s;
    }
  }
  return {};
}

Result<std::size_t> DB::Impl::read_range(const ReadOptions& ro, std::string_view path,
                                         std::uint64_t offset, std::span<std::byte> out) {
  std::shared_ptr<const Version> v = version(ro);
  const internal::DocPtr* d = v->state.find_path(path);
  if (d == nullptr) return Status::not_found(std::string(path) + ": no such path");
  return internal::read_doc_range(codec_, config_.block_size, *v->segments, **d, path, offset, out);
}

Result<DocumentInfo> DB::Impl::stat(const ReadOptions& ro, std::string_view path) {
  std::shared_ptr<const Version> v = version(ro);
  std::string key(path);
  const internal::DocPtr* d = v->state.find_path(key);
  if (d == nullptr) return Status::not_found(key + ": no such path");
  return info_of(key, **d);
}

Result<std::vector<std::string>> DB::Impl::paths_of(const ReadOptions& ro, const Guid& guid) {
  std::shared_ptr<const Version> v = version(ro);
  const internal::DocPtr* d = v->state.find_guid(guid);
  if (d == nullptr) return Status::not_found("no document " + guid.to_string());
  return (*d)->paths;
}

Status DB::Impl::list(const ReadOptions& ro, std::string_view prefix,
                      const std::function<bool(const DocumentInfo&)>& visit) {
  std::shared_ptr<const Version> v = version(ro);
  DocumentInfo info;
  v->state.by_path().visit_from(prefix, [&](std::string_view path, const internal::DocPtr& doc) {
    if (!path.starts_with(prefix)) return false;
    info.path.assign(path);
    info.guid = doc->guid;
    info.size = doc->size;
    info.checksum = doc->checksum;
    info.mtime_ns = doc->mtime_ns;
    info.path_count = static_cast<std::uint32_t>(doc->paths.size());
    return visit(info);
  });
  return {};
}

Status DB::Impl::list_paths(const ReadOptions& ro, std::string_view prefix,
                            const std::function<bool(std::string_view)>& visit) {
  std::shared_ptr<const Version> v = version(ro);
  v->state.by_path().visit_keys_from(
      prefix, [&](std::string_view path) { return path.starts_with(prefix) && visit(path); });
  return {};
}

Status DB::Impl::find_suffix(const ReadOptions& ro, std::string_view suffix,
                             const std::function<bool(const DocumentInfo&)>& visit) {
  std::shared_ptr<const Version> v = version(ro);
  std::string rev = internal::reversed(suffix);
  std::vector<std::string> paths;
  v->state.by_suffix().visit_from(rev, [&](std::string_view r, const internal::Unit&) {
    if (!r.starts_with(rev)) return false;
    paths.push_back(internal::reversed(r));
    return true;
  });
  std::sort(paths.begin(), paths.end());
  for (const std::string& p : paths) {
    const internal::DocPtr* d = v->state.find_path(p);
    if (d != nullptr && !visit(info_of(p, **d))) break;
  }
  return {};
}

void DB::Impl::get_async(std::string_view path, std::function<void(Result<std::string>)> callback) {
  pool_->post([this, p = std::string(path), cb = std::move(callback)] {
    std::string value;
    Status s = get(ReadOptions{}, p, &value);
    if (s.ok()) {
      cb(std::move(value));
    } else {
      cb(std::move(s));
    }
  });
}

const Snapshot* DB::Impl::get_snapshot() {
  return new Snapshot(current_.load());
}

void DB::Impl::release_snapshot(const Snapshot* snapshot) {
  delete snapshot;
}

void DB::Impl::register_writer(std::uint32_t* segment) {
  std::lock_guard lock(writers_mu_);
  *segment = log_->active_segment();
  writer_segments_.insert(*segment);
}

void DB::Impl::unregister_writer(std::uint32_t segment) {
  std::lock_guard lock(writers_mu_);
  auto it = writer_segments_.find(segment);
  if (it != writer_segments_.end()) writer_segments_.erase(it);
}

}  // namespace streamdb
