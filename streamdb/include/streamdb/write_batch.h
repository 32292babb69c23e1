// WriteBatch: operations applied together by DB::write, all or none.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace streamdb {

class WriteBatch {
 public:
  WriteBatch() = default;
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  WriteBatch(WriteBatch&&) noexcept = default;
  WriteBatch& operator=(WriteBatch&&) noexcept = default;
  // Hands the document buffers to a small process-wide pool (at most 16 MiB), so the next
  // batch's put() reuses memory that is already mapped instead of page-faulting fresh memory.
  ~WriteBatch();

  enum class Op { kPut, kRemove, kBind };
  struct Entry {
    Op op;
    std::string path;
    std::string data;        // kPut: the document bytes
    std::string other_path;  // kBind: the existing path whose document `path` gets bound to
    // kPut: XXH3-64 of data, computed while put() copied it (one pass over the caller's bytes
    // instead of a copy now and a hash at commit).
    std::uint64_t data_hash = 0;
  };

  void put(std::string_view path, std::string_view data);
  void put(std::string_view path, std::span<const std::byte> data);
  void remove(std::string_view path);
  void bind(std::string_view existing_path, std::string_view new_path);
  void clear();

  std::size_t count() const { return entries_.size(); }
  // Operations in the order added; later operations see the effects of earlier ones.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace streamdb
