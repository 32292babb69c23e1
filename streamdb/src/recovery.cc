#include "recovery.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

#include "coding.h"
#include "hash.h"

namespace streamdb::internal {
namespace {

// Resynchronising after damage searches big windows; walking record headers reads small ones,
// so opening reads little more than the headers of large blocks.
constexpr std::size_t kWindow = 1u << 20;
constexpr std::size_t kHeaderWindow = 8192;

struct Damage {
  std::uint64_t pos;  // log position where it starts
  std::string file;
  std::uint64_t offset;
  std::string what;

  std::string note() const { return file + " offset " + std::to_string(offset) + ": " + what; }
};

struct CommitRec {
  std::uint64_t pos;
  std::uint64_t seq;
  std::uint64_t watermark;
  std::vector<IndexOp> ops;
};

struct ChunkRec {
  std::uint64_t pos;
  std::uint64_t id;
  std::vector<IndexOp> ops;
};

struct EndRec {
  std::uint64_t pos;
  std::uint64_t id;
  std::uint32_t chunks;
  std::uint64_t scan_from;  // every commit after this checkpoint lies at or above it; 0: unknown
};

// Buffered reads over one segment file.
class Scanner {
 public:
  Scanner(File& file, std::uint64_t size) : file_(file), size_(size) {}

  // Points at n bytes at off (n <= kWindow), or nullptr when they are past the end.
  Result<const std::byte*> view(std::uint64_t off, std::size_t n) {
    if (off + n > size_) return static_cast<const std::byte*>(nullptr);
    if (off < start_ || off + n > start_ + buf_.size()) {
      buf_.resize(static_cast<std::size_t>(
          std::min<std::uint64_t>(std::max(n, kHeaderWindow), size_ - off)));
      std::span<std::byte> part(buf_);
      Result<std::size_t> got = file_.read_at(off, std::span(&part, 1));
      if (!got.ok()) return got.status();
      buf_.resize(*got);
      start_ = off;
      if (off + n > start_ + buf_.size()) return static_cast<const std::byte*>(nullptr);
    }
    return buf_.data() + (off - start_);
  }

  Status read(std::uint64_t off, std::size_t n, std::string* out) {
    if (off >= start_ && off + n <= start_ + buf_.size()) {
      // Already in the window the record's header was read with (most commit records are).
      out->assign(reinterpret_cast<const char*>(buf_.data() + (off - start_)), n);
      return {};
    }
    out->resize(n);
    std::span<std::byte> part(reinterpret_cast<std::byte*>(out->data()), n);
    Result<std::size_t> got = file_.read_at(off, std::span(&part, 1));
    if (!got.ok()) return got.status();
    if (*got != n) return Status::corruption("short read");
    return {};
  }

  // True when every byte from `from` to the end of the file is zero.
  Result<bool> zero_to_end(std::uint64_t from) {
    for (std::uint64_t off = from; off < size_;) {
      std::size_t span = static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, size_ - off));
      Result<const std::byte*> p = view(off, span);
      if (!p.ok()) return p.status();
      const std::byte* bytes = *p;
      if (bytes == nullptr) return false;
      // All zero: the first byte is, and every byte equals the one before it.
      if (bytes[0] != std::byte{0} || std::memcmp(bytes, bytes + 1, span - 1) != 0) return false;
      off += span;
    }
    return true;
  }

  // The next offset > from holding a valid record header whose record fits in the file.
  Result<std::uint64_t> resync(std::uint64_t from) {
    for (std::uint64_t off = from; off + kRecordHeaderSize <= size_;) {
      std::size_t span = static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, size_ - off));
      Result<const std::byte*> p = view(off, span);
      if (!p.ok()) return p.status();
      const std::byte* bytes = *p;
      std::size_t candidates = span + 1 - kRecordHeaderSize;  // span >= kRecordHeaderSize here
      for (std::size_t i = 0; i < candidates; ++i) {
        const void* s = std::memchr(bytes + i, 'S', candidates - i);
        if (s == nullptr) break;
        i = static_cast<std::size_t>(static_cast<const std::byte*>(s) - bytes);
        if (load_u32(bytes + i) != kRecordMagic) continue;
        RecordHeader h;
        if (decode_header(bytes + i, &h) && off + i + kRecordHeaderSize + h.payload_len <= size_) {
          return off + i;
        }
      }
      if (span <= kRecordHeaderSize) break;
      off += span - kRecordHeaderSize + 1;
    }
    return size_;
  }

  std::uint64_t size() const { return size_; }

 private:
  File& file_;
  std::uint64_t size_;
  std::vector<std::byte> buf_;
  std::uint64_t start_ = 0;
};

