// WriteBatch: operations applied together by DB::write, all or none.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace streamdb {

class WriteBatch {
 public:
  enum class Op { kPut, kRemove, kBind };
  struct Entry {
    Op op;
    std::string path;
    std::string data;        // kPut: the document bytes
    std::string other_path;  // kBind: the existing path whose document `path` gets bound to
  };

  void put(std::string_view path, std::string_view data);
  void put(std::string_view path, std::span<const std::byte> data);
  void remove(std::string_view path);
  void bind(std::string_view existing_path, std::string_view new_path);
  void clear() { entries_.clear(); }

  std::size_t count() const { return entries_.size(); }
  // Operations in the order added; later operations see the effects of earlier ones.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace streamdb
