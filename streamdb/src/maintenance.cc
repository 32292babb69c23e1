// Statistics, verify (full checksum scan) and compact (copy live blocks out of old segments,
// write a checkpoint of the index, retire the old segments).
#include <map>

#include "coding.h"
#include "db_impl.h"
#include "hash.h"
#include "recovery.h"

namespace streamdb {

using internal::BlockRef;
using internal::Doc;
using internal::DocPtr;

Stats DB::Impl::stats() {
  std::shared_ptr<const internal::Version> v = current_.load();
  Stats s;
  s.documents = v->state.by_guid().size();
  s.paths = v->state.by_path().size();
  s.live_bytes = v->state.live_bytes();
  s.file_bytes = log_->file_bytes();
  s.commits = commits_.load();
  s.syncs = log_->syncs();
  return s;
}

Result<VerifyReport> DB::Impl::verify() {
  std::shared_ptr<const internal::Version> v = current_.load();
  VerifyReport report;
  std::vector<std::byte> block;
  std::string scratch;
  Status io;
  v->state.by_guid().visit_all([&](std::string_view, const DocPtr& doc) {
    const std::string& path = doc->paths.front();
    internal::StreamingHash hash;
    std::string problem;
    for (std::uint32_t i = 0; i < doc->blocks.size(); ++i) {
      block.resize(internal::block_raw_len(*doc, i, config_.block_size));
      Status s = internal::read_block(codec_, *v->segments, *doc, i, path, block, &scratch,
                                      /*use_map=*/false);
      if (!s.ok()) {
        if (s.code() != Code::kCorruption) {
          io = s;
          return false;
        }
        problem = s.message();
        break;
      }
      hash.update(block.data(), block.size());
      report.bytes_checked += block.size();
    }
    if (problem.empty() && hash.digest() != doc->checksum) {
      problem = path + ": content checksum mismatch";
    }
    if (!problem.empty()) {
      if (doc->paths.size() > 1) {
        problem += " (also bound to " + std::to_string(doc->paths.size() - 1) + " other path" +
                   (doc->paths.size() > 2 ? "s)" : ")");
      }
      report.damaged.push_back({path, problem});
    }
    ++report.documents_checked;
    return true;
  });
  if (!io.ok()) return io;
  // Damage in records no document needs (superseded, or older than the checkpoint the open
  // started from) is found by walking every record of the version's segments.
  Result<std::vector<std::string>> damage = internal::log_damage(*v->segments, config_, codec_);
  if (!damage.ok()) return damage.status();
  report.notes = std::move(*damage);
  report.notes.insert(report.notes.end(), open_notes_.begin(), open_notes_.end());
  return report;
}

Status DB::Impl::compact() {
  ARCHIBALD_RETURN_IF_ERROR(refuse_if_read_only());
  std::lock_guard compact_lock(compact_mu_);
  std::shared_ptr<const internal::Version> v;
  std::set<std::uint32_t> reclaim;
  std::uint32_t fresh = 0;
  Status started = run_exclusive([&]() -> Status {
    Status rolled = log_->roll(&fresh);
    if (!rolled.ok()) return rolled;
    std::uint32_t keep_from = fresh;
    {
      std::lock_guard lock(writers_mu_);
      if (!writer_segments_.empty()) keep_from = std::min(keep_from, *writer_segments_.begin());
    }
    v = current_.load();
    for (const auto& [id, seg] : *log_->segments()) {
      if (id < keep_from) reclaim.insert(id);
    }
    return {};
  });
  if (!started.ok()) return started.with_context("compact");
  if (reclaim.empty()) return {};

  // Copy every live block out of the segments being retired, verbatim (its checksum seed is
  // the document's GUID and block index, which do not change).
  std::map<Guid, internal::BlockList> moved;
  std::set<std::uint32_t> keep;
  Status failure;
  std::string payload;
  v->state.by_guid().visit_all([&](std::string_view, const DocPtr& doc) {
    const Guid& guid = doc->guid;
    bool touches = false;
    for (std::size_t i = 0; i < doc->blocks.size(); ++i)
      touches = touches || reclaim.count(doc->blocks[i].segment) != 0;
    if (!touches) return true;
    internal::BlockList blocks = doc->blocks;
    for (std::uint32_t i = 0; i < blocks.size(); ++i) {
      if (reclaim.count(blocks[i].segment) == 0) continue;
      std::array<std::byte, internal::kRecordHeaderSize> header{};
      failure =
          internal::read_stored_block(*v->segments, *doc, i, doc->paths.front(), &header, &payload,
                                      /*use_map=*/false);
      if (failure.code() == Code::kCorruption) {
        // A damaged block stays where it is (verify keeps reporting it); so does its segment.
        keep.insert(blocks[i].segment);
        failure = {};
        continue;
      }
      if (!failure.ok()) return false;
      BlockRef& ref = blocks[i];
      failure = log_->append(
          internal::kRecordHeaderSize + payload.size(),
          [&](std::uint64_t pos, std::uint64_t, std::vector<std::span<const std::byte>>* parts) {
            ref.segment = internal::pos_segment(pos);
            ref.offset = internal::pos_offset(pos);
            parts->push_back(header);
            parts->push_back(std::as_bytes(std::span(payload.data(), payload.size())));
          });
      if (!failure.ok()) return false;
    }
    moved[guid] = std::move(blocks);
    return true;
  });
  if (!failure.ok()) return failure.with_context("compact");

  // The checkpoint: the whole index as of v->seq, with the moved block positions. Recovery
  // starts from it, so the commit records in the retired segments are no longer needed. Every
  // commit after v->seq was written after the roll, so an open may start walking there.
  Result<std::uint64_t> written =
      write_checkpoint(v->state, v->seq, internal::log_pos(fresh, 0), moved);
  if (!written.ok()) return written.status().with_context("compact");

  // Publish the moved positions and retire the old segments; readers holding older versions
  // keep the files alive until they are done.
  return run_exclusive([&]() -> Status {
    auto cur = current_.load();
    internal::IndexState state = cur->state;
    for (auto& [guid, blocks] : moved)
      state.relocate(guid, blocks);
    for (std::uint32_t kept : keep)
      reclaim.erase(kept);
    log_->retire(reclaim);
    publish(std::move(state), cur->seq);
    checkpoint_ = {v->seq, *written};
    records_since_checkpoint_ = 0;
    return {};
  });
}

Result<std::uint64_t> DB::Impl::write_checkpoint(const internal::IndexState& state,
                                                 std::uint64_t id, std::uint64_t scan_from,
                                                 const std::map<Guid, internal::BlockList>& moved) {
  auto write_record = [&](internal::RecordType type, std::string body) -> Status {
    codec_.seal(&body, internal::metadata_ad(type, id));
    internal::RecordHeader h{type, 0, static_cast<std::uint32_t>(body.size()), id,
                             internal::xxh3(body.data(), body.size())};
    std::array<std::byte, internal::kRecordHeaderSize> header{};
    internal::encode_header(h, header.data());
    return log_->append(
        internal::kRecordHeaderSize + body.size(),
        [&](std::uint64_t pos, std::uint64_t, std::vector<std::span<const std::byte>>* parts) {
          if (scan_from == 0) scan_from = pos;
          parts->push_back(header);
          parts->push_back(std::as_bytes(std::span(body.data(), body.size())));
        });
  };
  std::uint32_t chunks = 0;
  std::string chunk;
  std::uint32_t count = 0;
  Status failure;
  auto flush_chunk = [&]() -> Status {
    std::string body;
    internal::put_u32(&body, count);
    body += chunk;
    chunk.clear();
    count = 0;
    ++chunks;
    return write_record(internal::RecordType::kCheckpointChunk, std::move(body));
  };
  state.by_guid().visit_all([&](std::string_view, const DocPtr& doc) {
    const Guid& guid = doc->guid;
    // encode_op only reads the document: no copy unless its blocks moved.
    std::shared_ptr<Doc> d = std::const_pointer_cast<Doc>(doc);
    if (auto it = moved.find(guid); it != moved.end()) {
      d = std::make_shared<Doc>(*doc);
      d->blocks = it->second;
    }
    internal::encode_op(internal::PutDocOp{doc->paths.front(), d}, &chunk);
    ++count;
    for (std::size_t i = 1; i < doc->paths.size(); ++i) {
      internal::encode_op(internal::BindOp{doc->paths[i], guid}, &chunk);
      ++count;
    }
    if (chunk.size() >= (1u << 20)) failure = flush_chunk();
    return failure.ok();
  });
  if (failure.ok() && count > 0) failure = flush_chunk();
  if (failure.ok()) {
    std::string body;
    internal::put_u32(&body, chunks);
    internal::put_u64(&body, scan_from);  // 0 (unknown) only for an empty index at close
    failure = write_record(internal::RecordType::kCheckpointEnd, std::move(body));
  }
  if (failure.ok()) failure = log_->sync();
  if (!failure.ok()) return failure;
  return scan_from;
}

}  // namespace streamdb
