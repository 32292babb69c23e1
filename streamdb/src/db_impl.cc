// DB::Impl: opening, closing and the group-commit write path (reads: db_read.cc).
#include "db_impl.h"

#include <algorithm>

#include "coding.h"
#include "hash.h"
#include "recovery.h"

namespace streamdb {

using internal::BlockRef;
using internal::Doc;
using internal::IndexOp;
using internal::IndexState;
using internal::PreparedBlock;
using internal::PreparedDoc;
using internal::Request;
using internal::Version;
using internal::Writer;

namespace {

constexpr std::uint64_t kDefaultSegmentSize = 256ull << 20;
// A group stops growing at this many bytes so one leader does not hold everyone for long.
constexpr std::uint64_t kMaxGroupBytes = 64ull << 20;

std::uint64_t writer_bytes(const Writer& w) {
  std::uint64_t n = 0;
  for (const PreparedDoc& d : w.docs) {
    for (const PreparedBlock& b : d.pending)
      n += b.bytes.size();
  }
  return n;
}

}  // namespace

Result<std::unique_ptr<DB::Impl>> DB::Impl::open(const std::string& dir, const Options& options) {
  std::unique_ptr<Impl> db(new Impl());
  db->env_ = options.env != nullptr ? options.env : Env::posix();
  db->dir_ = dir;
  db->options_ = options;
  Env* env = db->env_;
  auto ctx = [&](const Status& s) { return s.with_context("open " + dir); };
  if (options.read_only && options.salvage) {
    return Status::invalid_argument("open " + dir + ": salvage rewrites the log; not read-only");
  }

  if (!env->file_exists(dir)) {
    if (!options.create_if_missing || options.read_only) {
      return Status::not_found("open " + dir + ": no database");
    }
    Status s = env->create_dir(dir);
    if (!s.ok()) return ctx(s);
  }
  if (!options.read_only) {
    Result<std::unique_ptr<FileLock>> lock = env->lock_file(dir + "/LOCK");
    if (!lock.ok()) return ctx(lock.status());
    db->lock_ = std::move(*lock);
  }

  std::string config_path = dir + "/" + internal::kConfigFileName;
  if (env->file_exists(config_path)) {
    if (options.error_if_exists) return Status::invalid_argument("open " + dir + ": exists");
    Result<internal::Config> config = internal::read_config(env, dir);
    if (!config.ok()) return ctx(config.status());
    db->config_ = *config;
    Result<internal::RecordCodec> codec =
        internal::RecordCodec::open(db->config_, options.passphrase, dir);
    if (!codec.ok()) return codec.status();
    db->codec_ = *codec;
  } else {
    Result<std::vector<std::string>> names = env->list_dir(dir);
    if (!names.ok()) return ctx(names.status());
    for (const std::string& n : *names) {
      if (internal::parse_segment_file_name(n) != 0) {
        return Status::corruption("open " + dir + ": " + internal::kConfigFileName +
                                  " is missing but segment files exist");
      }
    }
    if (!options.create_if_missing || options.read_only) {
      return Status::not_found("open " + dir + ": no database");
    }
    if (options.block_size < 4096 || options.block_size > (64u << 20)) {
      return Status::invalid_argument("block_size must be within 4 KiB..64 MiB");
    }
    internal::Config config;
    config.db_id = Guid::random();
    config.block_size = options.block_size;
    Result<internal::RecordCodec> codec = internal::RecordCodec::create(&config, options);
    if (!codec.ok()) return ctx(codec.status());
    Status s = internal::write_config(env, dir, config);
    if (!s.ok()) return ctx(s);
    db->config_ = config;
    db->codec_ = *codec;
  }

  Result<internal::CommittedMark> committed = internal::read_committed(env, dir);
  std::vector<std::string> salvage_notes;
  if (!committed.ok() && options.salvage && committed.status().code() == Code::kCorruption) {
    salvage_notes.push_back("salvaged: ignored " + committed.status().message());
    committed = internal::CommittedMark{};
  }
  if (!committed.ok()) return ctx(committed.status());
  auto recover = [&] {
    return internal::recover(env, dir, db->config_, db->codec_, *committed, options.salvage,
                             options.read_only);
  };
  Result<internal::Recovered> rec = recover();
  // Read-only beside a running writer, a compaction may delete a segment between the listing
  // and its opening: then look again.
  for (int retry = 0; options.read_only && retry < 10 && rec.status().code() == Code::kNotFound;
       ++retry) {
    rec = recover();
  }
  if (!rec.ok()) return ctx(rec.status());

  std::uint64_t segment_size =
      options.segment_size != 0 ? options.segment_size : kDefaultSegmentSize;
  db->log_ = std::make_unique<internal::SegmentLog>(env, dir, db->config_.db_id, segment_size,
                                                    std::move(rec->segments), rec->end);
  if (!options.read_only) {
    Status s = db->log_->start();
    if (!s.ok()) return ctx(s);
  }
  db->next_seq_ = rec->last_seq + 1;
  db->publish(std::move(rec->state), rec->last_seq);
  // COMMITTED is rewritten at the next clean close; until then the old value is still a true
  // lower bound, and skipping the write keeps opening after a crash to one round of fsyncs.
  db->committed_ = *committed;
  db->checkpoint_ = {rec->checkpoint_id, rec->checkpoint_scan_from};
  db->records_since_checkpoint_ = rec->records_walked;
  db->pool_ = std::make_unique<internal::AsyncPool>(options.async_threads);
  for (std::string& n : salvage_notes)
    db->open_notes_.push_back(std::move(n));
  if (!rec->salvaged.empty()) {
    // Rewrite the salvaged state as a checkpoint, so later opens start from it and need no
    // salvage; what was skipped stays listed in verify()'s notes for this session.
    for (std::string& n : rec->salvaged)
      db->open_notes_.push_back("salvaged: " + n);
    Status s = db->compact();
    if (!s.ok()) return s.with_context("open " + dir + ": salvage");
  }
  return db;
}

DB::Impl::~Impl() {
  pool_.reset();  // runs the queued async reads first
  if (!log_ || options_.read_only || !log_->health().ok() || !log_->sync().ok()) return;
  std::shared_ptr<const Version> v = current_.load();
  // A checkpoint when the next open would otherwise walk many records: at least kCheckpointAfter,
  // and one for every 64 documents, so that a checkpoint's cost (every document's metadata)
  // stays small beside the walk it saves (a random read per record, on a cold cache).
  constexpr std::uint64_t kCheckpointAfter = 1024;
  std::uint64_t walk = records_since_checkpoint_.load();
  if (v->seq != checkpoint_.id && walk >= kCheckpointAfter &&
      walk * 64 >= v->state.by_guid().size()) {
    Result<std::uint64_t> written = write_checkpoint(v->state, v->seq, 0, {});
    if (written.ok()) checkpoint_ = {v->seq, *written};
  }
  internal::CommittedMark mark{v->seq, log_->durable(), checkpoint_.scan_from, checkpoint_.id};
  if (mark != committed_) (void)internal::write_committed(env_, dir_, mark);
}

void DB::Impl::publish(IndexState state, std::uint64_t seq) {
  auto v = std::make_shared<Version>();
  v->state = std::move(state);
  v->seq = seq;
  v->segments = log_->segments();
  current_.store(std::move(v));
}

std::shared_ptr<const Version> DB::Impl::version(const ReadOptions& ro) const {
  if (ro.snapshot != nullptr) return ro.snapshot->version;
  return current_.load();
}

// --- writes -----------------------------------------------------------------------------------

void DB::Impl::prepare_block(std::span<const std::byte> raw, const Guid& guid, std::uint32_t index,
                             PreparedBlock* pb, const std::uint64_t* raw_hash) const {
  std::uint8_t flags = 0;
  std::uint64_t hash = 0;
  if (codec_.encode_block(raw, guid, index, &pb->stored, &flags)) {
    pb->bytes = std::as_bytes(std::span(pb->stored.data(), pb->stored.size()));
    hash = internal::xxh3(pb->bytes.data(), pb->bytes.size());
  } else {
    pb->bytes = raw;
    hash = raw_hash != nullptr ? *raw_hash : internal::xxh3(raw.data(), raw.size());
  }
  internal::RecordHeader h{internal::RecordType::kBlock, flags,
                           static_cast<std::uint32_t>(pb->bytes.size()), internal::guid_tag(guid),
                           hash ^ internal::block_seed(guid, index)};
  internal::encode_header(h, pb->header.data());
}

void DB::Impl::prepare_doc(std::span<const std::byte> data, PreparedDoc* out,
                           const std::uint64_t* content_hash) const {
  auto doc = std::make_shared<Doc>();
  doc->guid = Guid::random();
  doc->size = data.size();
  doc->checksum =
      content_hash != nullptr ? *content_hash : internal::xxh3(data.data(), data.size());
  std::uint64_t bs = config_.block_size;
  std::size_t n = static_cast<std::size_t>((data.size() + bs - 1) / bs);
  doc->blocks.resize(n);
  out->pending.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::span<const std::byte> raw =
        data.subspan(i * bs, std::min<std::uint64_t>(bs, data.size() - i * bs));
    // A one-block document's block is its whole content: its hash is already known.
    prepare_block(raw, doc->guid, static_cast<std::uint32_t>(i), &out->pending[i],
                  n == 1 ? &doc->checksum : nullptr);
    doc->blocks[i].stored_len = static_cast<std::uint32_t>(out->pending[i].bytes.size());
  }
  out->doc = std::move(doc);
}

