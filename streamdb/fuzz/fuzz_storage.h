// The fuzzing entry point for everything that parses on-disk bytes. The first input byte picks
// what the rest becomes:
//   0: raw bytes for the record-header, op-list and config decoders;
//   1: edits (offset, xor) applied to a real database's segment file, which is then opened,
//      listed, read and verified — every document read successfully must be exactly what was
//      written (damaged data is never returned as data), else the target aborts;
//   2: the tail of a segment file after a valid segment header (records made up from scratch);
//   3: as 1, for a database compacted behind a checkpoint that COMMITTED names, with commits
//      after it, so the open starts from that checkpoint (or, doubting it, walks everything).
// Used by the libFuzzer binary (ARCHIBALD_FUZZ) and by a smoke test in the normal test suite.
#pragma once

#include <cstddef>
#include <cstdint>

namespace streamdb::fuzz {

int storage_one_input(const std::uint8_t* data, std::size_t size);

}  // namespace streamdb::fuzz
