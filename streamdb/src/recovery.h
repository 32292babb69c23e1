// Recovery: rebuilds the index from the segment files when a database is opened.
//
// 1. Scan every segment in order, walking record headers (block payloads are skipped), reading
//    and checking commit and checkpoint records. A damaged header is skipped by searching for
//    the next valid one.
// 2. W = the highest "durable watermark" any intact commit carries: every byte below W had been
//    fsynced before that commit was written. Damage at or above W is the torn tail of an
//    interrupted run; nothing there was acknowledged, so the log is cut at the first such
//    damage. Blocks above W that surviving commits reference are checked too (their pages may
//    not have reached the disk), moving the cut earlier if one is damaged.
// 3. Start from the newest complete checkpoint (written by compaction), then apply every commit
//    after it in order. Commit sequence numbers must be contiguous: a gap means a damaged
//    commit below W, and that is reported as corruption (naming the file and offset) rather
//    than silently returning older data.
// 4. The COMMITTED file records the last sequence number and the log position known durable at
//    the last clean close; a log ending before that seq was truncated or damaged, which is
//    reported too, and damage below that position is damage, never a torn tail. It also names
//    the newest checkpoint and the log position from which every later commit lies: an open
//    walks only from there (each older segment's header record is still checked), so opening
//    a large library reads its newest checkpoint, not every block header. When that walk does
//    not find the checkpoint, or fails in any way, the whole log is walked as in step 1.
// 5. With salvage, lost commits and operations that no longer fit are skipped and listed
//    instead of failing the open.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "block_io.h"
#include "codec.h"
#include "config.h"
#include "index.h"
#include "segment_log.h"

namespace streamdb::internal {

inline constexpr char kCommittedFileName[] = "COMMITTED";

struct Recovered {
  IndexState state;
  std::uint64_t last_seq = 0;
  SegmentMap segments;
  std::uint64_t end = 0;  // length of the last segment
  // Salvage only: what was skipped (lost commits, operations that no longer fit).
  std::vector<std::string> salvaged;
  // The checkpoint the index was rebuilt from and the log position from which every commit
  // after it lies; both 0 when there is none or its position is unknown (an empty index, or a
  // checkpoint written before positions were recorded).
  std::uint64_t checkpoint_id = 0;
  std::uint64_t checkpoint_scan_from = 0;
  // How many records the open walked: what the next open walks again, and more.
  std::uint64_t records_walked = 0;
};

// What the COMMITTED file says: at the last clean close, the log held every commit up to seq
// and everything below log position durable was on stable storage.
// scan_from (0: none) is where an open may start walking: every commit after checkpoint
// `checkpoint` lies at or above it.
struct CommittedMark {
  std::uint64_t seq = 0;
  std::uint64_t durable = 0;
  std::uint64_t scan_from = 0;
  std::uint64_t checkpoint = 0;
  bool operator==(const CommittedMark&) const = default;
};

// read_only: open the segment files for reading and change no file: a torn or zero-filled tail
// is cut from the recovered sizes only.
Result<Recovered> recover(Env* env, const std::string& dir, const Config& config,
                          const RecordCodec& codec, const CommittedMark& committed, bool salvage,
                          bool read_only = false);

// Damage in the records of `segments` (walked up to each one's size), one line each, as
// recovery notes it: what verify reports beside the documents it reads.
Result<std::vector<std::string>> log_damage(const SegmentMap& segments, const Config& config,
                                            const RecordCodec& codec);

// Associated data that binds a sealed metadata record to its type and sequence number.
std::uint64_t metadata_ad(RecordType type, std::uint64_t seq);

Result<CommittedMark> read_committed(Env* env, const std::string& dir);
Status write_committed(Env* env, const std::string& dir, const CommittedMark& mark);

}  // namespace streamdb::internal
