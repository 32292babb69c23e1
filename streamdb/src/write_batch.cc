#include "streamdb/write_batch.h"

namespace streamdb {

void WriteBatch::put(std::string_view path, std::string_view data) {
  entries_.push_back({Op::kPut, std::string(path), std::string(data), {}});
}

void WriteBatch::put(std::string_view path, std::span<const std::byte> data) {
  put(path, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

void WriteBatch::remove(std::string_view path) {
  entries_.push_back({Op::kRemove, std::string(path), {}, {}});
}

void WriteBatch::bind(std::string_view existing_path, std::string_view new_path) {
  entries_.push_back({Op::kBind, std::string(new_path), {}, std::string(existing_path)});
}

}  // namespace streamdb