const char* type_name(RecordType t) {
  switch (t) {
    case RecordType::kSegmentHeader:
      return "segment header";
    case RecordType::kBlock:
      return "block";
    case RecordType::kCommit:
      return "commit";
    case RecordType::kCheckpointChunk:
      return "checkpoint";
    case RecordType::kCheckpointEnd:
      return "checkpoint end";
  }
  return "record";
}

class LogScan {
 public:
  // keep_records: keep what commit and checkpoint records hold (recovery needs it; a walk for
  // damage only checks them).
  LogScan(const Config& config, const RecordCodec& codec, bool keep_records = true)
      : config_(config), codec_(codec), keep_records_(keep_records) {}

  // Walks the records of seg up to its size; past its first record (the segment header) it
  // continues at offset `from` (a record boundary, or the size to skip the rest).
  Status scan_segment(SegmentFile& seg, std::uint64_t from = 0) {
    const std::uint64_t size = seg.size();
    Scanner sc(seg.file(), size);
    std::uint64_t off = 0;
    auto damage = [&](std::uint64_t at, std::string what) {
      damages_.push_back({log_pos(seg.id(), at), seg.path(), at, std::move(what)});
    };
    while (off < size) {
      Result<const std::byte*> p = sc.view(off, kRecordHeaderSize);
      if (!p.ok()) return p.status();
      RecordHeader h;
      if (*p == nullptr || !decode_header(*p, &h)) {
        // The zeros the log writes ahead of small commits (segment_log.cc) end a segment.
        Result<bool> zeros = sc.zero_to_end(off);
        if (!zeros.ok()) return zeros.status();
        if (*zeros) {
          zero_tails_.push_back(log_pos(seg.id(), off));
          break;
        }
        p = sc.view(off, kRecordHeaderSize);  // the check moved the scanner's window
        if (!p.ok()) return p.status();
      }
      if (*p == nullptr) {
        damage(off, "truncated record header");
        break;
      }
      if (!decode_header(*p, &h)) {
        Result<std::uint64_t> next = sc.resync(off + 1);
        if (!next.ok()) return next.status();
        damage(off, "damaged record header");
        off = *next;
        continue;
      }
      std::uint64_t end = off + kRecordHeaderSize + h.payload_len;
      if (end > size) {
        damage(off, std::string(type_name(h.type)) + " record cut off by the end of the file");
        break;
      }
      ++records_;
      if (h.type != RecordType::kBlock) {
        std::string payload;
        ARCHIBALD_RETURN_IF_ERROR(sc.read(off + kRecordHeaderSize, h.payload_len, &payload));
        Status s = parse(seg, off, h, std::move(payload));
        if (!s.ok()) {
          if (s.code() != archibald::Code::kCorruption) return s;
          damage(off, s.message());
        }
      }
      off = std::max(end, from);
    }
    return {};
  }