Status DB::Impl::commit(Writer& w) {
  std::unique_lock lock(queue_mu_);
  queue_.push_back(&w);
  w.cv.wait(lock, [&] { return w.done || queue_.front() == &w; });
  if (w.done) return w.status;

  std::vector<Writer*> group{&w};
  if (!w.exclusive) {
    std::uint64_t bytes = writer_bytes(w);
    for (std::size_t i = 1; i < queue_.size(); ++i) {
      Writer* next = queue_[i];
      if (next->exclusive) break;
      bytes += writer_bytes(*next);
      if (bytes > kMaxGroupBytes) break;
      group.push_back(next);
    }
  }
  lock.unlock();
  if (w.exclusive) {
    w.status = w.exclusive();
  } else {
    run_group(group);
  }
  lock.lock();
  for (Writer* g : group) {
    queue_.pop_front();
    g->done = true;
    if (g != &w) g->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return w.status;
}

Status DB::Impl::run_exclusive(std::function<Status()> fn) {
  Writer w;
  w.exclusive = std::move(fn);
  return commit(w);
}

Status DB::Impl::resolve(Writer& w, std::int64_t now, IndexState* work, std::vector<IndexOp>* ops,
                         std::vector<PreparedDoc*>* docs) {
  for (Request& r : w.requests) {
    switch (r.kind) {
      case Request::kPut: {
        r.doc->doc->mtime_ns = now;
        work->put_doc(r.path, r.doc->doc);
        ops->push_back(internal::PutDocOp{r.path, r.doc->doc});
        docs->push_back(r.doc);
        break;
      }
      case Request::kRemove:
        ARCHIBALD_RETURN_IF_ERROR(work->unbind(r.path));
        ops->push_back(internal::UnbindOp{r.path});
        break;
      case Request::kBind: {
        const internal::DocPtr* d = work->find_path(r.other);
        if (d == nullptr) return Status::not_found(r.other + ": no such path");
        Guid g = (*d)->guid;
        ARCHIBALD_RETURN_IF_ERROR(work->bind(r.path, g));
        ops->push_back(internal::BindOp{r.path, g});
        break;
      }
      case Request::kRemoveGuid: {
        const internal::DocPtr* d = work->find_guid(r.guid);
        if (d == nullptr) return Status::not_found("no document " + r.guid.to_string());
        std::vector<std::string> paths = (*d)->paths;
        for (const std::string& p : paths) {
          ARCHIBALD_RETURN_IF_ERROR(work->unbind(p));
          ops->push_back(internal::UnbindOp{p});
        }
        break;
      }
      case Request::kRename: {
        const internal::DocPtr* d = work->find_path(r.other);
        if (d == nullptr) return Status::not_found(r.other + ": no such path");
        if (r.other == r.path) break;
        Guid g = (*d)->guid;
        ARCHIBALD_RETURN_IF_ERROR(work->bind(r.path, g));
        ARCHIBALD_RETURN_IF_ERROR(work->unbind(r.other));
        ops->push_back(internal::BindOp{r.path, g});
        ops->push_back(internal::UnbindOp{r.other});
        break;
      }
    }
  }
  return {};
}

void DB::Impl::run_group(const std::vector<Writer*>& group) {
  struct Planned {
    Writer* w;
    std::vector<IndexOp> ops;
    std::vector<PreparedDoc*> docs;
    std::size_t payload_size = 0;
  };
  std::shared_ptr<const Version> base = current_.load();
  IndexState work = base->state;
  std::int64_t now = env_->now_ns();
  std::vector<Planned> planned;
  bool want_sync = false;
  Status health = log_->health();
  for (Writer* w : group) {
    if (!health.ok()) {
      w->status = health;
      continue;
    }
    want_sync = want_sync || w->sync;
    w->status = {};
    if (w->requests.empty()) continue;  // flush
    IndexState before = work;
    Planned p{w, {}, {}, 0};
    Status s = resolve(*w, now, &work, &p.ops, &p.docs);
    p.payload_size = 12;
    for (const IndexOp& op : p.ops)
      p.payload_size += internal::encoded_size(op);
    if (s.ok() && p.payload_size + codec_.seal_overhead() > internal::kMaxPayload) {
      s = Status::invalid_argument("batch too large: " + std::to_string(p.ops.size()) +
                                   " operations; split it into smaller batches");
    }
    if (!s.ok()) {
      work = std::move(before);
      w->status = s;
      continue;
    }
    planned.push_back(std::move(p));
  }
  if (!health.ok()) return;

  std::uint64_t total = 0;
  std::uint64_t records = 0;
  for (Planned& p : planned) {
    for (PreparedDoc* d : p.docs) {
      for (const PreparedBlock& b : d->pending)
        total += internal::kRecordHeaderSize + b.bytes.size();
      records += d->pending.size();
    }
    total += internal::kRecordHeaderSize + p.payload_size + codec_.seal_overhead();
    ++records;
  }

  std::uint64_t first_seq = next_seq_;
  std::deque<std::string> payloads;
  std::deque<std::array<std::byte, internal::kRecordHeaderSize>> headers;
  Status ws;
  if (!planned.empty()) {
    ws = log_->append(total, [&](std::uint64_t pos, std::uint64_t durable,
                                 std::vector<std::span<const std::byte>>* parts) {
      std::uint32_t seg = internal::pos_segment(pos);
      std::uint64_t off = internal::pos_offset(pos);
      for (Planned& p : planned) {
        for (PreparedDoc* d : p.docs) {
          for (std::size_t i = 0; i < d->pending.size(); ++i) {
            const PreparedBlock& b = d->pending[i];
            d->doc->blocks[i] = {seg, static_cast<std::uint32_t>(b.bytes.size()), off};
            parts->push_back(b.header);
            parts->push_back(b.bytes);
            off += internal::kRecordHeaderSize + b.bytes.size();
          }
        }
        std::uint64_t seq = next_seq_++;
        std::string& payload = payloads.emplace_back();
        payload.reserve(p.payload_size + codec_.seal_overhead());
        internal::put_u64(&payload, durable);
        internal::put_u32(&payload, static_cast<std::uint32_t>(p.ops.size()));
        for (const IndexOp& op : p.ops)
          internal::encode_op(op, &payload);
        codec_.seal(&payload, internal::metadata_ad(internal::RecordType::kCommit, seq));
        internal::RecordHeader h{internal::RecordType::kCommit, 0,
                                 static_cast<std::uint32_t>(payload.size()), seq,
                                 internal::xxh3(payload.data(), payload.size())};
        auto& header = headers.emplace_back();
        internal::encode_header(h, header.data());
        parts->push_back(header);
        parts->push_back(std::as_bytes(std::span(payload.data(), payload.size())));
        off += internal::kRecordHeaderSize + payload.size();
      }
    });
  }
  if (ws.ok() && want_sync) ws = log_->sync();
  if (!ws.ok()) {
    next_seq_ = first_seq;
    for (Writer* w : group) {
      if (w->status.ok()) w->status = ws;
    }
    return;
  }
  if (!planned.empty()) {
    // A put's document was stored in `work` before the log placed its blocks; a copy made from
    // it in the same batch (another path bound to it) still holds the unplaced positions.
    for (const Planned& p : planned) {
      for (const PreparedDoc* d : p.docs) {
        const internal::DocPtr* current = work.find_guid(d->doc->guid);
        if (!d->pending.empty() && current != nullptr && current->get() != d->doc.get()) {
          work.relocate(d->doc->guid, d->doc->blocks);
        }
      }
    }
    publish(std::move(work), next_seq_ - 1);
    commits_.fetch_add(planned.size());
    count_records(records);
  }
}

Status DB::Impl::refuse_if_read_only() const {
  if (!options_.read_only) return {};
  return Status::permission_denied(dir_ + ": opened read-only");
}

Status DB::Impl::write_requests(const WriteOptions& wo, Writer& w) {
  ARCHIBALD_RETURN_IF_ERROR(refuse_if_read_only());
  w.sync = wo.sync;
  return commit(w);
}

Status DB::Impl::put(const WriteOptions& wo, std::string_view path,
                     std::span<const std::byte> data) {
  ARCHIBALD_RETURN_IF_ERROR(internal::check_path(path));
  Writer w;
  PreparedDoc& d = w.docs.emplace_back();
  prepare_doc(data, &d);
  w.requests.push_back({Request::kPut, std::string(path), {}, {}, &d});
  return write_requests(wo, w);
}

Status DB::Impl::write_batch(const WriteOptions& wo, const WriteBatch& batch) {
  Writer w;
  for (const WriteBatch::Entry& e : batch.entries()) {
    ARCHIBALD_RETURN_IF_ERROR(internal::check_path(e.path));
    switch (e.op) {
      case WriteBatch::Op::kPut: {
        PreparedDoc& d = w.docs.emplace_back();
        prepare_doc(std::as_bytes(std::span(e.data.data(), e.data.size())), &d, &e.data_hash);
        w.requests.push_back({Request::kPut, e.path, {}, {}, &d});
        break;
      }
      case WriteBatch::Op::kRemove:
        w.requests.push_back({Request::kRemove, e.path, {}, {}, nullptr});
        break;
      case WriteBatch::Op::kBind:
        ARCHIBALD_RETURN_IF_ERROR(internal::check_path(e.other_path));
        w.requests.push_back({Request::kBind, e.path, e.other_path, {}, nullptr});
        break;
    }
  }
  if (w.requests.empty()) return {};
  return write_requests(wo, w);
}

Status DB::Impl::simple(const WriteOptions& wo, Request::Kind kind, std::string_view path,
                        std::string_view other, const Guid& guid) {
  if (kind != Request::kRemoveGuid) ARCHIBALD_RETURN_IF_ERROR(internal::check_path(path));
  if (kind == Request::kBind || kind == Request::kRename) {
    ARCHIBALD_RETURN_IF_ERROR(internal::check_path(other));
  }
  Writer w;
  w.requests.push_back({kind, std::string(path), std::string(other), guid, nullptr});
  return write_requests(wo, w);
}

Status DB::Impl::flush() {
  if (options_.read_only) return {};  // nothing was written through this handle
  Writer w;
  w.sync = true;
  return commit(w);
}

}  // namespace streamdb
