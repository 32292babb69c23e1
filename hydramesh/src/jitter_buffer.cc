#include "hydramesh/jitter_buffer.h"

#include <algorithm>
#include <cstring>

namespace hydramesh {

archibald::Status JitterBuffer::setup(int slot_count, std::size_t payload_capacity) {
  if (slot_count < 2 || slot_count > 65536) {
    return archibald::Status::invalid_argument("jitter buffer: slot count must be 2..65536");
  }
  std::uint64_t n = 2;
  while (n < static_cast<std::uint64_t>(slot_count))
    n *= 2;
  mask_ = n - 1;
  payload_capacity_ = payload_capacity;
  slots_ = std::make_unique<StoredPacket[]>(n);
  storage_ = std::make_unique<std::uint8_t[]>(n * payload_capacity);
  for (std::uint64_t i = 0; i < n; ++i)
    slots_[i].payload = storage_.get() + i * payload_capacity;
  reset();
  return {};
}

void JitterBuffer::reset() {
  for (std::uint64_t i = 0; i <= mask_; ++i)
    slots_[i].occupied = false;
  anchored_ = false;
  started_ = false;
  packet_frames_ = 0;
  read_clock_ = 0;
  newest_end_ = 0;
}

JitterBuffer::Insert JitterBuffer::insert(const PacketHeader& header, const std::uint8_t* payload,
                                          std::size_t size) {
  if (header.frames == 0 || size > payload_capacity_) return Insert::kBadShape;
  const std::uint64_t clock = header.sample_clock;
  if (!anchored_) {
    anchored_ = true;
    packet_frames_ = header.frames;
    read_clock_ = clock;
    newest_end_ = clock;
  }
  if (header.frames != packet_frames_) return Insert::kBadShape;
  const auto frames = static_cast<std::uint64_t>(packet_frames_);
  if (clock < read_clock_) {
    // Before playout starts, an earlier packet (reordered at start-up) moves the start back.
    if (started_ || (read_clock_ - clock) % frames != 0 ||
        std::max(newest_end_, read_clock_) - clock > (mask_ + 1) * frames) {
      return started_ ? Insert::kLate : Insert::kBadShape;
    }
    read_clock_ = clock;
  }
  if ((clock - read_clock_) % frames != 0) return Insert::kBadShape;
  if (clock - read_clock_ >= (mask_ + 1) * frames) return Insert::kTooFarAhead;
  StoredPacket& slot = slot_for(clock);
  if (slot.occupied && slot.sample_clock == clock) return Insert::kDuplicate;
  slot.sample_clock = clock;
  slot.codec = header.codec;
  slot.channels = header.channels;
  slot.frames = header.frames;
  slot.payload_size = static_cast<std::uint16_t>(size);
  if (size > 0) std::memcpy(slot.payload, payload, size);
  slot.occupied = true;
  newest_end_ = std::max(newest_end_, clock + frames);
  return Insert::kStored;
}

bool JitterBuffer::arrived() const {
  if (!anchored_) return false;
  const StoredPacket& slot = slots_[slot_index(read_clock_)];
  return slot.occupied && slot.sample_clock == read_clock_;
}

const StoredPacket* JitterBuffer::take() {
  if (!anchored_) return nullptr;
  StoredPacket& slot = slot_for(read_clock_);
  const bool present = slot.occupied && slot.sample_clock == read_clock_;
  slot.occupied = false;  // the caller consumes it now; the slot is free for clock + window
  read_clock_ += static_cast<std::uint64_t>(packet_frames_);
  return present ? &slot : nullptr;
}

int JitterBuffer::drop_to(int keep_frames) {
  int dropped = 0;
  while (buffered_frames() > keep_frames + packet_frames_ - 1 && buffered_frames() > 0) {
    slot_for(read_clock_).occupied = false;
    read_clock_ += static_cast<std::uint64_t>(packet_frames_);
    ++dropped;
  }
  return dropped;
}

int JitterBuffer::buffered_frames() const {
  if (!anchored_ || newest_end_ <= read_clock_) return 0;
  return static_cast<int>(newest_end_ - read_clock_);
}

}  // namespace hydramesh
