#include "archibald/status.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace archibald {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.to_string(), "ok");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::not_found("/samples/kick.wav");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.to_string(), "not_found: /samples/kick.wav");
  EXPECT_EQ(s.with_context("get").message(), "get: /samples/kick.wav");
}

TEST(StatusTest, FromErrnoMapsCodesAndText) {
  EXPECT_EQ(Status::from_errno("open x", ENOENT).code(), Code::kNotFound);
  EXPECT_EQ(Status::from_errno("open x", EACCES).code(), Code::kPermissionDenied);
  Status s = Status::from_errno("write x", ENOSPC);
  EXPECT_EQ(s.code(), Code::kIoError);
  EXPECT_EQ(s.message(), "write x: No space left on device");
}

Status fails_then_unreached(int* reached) {
  ARCHIBALD_RETURN_IF_ERROR(Status::busy("lock held"));
  *reached = 1;
  return {};
}

TEST(StatusTest, ReturnIfErrorStopsAtFirstFailure) {
  int reached = 0;
  EXPECT_EQ(fails_then_unreached(&reached).code(), Code::kBusy);
  EXPECT_EQ(reached, 0);
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  EXPECT_TRUE(good.status().ok());

  Result<int> bad = Status::corruption("bad checksum");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kCorruption);
}

TEST(OneLineTest, ControlBytesAreEscapedAndTheRestKept) {
  EXPECT_EQ(one_line("plain text: /a/b.wav 'x' \\"), "plain text: /a/b.wav 'x' \\");
  EXPECT_EQ(one_line("a\nb\r\tc"), "a\\nb\\r\\tc");
  EXPECT_EQ(one_line(std::string("nul\0esc\x1b[31m\x7f", 13)), "nul\\x00esc\\x1b[31m\\x7f");
  EXPECT_EQ(one_line("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 is not control bytes
}

}  // namespace
}  // namespace archibald
