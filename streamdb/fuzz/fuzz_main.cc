// libFuzzer entry point (built with ARCHIBALD_FUZZ=ON, the 'fuzz' preset):
//   cmake --preset fuzz && cmake --build --preset fuzz --target streamdb_fuzz
//   build/fuzz/streamdb/streamdb_fuzz -max_total_time=60
#include <cstddef>
#include <cstdint>

#include "fuzz_storage.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return streamdb::fuzz::storage_one_input(data, size);
}
