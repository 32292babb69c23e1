#include "record.h"

#include <gtest/gtest.h>

#include "index.h"

namespace streamdb::internal {
namespace {

TEST(RecordTest, HeaderRoundTripsAndEveryFlippedBitIsDetected) {
  RecordHeader h{RecordType::kCommit, 0, 1234, 99, 0xdeadbeefcafef00dull};
  std::array<std::byte, kRecordHeaderSize> buf{};
  encode_header(h, buf.data());
  RecordHeader back;
  ASSERT_TRUE(decode_header(buf.data(), &back));
  EXPECT_EQ(back.type, h.type);
  EXPECT_EQ(back.payload_len, h.payload_len);
  EXPECT_EQ(back.seq, h.seq);
  EXPECT_EQ(back.payload_checksum, h.payload_checksum);
  for (std::size_t bit = 0; bit < kRecordHeaderSize * 8; ++bit) {
    auto copy = buf;
    copy[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
    EXPECT_FALSE(decode_header(copy.data(), &back)) << "bit " << bit;
  }
}

TEST(RecordTest, OpsRoundTripAndTruncatedEncodingsAreRejected) {
  auto doc = std::make_shared<Doc>();
  doc->guid = Guid::random();
  doc->size = 3000000;
  doc->checksum = 7;
  doc->mtime_ns = 123456789;
  for (const BlockRef& ref : {BlockRef{1, 100, 56}, BlockRef{2, 200, 4096}, BlockRef{3, 300, 8192}})
    doc->blocks.push_back(ref);
  std::vector<IndexOp> ops{PutDocOp{"/a/b.wav", doc}, BindOp{"/c", doc->guid},
                           UnbindOp{"/a/b.wav"}};
  std::string enc;
  std::size_t size = 0;
  for (const auto& op : ops) {
    encode_op(op, &enc);
    size += encoded_size(op);
  }
  EXPECT_EQ(enc.size(), size);
  std::vector<IndexOp> back;
  ASSERT_TRUE(decode_ops(enc, 3, &back));
  ASSERT_EQ(back.size(), 3u);
  const auto& put = std::get<PutDocOp>(back[0]);
  EXPECT_EQ(put.path, "/a/b.wav");
  EXPECT_EQ(put.doc->guid, doc->guid);
  EXPECT_EQ(put.doc->size, doc->size);
  EXPECT_EQ(put.doc->mtime_ns, doc->mtime_ns);
  ASSERT_EQ(put.doc->blocks.size(), 3u);
  EXPECT_EQ(put.doc->blocks[0].offset, 56u);
  EXPECT_EQ(put.doc->blocks[1].offset, 4096u);
  EXPECT_EQ(put.doc->blocks[2].segment, 3u);
  EXPECT_EQ(put.doc->blocks[2].stored_len, 300u);
  EXPECT_EQ(std::get<BindOp>(back[1]).path, "/c");
  EXPECT_EQ(std::get<UnbindOp>(back[2]).path, "/a/b.wav");
  for (std::size_t cut = 0; cut < enc.size(); ++cut) {
    std::vector<IndexOp> partial;
    EXPECT_FALSE(decode_ops(std::string_view(enc).substr(0, cut), 3, &partial)) << cut;
  }
}

// Paths in stored ops obey the same rules as paths given to the API: a crafted log cannot
// smuggle in "/../x", which an export would write outside its directory.
TEST(RecordTest, OpsWithPathsTheApiRefusesAreRejected) {
  for (const char* bad : {"/../escape.wav", "relative.wav", "/a//b", "/a/./b", "/"}) {
    for (const IndexOp& op : {IndexOp{UnbindOp{bad}}, IndexOp{BindOp{bad, Guid::random()}}}) {
      std::string enc;
      encode_op(op, &enc);
      std::vector<IndexOp> back;
      EXPECT_FALSE(decode_ops(enc, 1, &back)) << bad;
    }
  }
  std::string enc;
  encode_op(UnbindOp{"/a/b"}, &enc);
  std::vector<IndexOp> back;
  EXPECT_TRUE(decode_ops(enc, 1, &back));
}

TEST(RecordTest, PathRules) {
  EXPECT_TRUE(check_path("/samples/drums/kick.wav").ok());
  EXPECT_TRUE(check_path("/a").ok());
  for (const char* bad : {"", "a/b", "/", "/a/", "//a", "/a//b", "/./a", "/a/..", "/a/../b"}) {
    EXPECT_EQ(check_path(bad).code(), archibald::Code::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(check_path("/" + std::string(5000, 'x')).ok());
  EXPECT_FALSE(check_path(std::string("/a\0b", 4)).ok());
}

TEST(RecordTest, GuidTextRoundTrip) {
  Guid g = Guid::random();
  std::string s = g.to_string();
  ASSERT_EQ(s.size(), 36u);
  EXPECT_EQ(s[14], '4');  // version 4
  auto back = Guid::parse(s);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, g);
  EXPECT_FALSE(Guid::parse("not-a-guid").ok());
  EXPECT_FALSE(Guid::parse("0123456789abcdef0123456789abcdef0123").ok());
}

}  // namespace
}  // namespace streamdb::internal
