// The in-memory index: which documents exist, where their blocks are, and which paths are
// bound to them. An IndexState is a value (three persistent B+trees); the DB publishes immutable
// versions of it and readers keep whichever version they loaded.
//
//   by_path     path -> document         (prefix listing, lookups)
//   by_suffix   reversed path -> ()      (suffix search: "*.wav" is a prefix of reversed paths)
//   by_guid     GUID -> document         (paths_of, remove_guid, verify, compaction)
//
// A Doc is immutable; binding a path creates a new Doc value listing the new path set and
// repoints every path of the document at it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "persistent_map.h"
#include "streamdb/db.h"

namespace streamdb::internal {

// Where one stored block lives: segment, offset of its record header, payload length.
struct BlockRef {
  std::uint32_t segment = 0;
  std::uint32_t stored_len = 0;
  std::uint64_t offset = 0;
};

// A document's block references, in order. Almost every document fits one block (the block
// size is 1 MiB by default), so the first reference is kept inline: a get finds it in the
// Doc's own cache lines instead of two allocations further (a vector and its array).
class BlockList {
 public:
  std::size_t size() const { return size_; }
  BlockRef& operator[](std::size_t i) { return i == 0 ? first_ : rest_[i - 1]; }
  const BlockRef& operator[](std::size_t i) const { return i == 0 ? first_ : rest_[i - 1]; }
  void resize(std::size_t n) {
    rest_.resize(n > 0 ? n - 1 : 0);
    size_ = n;
  }
  void push_back(const BlockRef& ref) {
    resize(size_ + 1);
    (*this)[size_ - 1] = ref;
  }

 private:
  std::size_t size_ = 0;
  BlockRef first_;
  std::vector<BlockRef> rest_;
};

// The fields a get needs (size, blocks) come first.
struct Doc {
  std::uint64_t size = 0;
  BlockList blocks;
  Guid guid;
  std::uint64_t checksum = 0;  // XXH3-64 of the content
  std::int64_t mtime_ns = 0;
  std::vector<std::string> paths;  // sorted
};
using DocPtr = std::shared_ptr<const Doc>;

// Resolved operations: what a commit record stores and recovery replays.
struct PutDocOp {
  std::string path;
  std::shared_ptr<Doc> doc;  // paths ignored; the op binds `path`
};
struct BindOp {
  std::string path;
  Guid guid;
};
struct UnbindOp {
  std::string path;
};
using IndexOp = std::variant<PutDocOp, BindOp, UnbindOp>;

struct Unit {};

// A GUID as a map key: its 16 bytes (byte order is the order of Guid's operator<).
inline std::string_view guid_key(const Guid& g) {
  return {reinterpret_cast<const char*>(g.bytes.data()), g.bytes.size()};
}

class IndexState {
 public:
  using PathMap = PersistentMap<DocPtr>;
  using SuffixMap = PersistentMap<Unit>;
  using GuidMap = PersistentMap<DocPtr>;  // keyed by guid_key

  const DocPtr* find_path(std::string_view path) const { return by_path_.find(path); }
  const DocPtr* find_guid(const Guid& guid) const { return by_guid_.find(guid_key(guid)); }

  // Applies a resolved op. Errors (kNotFound) mean the op does not fit this state: a caller bug
  // when committing, a damaged log when replaying.
  Status apply(const IndexOp& op);
  // Binds path (replacing what it named) to a new document, which is stored as is (not copied).
  void put_doc(const std::string& path, const std::shared_ptr<Doc>& doc);
  Status bind(const std::string& path, const Guid& guid);
  Status unbind(const std::string& path);
  // Adds a document with all of its paths (none of them bound yet); for bulk loading.
  void add_doc(const DocPtr& doc);
  // Compaction moved a document's blocks; content and paths are unchanged.
  void relocate(const Guid& guid, const BlockList& blocks);

  const PathMap& by_path() const { return by_path_; }
  const SuffixMap& by_suffix() const { return by_suffix_; }
  const GuidMap& by_guid() const { return by_guid_; }
  std::uint64_t live_bytes() const { return live_bytes_; }

 private:
  // Stores doc under its GUID and repoints all its paths.
  void store(const DocPtr& doc);

  PathMap by_path_;
  SuffixMap by_suffix_;
  GuidMap by_guid_;
  std::uint64_t live_bytes_ = 0;
};

std::string reversed(std::string_view path);

// Fixed-width encoding of ops (commit records and checkpoints): the size is known before the
// block positions are, so the log can reserve space first.
std::size_t encoded_size(const IndexOp& op);
void encode_op(const IndexOp& op, std::string* out);
// Appends decoded ops; false when the bytes are not a well-formed op list.
bool decode_ops(std::string_view in, std::uint32_t count, std::vector<IndexOp>* out);

// Checks the path rules of db.h; InvalidArgument naming the path otherwise.
Status check_path(std::string_view path);

}  // namespace streamdb::internal