  Status parse(SegmentFile& seg, std::uint64_t off, const RecordHeader& h, std::string payload) {
    std::string what = std::string(type_name(h.type)) + " record " + std::to_string(h.seq);
    if (xxh3(payload.data(), payload.size()) != h.payload_checksum) {
      return Status::corruption(what + ": checksum mismatch");
    }
    if (h.type == RecordType::kSegmentHeader) {
      Guid id;
      std::uint64_t seg_id = 0;
      Decoder d(payload);
      if (!d.raw(id.bytes.data(), 16) || !d.u64(&seg_id)) {
        return Status::corruption("malformed segment header");
      }
      if (id != config_.db_id) {
        return Status::invalid_argument(seg.path() + " belongs to a different database");
      }
      return {};
    }
    if (!codec_.open_sealed(&payload, metadata_ad(h.type, h.seq))) {
      return Status::corruption(what + ": fails authentication");
    }
    Decoder d(payload);
    std::uint64_t pos = log_pos(seg.id(), off);
    if (h.type == RecordType::kCommit) {
      CommitRec c{pos, h.seq, 0, {}};
      std::uint32_t count = 0;
      if (!d.u64(&c.watermark) || !d.u32(&count) ||
          !decode_ops(std::string_view(payload).substr(12), count, &c.ops)) {
        return Status::corruption(what + ": malformed");
      }
      watermark_ = std::max(watermark_, c.watermark);
      if (keep_records_) commits_.push_back(std::move(c));
    } else if (h.type == RecordType::kCheckpointChunk) {
      ChunkRec c{pos, h.seq, {}};
      std::uint32_t count = 0;
      if (!d.u32(&count) || !decode_ops(std::string_view(payload).substr(4), count, &c.ops)) {
        return Status::corruption(what + ": malformed");
      }
      if (keep_records_) chunks_.push_back(std::move(c));
    } else {
      EndRec e{pos, h.seq, 0, 0};
      if (!d.u32(&e.chunks) || (d.remaining() == 8 && !d.u64(&e.scan_from)) || d.remaining() != 0) {
        return Status::corruption(what + ": malformed");
      }
      if (keep_records_) ends_.push_back(e);
    }
    return {};
  }

  const Config& config_;
  const RecordCodec& codec_;
  const bool keep_records_;
  std::vector<Damage> damages_;
  std::vector<std::uint64_t> zero_tails_;  // where a segment's zero-filled tail starts
  std::vector<CommitRec> commits_;
  std::vector<ChunkRec> chunks_;
  std::vector<EndRec> ends_;
  std::uint64_t watermark_ = 0;
  std::uint64_t records_ = 0;
};

// Checks that a block referenced from the unsynced tail really reached the file intact.
bool block_intact(const SegmentMap& segments, const Doc& doc, std::uint32_t index) {
  std::array<std::byte, kRecordHeaderSize> header{};
  std::string payload;
  return read_stored_block(segments, doc, index, "", &header, &payload, /*use_map=*/false).ok();
}

// The lowest position of a block at or above w referenced by ops that fails its check, or cut.
std::uint64_t first_bad_tail_block(const SegmentMap& segments, const std::vector<IndexOp>& ops,
                                   std::uint64_t w, std::uint64_t cut) {
  for (const IndexOp& op : ops) {
    const auto* put = std::get_if<PutDocOp>(&op);
    if (put == nullptr) continue;
    const BlockList& blocks = put->doc->blocks;
    for (std::uint32_t i = 0; i < blocks.size(); ++i) {
      std::uint64_t p = log_pos(blocks[i].segment, blocks[i].offset);
      if (p < w || p >= cut) continue;
      if (!block_intact(segments, *put->doc, i)) cut = p;
    }
  }
  return cut;
}

// Replays ops into plain hash maps; the persistent index is built once at the end. Same rules
// as IndexState::apply, without the cost of a new index version per op.
class ReplayState {
 public:
  Status apply(const IndexOp& op) {
    if (const auto* put = std::get_if<PutDocOp>(&op)) {
      if (path_doc_.count(put->path) != 0) (void)unbind(put->path);
      Entry& e = docs_[put->doc->guid];
      e.doc = put->doc;
      e.paths = {put->path};
      path_doc_[put->path] = put->doc->guid;
      return {};
    }
    if (const auto* b = std::get_if<BindOp>(&op)) {
      auto it = docs_.find(b->guid);
      if (it == docs_.end()) return Status::not_found("no document " + b->guid.to_string());
      auto bound = path_doc_.find(b->path);
      if (bound != path_doc_.end()) {
        if (bound->second == b->guid) return {};
        ARCHIBALD_RETURN_IF_ERROR(unbind(b->path));
      }
      docs_[b->guid].paths.push_back(b->path);
      path_doc_[b->path] = b->guid;
      return {};
    }
    return unbind(std::get<UnbindOp>(op).path);
  }

  IndexState build() {
    IndexState state;
    for (auto& [guid, e] : docs_) {
      e.doc->paths = std::move(e.paths);
      std::sort(e.doc->paths.begin(), e.doc->paths.end());
      state.add_doc(e.doc);
    }
    return state;
  }

