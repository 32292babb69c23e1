#include "hydramesh/jitter_buffer.h"

#include <gtest/gtest.h>

namespace hydramesh {
namespace {

PacketHeader packet(std::uint64_t clock, std::uint16_t frames = 64) {
  PacketHeader h;
  h.sample_clock = clock;
  h.frames = frames;
  h.channels = 1;
  return h;
}

class JitterBufferTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(buffer_.setup(8, 16).ok()); }
  JitterBuffer::Insert insert(std::uint64_t clock, std::uint8_t tag = 0) {
    const std::uint8_t payload[1] = {tag};
    return buffer_.insert(packet(clock), payload, 1);
  }
  JitterBuffer buffer_;
};

TEST_F(JitterBufferTest, ReordersByClock) {
  EXPECT_EQ(insert(128, 2), JitterBuffer::Insert::kStored);
  EXPECT_EQ(insert(0, 0), JitterBuffer::Insert::kStored);  // earlier, before playout: moves start
  EXPECT_EQ(insert(64, 1), JitterBuffer::Insert::kStored);
  EXPECT_EQ(buffer_.buffered_frames(), 192);
  buffer_.start();
  for (std::uint8_t i = 0; i < 3; ++i) {
    const StoredPacket* p = buffer_.take();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->payload[0], i);
    EXPECT_EQ(p->sample_clock, i * 64u);
  }
  EXPECT_EQ(buffer_.take(), nullptr);  // nothing at 192 yet
  EXPECT_EQ(buffer_.read_clock(), 256u);
}

TEST_F(JitterBufferTest, ClassifiesDuplicatesLateAndFarAhead) {
  insert(0);
  buffer_.start();
  EXPECT_EQ(insert(0), JitterBuffer::Insert::kDuplicate);
  ASSERT_NE(buffer_.take(), nullptr);
  EXPECT_EQ(insert(0), JitterBuffer::Insert::kLate);         // played already
  EXPECT_EQ(insert(64 * 8), JitterBuffer::Insert::kStored);  // last slot of the window
  EXPECT_EQ(insert(64 * 9), JitterBuffer::Insert::kTooFarAhead);
  EXPECT_EQ(insert(100), JitterBuffer::Insert::kBadShape);  // not on the packet grid
  const std::uint8_t p[1] = {0};
  EXPECT_EQ(buffer_.insert(packet(128, 32), p, 1), JitterBuffer::Insert::kBadShape);
  // A payload larger than a slot holds (setup: 16 bytes) is refused, not copied past its end.
  const std::uint8_t big[17] = {};
  EXPECT_EQ(buffer_.insert(packet(128), big, sizeof big), JitterBuffer::Insert::kBadShape);
  EXPECT_EQ(buffer_.insert(packet(128), big, 16), JitterBuffer::Insert::kStored);
}

TEST_F(JitterBufferTest, LossLeavesAHoleAndDropToCapsLatency) {
  insert(0);
  insert(128);
  buffer_.start();
  EXPECT_TRUE(buffer_.arrived());
  EXPECT_NE(buffer_.take(), nullptr);
  EXPECT_FALSE(buffer_.arrived());
  EXPECT_EQ(buffer_.take(), nullptr);  // 64 never arrived
  EXPECT_NE(buffer_.take(), nullptr);
  for (int i = 3; i < 9; ++i)
    insert(static_cast<std::uint64_t>(i) * 64);
  EXPECT_EQ(buffer_.buffered_frames(), 6 * 64);
  EXPECT_EQ(buffer_.drop_to(128), 4);
  EXPECT_EQ(buffer_.buffered_frames(), 128);
  EXPECT_EQ(buffer_.take()->sample_clock, 7u * 64);
}

}  // namespace
}  // namespace hydramesh
