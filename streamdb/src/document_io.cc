// Streaming DocumentWriter and DocumentReader: memory stays at one block, whatever the size.
// The reader uses pread, never the segment mappings, so streaming a large document through
// does not map its pages into the process.
#include <cstring>

#include "db_impl.h"
#include "hash.h"

namespace streamdb {

using internal::BlockRef;
using internal::PreparedBlock;

namespace {

class StreamWriter final : public DocumentWriter {
 public:
  StreamWriter(DB::Impl* db, const WriteOptions& wo, std::string path)
      : db_(db), wo_(wo), path_(std::move(path)) {
    guid_ = Guid::random();
    buffer_.reserve(db_->block_size());
    db_->register_writer(&first_segment_);
  }
  ~StreamWriter() override { db_->unregister_writer(first_segment_); }

  Status append(std::span<const std::byte> data) override {
    if (!state_.ok()) return state_;
    if (committed_) return Status::invalid_argument(path_ + ": writer already committed");
    while (!data.empty()) {
      if (buffer_.empty() && data.size() >= db_->block_size()) {
        // A whole block in the caller's buffer: written from there, not copied.
        std::span<const std::byte> block = data.first(db_->block_size());
        hash_.update(block.data(), block.size());
        size_ += block.size();
        data = data.subspan(block.size());
        Status s = write_block(block);
        if (!s.ok()) {
          state_ = s;
          return s;
        }
        continue;
      }
      std::size_t take = std::min(data.size(), db_->block_size() - buffer_.size());
      buffer_.insert(buffer_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
      hash_.update(data.data(), take);
      size_ += take;
      data = data.subspan(take);
      if (buffer_.size() == db_->block_size()) {
        Status s = write_block(buffer_);
        if (!s.ok()) {
          state_ = s;
          return s;
        }
      }
    }
    return {};
  }

  Status commit() override {
    if (!state_.ok()) return state_;
    if (committed_) return Status::invalid_argument(path_ + ": writer already committed");
    if (!buffer_.empty()) ARCHIBALD_RETURN_IF_ERROR(write_block(buffer_));
    committed_ = true;
    internal::Writer w;
    internal::PreparedDoc& d = w.docs.emplace_back();
    d.doc = std::make_shared<internal::Doc>();
    d.doc->guid = guid_;
    d.doc->size = size_;
    d.doc->checksum = hash_.digest();
    d.doc->blocks = std::move(blocks_);
    w.requests.push_back({internal::Request::kPut, path_, {}, {}, &d});
    return db_->write_requests(wo_, w);
  }

 private:
  Status write_block(std::span<const std::byte> raw) {
    PreparedBlock pb;
    auto index = static_cast<std::uint32_t>(blocks_.size());
    db_->prepare_block(raw, guid_, index, &pb);
    BlockRef ref;
    Status s = db_->log().append(
        internal::kRecordHeaderSize + pb.bytes.size(),
        [&](std::uint64_t pos, std::uint64_t, std::vector<std::span<const std::byte>>* parts) {
          ref = {internal::pos_segment(pos), static_cast<std::uint32_t>(pb.bytes.size()),
                 internal::pos_offset(pos)};
          parts->push_back(pb.header);
          parts->push_back(pb.bytes);
        });
    if (!s.ok()) return s.with_context(path_);
    db_->count_records(1);
    blocks_.push_back(ref);
    buffer_.clear();
    return {};
  }

  DB::Impl* db_;
  WriteOptions wo_;
  std::string path_;
  Guid guid_;
  internal::BlockList blocks_;
  std::vector<std::byte> buffer_;
  internal::StreamingHash hash_;
  std::uint64_t size_ = 0;
  std::uint32_t first_segment_ = 0;
  bool committed_ = false;
  Status state_;
};

class StreamReader final : public DocumentReader {
 public:
  StreamReader(std::shared_ptr<const internal::Version> version, internal::DocPtr doc,
               std::string path, internal::RecordCodec codec, std::uint32_t block_size)
      : version_(std::move(version)),
        doc_(std::move(doc)),
        path_(std::move(path)),
        codec_(std::move(codec)),
        block_size_(block_size) {}

  std::uint64_t size() const override { return doc_->size; }

  Result<std::size_t> read(std::span<std::byte> out) override {
    std::size_t done = 0;
    while (done < out.size() && pos_ < doc_->size) {
      auto index = static_cast<std::uint32_t>(pos_ / block_size_);
      std::uint64_t raw = internal::block_raw_len(*doc_, index, block_size_);
      std::size_t within = static_cast<std::size_t>(pos_ % block_size_);
      std::span<std::byte> rest = out.subspan(done);
      if (within == 0 && rest.size() >= raw && buffered_ != index) {
        // Whole block wanted: decode straight into the caller's buffer.
        ARCHIBALD_RETURN_IF_ERROR(internal::read_block(codec_, *version_->segments, *doc_, index,
                                                       path_, rest.first(raw), &scratch_,
                                                       /*use_map=*/false));
        done += raw;
        pos_ += raw;
        continue;
      }
      if (buffered_ != index) {
        buffer_.resize(raw);
        buffered_ = ~0u;
        ARCHIBALD_RETURN_IF_ERROR(internal::read_block(codec_, *version_->segments, *doc_, index,
                                                       path_, buffer_, &scratch_,
                                                       /*use_map=*/false));
        buffered_ = index;
      }
      std::size_t take = std::min<std::size_t>(rest.size(), raw - within);
      std::memcpy(rest.data(), buffer_.data() + within, take);
      done += take;
      pos_ += take;
    }
    return done;
  }

 private:
  std::shared_ptr<const internal::Version> version_;
  internal::DocPtr doc_;
  std::string path_;
  internal::RecordCodec codec_;
  std::uint32_t block_size_;
  std::uint64_t pos_ = 0;
  std::vector<std::byte> buffer_;
  std::uint32_t buffered_ = ~0u;
  std::string scratch_;
};

}  // namespace

Result<std::unique_ptr<DocumentWriter>> DB::Impl::new_writer(const WriteOptions& wo,
                                                             std::string_view path) {
  ARCHIBALD_RETURN_IF_ERROR(internal::check_path(path));
  ARCHIBALD_RETURN_IF_ERROR(refuse_if_read_only());
  ARCHIBALD_RETURN_IF_ERROR(log_->health());
  return std::unique_ptr<DocumentWriter>(new StreamWriter(this, wo, std::string(path)));
}

Result<std::unique_ptr<DocumentReader>> DB::Impl::new_reader(const ReadOptions& ro,
                                                             std::string_view path) {
  std::shared_ptr<const internal::Version> v = version(ro);
  std::string key(path);
  const internal::DocPtr* d = v->state.find_path(key);
  if (d == nullptr) return Status::not_found(key + ": no such path");
  internal::DocPtr doc = *d;
  return std::unique_ptr<DocumentReader>(
      new StreamReader(std::move(v), std::move(doc), key, codec_, config_.block_size));
}

}  // namespace streamdb
