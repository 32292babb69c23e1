#include "index.h"

#include <algorithm>

#include "coding.h"

namespace streamdb::internal {

std::string reversed(std::string_view path) {
  return std::string(path.rbegin(), path.rend());
}

Status IndexState::apply(const IndexOp& op) {
  if (const auto* put = std::get_if<PutDocOp>(&op)) {
    put_doc(put->path, put->doc);
    return {};
  }
  if (const auto* b = std::get_if<BindOp>(&op)) return bind(b->path, b->guid);
  return unbind(std::get<UnbindOp>(op).path);
}

void IndexState::store(const DocPtr& doc) {
  by_guid_.set(guid_key(doc->guid), doc);
  for (const std::string& p : doc->paths)
    by_path_.set(p, doc);
}

void IndexState::put_doc(const std::string& path, const std::shared_ptr<Doc>& doc) {
  if (by_path_.find(path) != nullptr) (void)unbind(path);
  // The document is new (a commit's prepared document, or one recovery decoded) and stored as
  // is: block positions a commit fills in after resolving its batch are seen through the index.
  doc->paths = {path};
  live_bytes_ += doc->size;
  by_suffix_.set(reversed(path), Unit{});
  store(doc);
}

Status IndexState::bind(const std::string& path, const Guid& guid) {
  const DocPtr* found = find_guid(guid);
  if (found == nullptr) return Status::not_found("no document " + guid.to_string());
  DocPtr doc = *found;
  if (const DocPtr* current = by_path_.find(path)) {
    if ((*current)->guid == guid) return {};
    ARCHIBALD_RETURN_IF_ERROR(unbind(path));
    doc = *find_guid(guid);  // unbinding cannot remove it: it has another path
  }
  auto d = std::make_shared<Doc>(*doc);
  d->paths.insert(std::lower_bound(d->paths.begin(), d->paths.end(), path), path);
  by_suffix_.set(reversed(path), Unit{});
  store(d);
  return {};
}

Status IndexState::unbind(const std::string& path) {
  const DocPtr* found = by_path_.find(path);
  if (found == nullptr) return Status::not_found(path + ": no such path");
  DocPtr doc = *found;
  by_path_.erase(path);
  by_suffix_.erase(reversed(path));
  if (doc->paths.size() <= 1) {
    by_guid_.erase(guid_key(doc->guid));
    live_bytes_ -= doc->size;
    return {};
  }
  auto d = std::make_shared<Doc>(*doc);
  d->paths.erase(std::find(d->paths.begin(), d->paths.end(), path));
  store(d);
  return {};
}

void IndexState::add_doc(const DocPtr& doc) {
  live_bytes_ += doc->size;
  for (const std::string& p : doc->paths)
    by_suffix_.set(reversed(p), Unit{});
  store(doc);
}

void IndexState::relocate(const Guid& guid, const BlockList& blocks) {
  const DocPtr* found = find_guid(guid);
  if (found == nullptr) return;
  auto d = std::make_shared<Doc>(**found);
  d->blocks = blocks;
  store(d);
}

// --- op encoding ------------------------------------------------------------------------------

namespace {
enum OpKind : std::uint8_t { kOpPutDoc = 1, kOpBind = 2, kOpUnbind = 3 };
constexpr std::size_t kBlockRefSize = 16;
constexpr std::size_t kMaxPathLen = 4096;
}  // namespace

std::size_t encoded_size(const IndexOp& op) {
  if (const auto* put = std::get_if<PutDocOp>(&op)) {
    return 1 + 4 + put->path.size() + 16 + 8 + 8 + 8 + 4 + kBlockRefSize * put->doc->blocks.size();
  }
  if (const auto* b = std::get_if<BindOp>(&op)) return 1 + 4 + b->path.size() + 16;
  return 1 + 4 + std::get<UnbindOp>(op).path.size();
}

void encode_op(const IndexOp& op, std::string* out) {
  if (const auto* put = std::get_if<PutDocOp>(&op)) {
    const Doc& d = *put->doc;
    put_u8(out, kOpPutDoc);
    put_string(out, put->path);
    put_bytes(out, d.guid.bytes.data(), d.guid.bytes.size());
    put_u64(out, d.size);
    put_u64(out, d.checksum);
    put_u64(out, static_cast<std::uint64_t>(d.mtime_ns));
    put_u32(out, static_cast<std::uint32_t>(d.blocks.size()));
    for (std::size_t i = 0; i < d.blocks.size(); ++i) {
      const BlockRef& r = d.blocks[i];
      put_u32(out, r.segment);
      put_u32(out, r.stored_len);
      put_u64(out, r.offset);
    }
  } else if (const auto* b = std::get_if<BindOp>(&op)) {
    put_u8(out, kOpBind);
    put_string(out, b->path);
    put_bytes(out, b->guid.bytes.data(), b->guid.bytes.size());
  } else {
    put_u8(out, kOpUnbind);
    put_string(out, std::get<UnbindOp>(op).path);
  }
}

bool decode_ops(std::string_view in, std::uint32_t count, std::vector<IndexOp>* out) {
  Decoder d(in);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint8_t kind = 0;
    std::string path;
    // A path that the API would refuse is damage, not data: it could name a file outside the
    // directory an export writes to.
    if (!d.u8(&kind) || !d.string(&path, kMaxPathLen) || !check_path(path).ok()) return false;
    if (kind == kOpPutDoc) {
      auto doc = std::make_shared<Doc>();
      std::uint32_t nblocks = 0;
      std::uint64_t mtime = 0;
      if (!d.raw(doc->guid.bytes.data(), 16) || !d.u64(&doc->size) || !d.u64(&doc->checksum) ||
          !d.u64(&mtime) || !d.u32(&nblocks) || d.remaining() / kBlockRefSize < nblocks) {
        return false;
      }
      doc->mtime_ns = static_cast<std::int64_t>(mtime);
      doc->blocks.resize(nblocks);
      for (std::uint32_t b = 0; b < nblocks; ++b) {
        BlockRef& r = doc->blocks[b];
        if (!d.u32(&r.segment) || !d.u32(&r.stored_len) || !d.u64(&r.offset)) return false;
      }
      out->push_back(PutDocOp{std::move(path), std::move(doc)});
    } else if (kind == kOpBind) {
      Guid g;
      if (!d.raw(g.bytes.data(), 16)) return false;
      out->push_back(BindOp{std::move(path), g});
    } else if (kind == kOpUnbind) {
      out->push_back(UnbindOp{std::move(path)});
    } else {
      return false;
    }
  }
  return d.remaining() == 0;
}

Status check_path(std::string_view path) {
  auto bad = [&](const char* why) {
    return Status::invalid_argument("invalid path '" + std::string(path.substr(0, 200)) +
                                    "': " + why);
  };
  if (path.empty() || path[0] != '/') return bad("must start with '/'");
  if (path.size() > kMaxPathLen) return bad("longer than 4096 bytes");
  if (path.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  std::size_t start = 1;
  while (true) {
    std::size_t end = path.find('/', start);
    std::string_view part = path.substr(start, end == std::string_view::npos ? end : end - start);
    if (part.empty()) return bad("empty component (double or trailing '/')");
    if (part == "." || part == "..") return bad("'.' and '..' are not allowed");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {};
}

}  // namespace streamdb::internal
