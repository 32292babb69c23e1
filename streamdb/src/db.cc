// The public DB class: argument forwarding to DB::Impl. No exception escapes: the few calls
// that allocate large buffers catch std::bad_alloc and report it as a Status.
#include "streamdb/db.h"

#include <new>

#include "db_impl.h"

namespace streamdb {

namespace {
template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Status::io_error("out of memory");
  } catch (const std::exception& e) {
    return Status::io_error(std::string("internal error: ") + e.what());
  }
}
}  // namespace

DB::DB(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DB::~DB() = default;

Result<std::unique_ptr<DB>> DB::open(const std::string& dir, const Options& options) {
  return guarded([&]() -> Result<std::unique_ptr<DB>> {
    Result<std::unique_ptr<Impl>> impl = Impl::open(dir, options);
    if (!impl.ok()) return impl.status();
    return std::unique_ptr<DB>(new DB(std::move(*impl)));
  });
}

Status DB::put(const WriteOptions& wo, std::string_view path, std::span<const std::byte> data) {
  return guarded([&] { return impl_->put(wo, path, data); });
}
Status DB::put(const WriteOptions& wo, std::string_view path, std::string_view data) {
  return put(wo, path, std::as_bytes(std::span(data.data(), data.size())));
}
Status DB::write(const WriteOptions& wo, const WriteBatch& batch) {
  return guarded([&] { return impl_->write_batch(wo, batch); });
}
Status DB::remove(const WriteOptions& wo, std::string_view path) {
  return guarded([&] { return impl_->simple(wo, internal::Request::kRemove, path, {}, {}); });
}
Status DB::remove_guid(const WriteOptions& wo, const Guid& guid) {
  return guarded([&] { return impl_->simple(wo, internal::Request::kRemoveGuid, {}, {}, guid); });
}
Status DB::bind(const WriteOptions& wo, std::string_view existing_path, std::string_view new_path) {
  return guarded(
      [&] { return impl_->simple(wo, internal::Request::kBind, new_path, existing_path, {}); });
}
Status DB::unbind(const WriteOptions& wo, std::string_view path) {
  return remove(wo, path);
}
Status DB::rename(const WriteOptions& wo, std::string_view old_path, std::string_view new_path) {
  return guarded(
      [&] { return impl_->simple(wo, internal::Request::kRename, new_path, old_path, {}); });
}
Result<std::unique_ptr<DocumentWriter>> DB::new_writer(const WriteOptions& wo,
                                                       std::string_view path) {
  return impl_->new_writer(wo, path);
}
Status DB::flush() {
  return guarded([&] { return impl_->flush(); });
}

Status DB::get(const ReadOptions& ro, std::string_view path, std::string* value) {
  return guarded([&] { return impl_->get(ro, path, value); });
}
Result<std::string> DB::get(const ReadOptions& ro, std::string_view path) {
  std::string value;
  Status s = get(ro, path, &value);
  if (!s.ok()) return s;
  return value;
}
Result<std::size_t> DB::read_range(const ReadOptions& ro, std::string_view path,
                                   std::uint64_t offset, std::span<std::byte> out) {
  return guarded([&] { return impl_->read_range(ro, path, offset, out); });
}
Result<std::unique_ptr<DocumentReader>> DB::new_reader(const ReadOptions& ro,
                                                       std::string_view path) {
  return impl_->new_reader(ro, path);
}
Result<DocumentInfo> DB::stat(const ReadOptions& ro, std::string_view path) {
  return impl_->stat(ro, path);
}
Result<std::vector<std::string>> DB::paths_of(const ReadOptions& ro, const Guid& guid) {
  return impl_->paths_of(ro, guid);
}
Status DB::list(const ReadOptions& ro, std::string_view prefix,
                const std::function<bool(const DocumentInfo&)>& visit) {
  return impl_->list(ro, prefix, visit);
}
Status DB::list_paths(const ReadOptions& ro, std::string_view prefix,
                      const std::function<bool(std::string_view)>& visit) {
  return guarded([&] { return impl_->list_paths(ro, prefix, visit); });
}
Status DB::find_suffix(const ReadOptions& ro, std::string_view suffix,
                       const std::function<bool(const DocumentInfo&)>& visit) {
  return guarded([&] { return impl_->find_suffix(ro, suffix, visit); });
}
void DB::get_async(std::string_view path, std::function<void(Result<std::string>)> callback) {
  impl_->get_async(path, std::move(callback));
}
std::future<Result<std::string>> DB::get_future(std::string_view path) {
  auto promise = std::make_shared<std::promise<Result<std::string>>>();
  std::future<Result<std::string>> f = promise->get_future();
  impl_->get_async(path, [promise](Result<std::string> r) { promise->set_value(std::move(r)); });
  return f;
}
const Snapshot* DB::get_snapshot() {
  return impl_->get_snapshot();
}
void DB::release_snapshot(const Snapshot* snapshot) {
  impl_->release_snapshot(snapshot);
}
Stats DB::stats() {
  return impl_->stats();
}
Result<VerifyReport> DB::verify() {
  return guarded([&] { return impl_->verify(); });
}
Status DB::compact() {
  return guarded([&] { return impl_->compact(); });
}

}  // namespace streamdb
