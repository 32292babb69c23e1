// Value types of the StreamDB API.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "archibald/status.h"

namespace streamdb {

// A document's identity: a random (version 4) UUID, stable for the document's life.
struct Guid {
  std::array<std::uint8_t, 16> bytes{};

  static Guid random();
  // Accepts the canonical 36-character form ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
  static archibald::Result<Guid> parse(std::string_view text);
  std::string to_string() const;
  auto operator<=>(const Guid&) const = default;
};

struct DocumentInfo {
  std::string path;
  Guid guid;
  std::uint64_t size = 0;
  std::uint64_t checksum = 0;    // XXH3-64 of the document's bytes
  std::int64_t mtime_ns = 0;     // wall-clock time of the commit that wrote it, ns since epoch
  std::uint32_t path_count = 0;  // paths bound to this document
};

struct Stats {
  std::uint64_t documents = 0;
  std::uint64_t paths = 0;
  std::uint64_t live_bytes = 0;  // bytes of documents reachable from some path
  std::uint64_t file_bytes = 0;  // bytes the database occupies on disk
  std::uint64_t commits = 0;     // since open
  std::uint64_t syncs = 0;       // fdatasync calls since open (< commits under group commit)
};

struct VerifyReport {
  std::uint64_t documents_checked = 0;
  std::uint64_t bytes_checked = 0;
  // One entry per damaged document: the path it is bound to and what is wrong.
  struct Damage {
    std::string path;
    std::string problem;
  };
  std::vector<Damage> damaged;
  // Damaged regions of the files that hold no live data (found by walking every record):
  // nothing was lost, but the storage under the database is failing.
  std::vector<std::string> notes;
  bool clean() const { return damaged.empty(); }
};

}  // namespace streamdb