 private:
  struct Entry {
    std::shared_ptr<Doc> doc;
    std::vector<std::string> paths;
  };

  Status unbind(const std::string& path) {
    auto it = path_doc_.find(path);
    if (it == path_doc_.end()) return Status::not_found(path + ": no such path");
    Entry& e = docs_[it->second];
    e.paths.erase(std::find(e.paths.begin(), e.paths.end(), path));
    if (e.paths.empty()) docs_.erase(it->second);
    path_doc_.erase(it);
    return {};
  }

  std::unordered_map<std::string, Guid> path_doc_;
  std::map<Guid, Entry> docs_;
};

}  // namespace

std::uint64_t metadata_ad(RecordType type, std::uint64_t seq) {
  return (static_cast<std::uint64_t>(type) << 56) ^ seq;
}

namespace {

// Recovery with the walk starting at log position scan_from (0: the whole log). With a start,
// the open fails unless it finds a complete checkpoint at least as new as committed.checkpoint.
Result<Recovered> recover_from(Env* env, const std::string& dir, const Config& config,
                               const RecordCodec& codec, const CommittedMark& committed,
                               bool salvage, bool read_only, std::uint64_t scan_from) {
  const std::uint64_t required_seq = committed.seq;
  Recovered out;
  Result<std::vector<std::string>> names = env->list_dir(dir);
  if (!names.ok()) return names.status();
  std::vector<std::uint32_t> ids;
  for (const std::string& n : *names) {
    if (std::uint32_t id = parse_segment_file_name(n)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());

  LogScan scan(config, codec);
  for (std::uint32_t id : ids) {
    std::string path = dir + "/" + segment_file_name(id);
    Result<std::unique_ptr<File>> f =
        env->open_file(path, read_only ? OpenMode::kRead : OpenMode::kReadWrite);
    if (!f.ok()) return f.status();
    Result<std::uint64_t> size = (*f)->size();
    if (!size.ok()) return size.status();
    auto seg = std::make_shared<SegmentFile>(env, path, id, std::move(*f), *size);
    std::uint64_t from = 0;
    if (id < pos_segment(scan_from)) from = *size;
    if (id == pos_segment(scan_from)) from = pos_offset(scan_from);
    ARCHIBALD_RETURN_IF_ERROR(scan.scan_segment(*seg, from));
    out.segments[id] = seg;
  }

  const std::uint64_t w = std::max(scan.watermark_, committed.durable);
  constexpr std::uint64_t kNoCut = ~0ull;
  std::uint64_t cut = kNoCut;
  for (const Damage& d : scan.damages_) {
    if (d.pos >= w) {
      cut = d.pos;
      break;
    }
  }
  // Past the watermark, a zero-filled tail ends the log like a torn record (without a note).
  for (std::uint64_t z : scan.zero_tails_) {
    if (z >= w) {
      cut = std::min(cut, z);
      break;
    }
  }

  // Pick the checkpoint and the commits after it; repeat while tail checks move the cut.
  const EndRec* checkpoint = nullptr;
  std::vector<const CommitRec*> commits;
  std::vector<const ChunkRec*> chunks;
  while (true) {
    checkpoint = nullptr;
    chunks.clear();
    for (const EndRec& e : scan.ends_) {
      if (e.pos >= cut || (checkpoint != nullptr && checkpoint->id >= e.id)) continue;
      std::vector<const ChunkRec*> mine;
      for (const ChunkRec& c : scan.chunks_) {
        if (c.id == e.id && c.pos < e.pos) mine.push_back(&c);
      }
      if (mine.size() == e.chunks) {
        checkpoint = &e;
        chunks = std::move(mine);
      }
    }
    std::uint64_t base = checkpoint != nullptr ? checkpoint->id : 0;
    commits.clear();
    for (const CommitRec& c : scan.commits_) {
      if (c.pos < cut && c.seq > base) commits.push_back(&c);
    }
    std::uint64_t new_cut = cut;
    for (const ChunkRec* c : chunks) {
      new_cut = first_bad_tail_block(out.segments, c->ops, w, new_cut);
    }
    for (const CommitRec* c : commits) {
      if (c->pos >= w) new_cut = first_bad_tail_block(out.segments, c->ops, w, new_cut);
    }
    if (new_cut == cut) break;
    cut = new_cut;
  }
  if (scan_from != 0 && (checkpoint == nullptr || checkpoint->id < committed.checkpoint)) {
    return Status::not_found("the checkpoint COMMITTED names is not where it says");
  }

  auto where = [&](std::uint64_t pos) {
    auto it = out.segments.find(pos_segment(pos));
    std::string file =
        it != out.segments.end() ? it->second->path() : segment_file_name(pos_segment(pos));
    return file + " offset " + std::to_string(pos_offset(pos));
  };
  auto describe_damage = [&](std::uint64_t from, std::uint64_t to) -> std::string {
    for (const Damage& d : scan.damages_) {
      if (d.pos >= from && d.pos < to) {
        return d.note();
      }
    }
    return (from == 0 ? std::string("the log holds no intact commit")
                      : "the log breaks off after " + where(from)) +
           "; a segment file is missing or was truncated";
  };

  std::uint64_t seq = checkpoint != nullptr ? checkpoint->id : 0;
  ReplayState replay;
  // Outside salvage, any inconsistency fails the open; in salvage it becomes a note.
  auto problem = [&](std::string message) -> Status {
    if (!salvage) return Status::corruption(message);
    out.salvaged.push_back(std::move(message));
    return {};
  };
  for (const ChunkRec* c : chunks) {
    for (const IndexOp& op : c->ops) {
      Status s = replay.apply(op);
      if (!s.ok()) {
        ARCHIBALD_RETURN_IF_ERROR(
            problem("checkpoint " + std::to_string(seq) + " is inconsistent: " + s.message()));
      }
    }
  }
  std::uint64_t prev_pos = checkpoint != nullptr ? checkpoint->pos : 0;
  for (const CommitRec* c : commits) {
    if (c->seq != seq + 1) {
      ARCHIBALD_RETURN_IF_ERROR(
          problem((c->seq == seq + 2 ? "commit " + std::to_string(seq + 1) + " is"
                                     : "commits " + std::to_string(seq + 1) + " to " +
                                           std::to_string(c->seq - 1) + " are") +
                  " lost (" + describe_damage(prev_pos, c->pos) + ")"));
    }
    for (const IndexOp& op : c->ops) {
      Status s = replay.apply(op);
      if (!s.ok()) {
        ARCHIBALD_RETURN_IF_ERROR(problem("commit " + std::to_string(c->seq) +
                                          " does not fit the commits before it: " + s.message()));
      }
    }
    seq = c->seq;
    prev_pos = c->pos;
  }
  if (seq < required_seq) {
    ARCHIBALD_RETURN_IF_ERROR(problem("commits up to " + std::to_string(required_seq) +
                                      " were durable but the log ends at commit " +
                                      std::to_string(seq) + " (" +
                                      describe_damage(prev_pos, kNoCut) + ")"));
    seq = required_seq;  // never reuse the sequence numbers of lost commits
  }
  out.state = replay.build();
  out.last_seq = seq;
  if (checkpoint != nullptr && checkpoint->scan_from != 0) {
    out.checkpoint_id = checkpoint->id;
    out.checkpoint_scan_from = checkpoint->scan_from;
  }
  out.records_walked = scan.records_;

  // Cut the torn tail off: nothing in it was acknowledged.
  if (cut != kNoCut) {
    std::uint32_t cut_seg = pos_segment(cut);
    for (auto it = out.segments.begin(); it != out.segments.end();) {
      bool whole = it->first > cut_seg || (it->first == cut_seg && pos_offset(cut) == 0);
      if (whole) {
        std::string path = it->second->path();
        it = out.segments.erase(it);
        if (!read_only) ARCHIBALD_RETURN_IF_ERROR(env->remove_file(path));
      } else {
        ++it;
      }
    }
    if (auto it = out.segments.find(cut_seg); it != out.segments.end()) {
      if (!read_only) ARCHIBALD_RETURN_IF_ERROR(it->second->file().truncate(pos_offset(cut)));
      it->second->set_size(pos_offset(cut));
    }
    if (!read_only) ARCHIBALD_RETURN_IF_ERROR(env->sync_dir(dir));
  }
  // Zero-filled tails below the cut (segments written up to a roll) are cut off too: appends
  // continue at the end of the records.
  for (std::uint64_t z : scan.zero_tails_) {
    auto it = out.segments.find(pos_segment(z));
    if (z >= cut || it == out.segments.end() || it->second->size() <= pos_offset(z)) continue;
    if (!read_only) ARCHIBALD_RETURN_IF_ERROR(it->second->file().truncate(pos_offset(z)));
    it->second->set_size(pos_offset(z));
  }
  // A last segment without a complete header record is dropped; the log starts a fresh one.
  while (!out.segments.empty() && out.segments.rbegin()->second->size() < kRecordHeaderSize + 24) {
    std::string path = out.segments.rbegin()->second->path();
    out.segments.erase(std::prev(out.segments.end()));
    if (!read_only) ARCHIBALD_RETURN_IF_ERROR(env->remove_file(path));
  }
  // Whatever a killed process left in the page cache becomes durable now, so the watermarks
  // written from here on are true.
  if (!read_only) {
    for (auto& [id, seg] : out.segments)
      ARCHIBALD_RETURN_IF_ERROR(seg->file().sync());
  }
  out.end = out.segments.empty() ? 0 : out.segments.rbegin()->second->size();
  return out;
}

}  // namespace

Result<Recovered> recover(Env* env, const std::string& dir, const Config& config,
                          const RecordCodec& codec, const CommittedMark& committed, bool salvage,
                          bool read_only) {
  if (committed.scan_from != 0 && !salvage) {
    // Any failure of the short walk (a checkpoint not found, damage, a missing segment) is
    // judged by the whole walk instead.
    Result<Recovered> fast =
        recover_from(env, dir, config, codec, committed, salvage, read_only, committed.scan_from);
    if (fast.ok()) return fast;
  }
  return recover_from(env, dir, config, codec, committed, salvage, read_only, 0);
}

Result<std::vector<std::string>> log_damage(const SegmentMap& segments, const Config& config,
                                            const RecordCodec& codec) {
  LogScan scan(config, codec, /*keep_records=*/false);
  for (const auto& [id, seg] : segments)
    ARCHIBALD_RETURN_IF_ERROR(scan.scan_segment(*seg));
  std::vector<std::string> notes;
  for (const Damage& d : scan.damages_)
    notes.push_back(d.note());
  return notes;
}

Result<CommittedMark> read_committed(Env* env, const std::string& dir) {
  std::string path = dir + "/" + kCommittedFileName;
  if (!env->file_exists(path)) return CommittedMark{};
  Result<std::string> bytes = read_small_file(env, path);
  if (!bytes.ok()) return bytes.status();
  // SDBSEQ02: seq, durable, checksum. SDBSEQ03 adds scan_from and checkpoint.
  std::size_t n = bytes->size() == 48 && bytes->compare(0, 8, "SDBSEQ03") == 0   ? 40
                  : bytes->size() == 32 && bytes->compare(0, 8, "SDBSEQ02") == 0 ? 24
                                                                                 : 0;
  if (n == 0 || load_u64(bytes->data() + n) != xxh3(bytes->data(), n)) {
    return Status::corruption(path + " is damaged");
  }
  CommittedMark mark{load_u64(bytes->data() + 8), load_u64(bytes->data() + 16)};
  if (n == 40) {
    mark.scan_from = load_u64(bytes->data() + 24);
    mark.checkpoint = load_u64(bytes->data() + 32);
  }
  return mark;
}

Status write_committed(Env* env, const std::string& dir, const CommittedMark& mark) {
  std::string bytes = "SDBSEQ03";
  put_u64(&bytes, mark.seq);
  put_u64(&bytes, mark.durable);
  put_u64(&bytes, mark.scan_from);
  put_u64(&bytes, mark.checkpoint);
  put_u64(&bytes, xxh3(bytes.data(), bytes.size()));
  return write_file_atomically(env, dir, kCommittedFileName, bytes);
}

}  // namespace streamdb::internal
