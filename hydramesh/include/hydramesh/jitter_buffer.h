// JitterBuffer: holds one peer's received audio packets, indexed by sample clock, until playout.
//
// The buffer is anchored by the first packet after reset(): that packet fixes the stream's
// frames-per-packet and, until playout starts, the earliest clock seen is where playout begins.
// insert() classifies every packet (stored, duplicate, late, too far ahead, wrong shape);
// take() hands out the packet at the read position, or reports it missing, and advances.
// Storage is allocated by setup(); every other call is allocation-free and meant for the audio
// thread, which owns the buffer (not thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "archibald/status.h"
#include "hydramesh/wire_format.h"

namespace hydramesh {

struct StoredPacket {
  std::uint64_t sample_clock = 0;
  Codec codec = Codec::kPcm16;
  std::uint8_t channels = 0;
  std::uint16_t frames = 0;
  std::uint16_t payload_size = 0;
  bool occupied = false;
  std::uint8_t* payload = nullptr;  // points into the buffer's own storage
};

class JitterBuffer {
 public:
  enum class Insert { kStored, kDuplicate, kLate, kTooFarAhead, kBadShape };

  // slot_count is rounded up to a power of two; payload_capacity is the largest payload stored.
  archibald::Status setup(int slot_count, std::size_t payload_capacity);

  // Forgets every packet and the anchor.
  void reset();

  Insert insert(const PacketHeader& header, const std::uint8_t* payload, std::size_t size);

  // Marks playout as started: from now on packets before read_clock() are late.
  void start() { started_ = true; }
  bool started() const { return started_; }
  bool anchored() const { return anchored_; }

  // The packet at read_clock(), or nullptr if it has not arrived. Advances read_clock() by one
  // packet either way. The returned packet stays valid until the next insert() or take().
  const StoredPacket* take();
  // True when the packet at read_clock() is here.
  bool arrived() const;

  // Skips whole packets so that at most keep_frames remain buffered (latency cap).
  // Returns the number of packets skipped.
  int drop_to(int keep_frames);

  std::uint64_t read_clock() const { return read_clock_; }
  int packet_frames() const { return packet_frames_; }
  // Frames from the read position to the end of the newest packet received (0 if none ahead).
  int buffered_frames() const;
  int slot_count() const { return static_cast<int>(mask_ + 1); }

 private:
  std::uint64_t slot_index(std::uint64_t clock) const {
    return (clock / static_cast<std::uint64_t>(packet_frames_)) & mask_;
  }
  StoredPacket& slot_for(std::uint64_t clock) { return slots_[slot_index(clock)]; }

  std::unique_ptr<StoredPacket[]> slots_;
  std::unique_ptr<std::uint8_t[]> storage_;
  std::size_t payload_capacity_ = 0;
  std::uint64_t mask_ = 0;
  bool anchored_ = false;
  bool started_ = false;
  int packet_frames_ = 0;
  std::uint64_t read_clock_ = 0;
  std::uint64_t newest_end_ = 0;
};

}  // namespace hydramesh
