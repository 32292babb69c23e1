// Opening from a checkpoint: a clean close that leaves many records since the newest checkpoint
// writes one, and COMMITTED names it, so the next open walks only the records after it. Any
// doubt about that checkpoint (damaged, not where COMMITTED says, older than it should be) makes
// the open walk the whole log instead, and never costs a commit.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "coding.h"
#include "fault_env.h"
#include "hash.h"
#include "record.h"
#include "recovery.h"
#include "streamdb/db.h"
#include "test_dir.h"

namespace streamdb {
namespace {

namespace fs = std::filesystem;
using testing::FaultEnv;
using testing::read_file;
using testing::TestDir;
using testing::write_file;

std::string content(int i, std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t k = 0; k < n; ++k)
    s[k] = static_cast<char>(i * 31 + k * 7);
  return s;
}

class OpenTest : public ::testing::Test {
 protected:
  // Walking the whole log of put_docs(0, 600) reads at least once per document: each one's
  // first block (16 KiB) ends past the read window (8 KiB) its header was read with.
  static constexpr int kWholeWalk = 600;

  Options options() {
    Options o;
    o.env = &env_;
    o.block_size = 16384;  // 20 KiB documents: two blocks each, every header on its own page
    o.segment_size = 4 << 20;
    return o;
  }
  // Opens the database; returns how many reads the open made.
  int open(bool read_only = false) {
    db_.reset();
    int before = env_.reads();
    Options o = options();
    o.read_only = read_only;
    auto r = DB::open(dir_.db(), o);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) return -1;
    db_ = std::move(*r);
    return env_.reads() - before;
  }
  void put_docs(int from, int to) {
    for (int i = from; i < to; ++i)
      ASSERT_TRUE(db_->put({.sync = false}, path(i), content(i, 20000)).ok());
    ASSERT_TRUE(db_->flush().ok());
  }
  static std::string path(int i) { return "/lib/" + std::to_string(i) + ".wav"; }
  void expect_docs(int from, int to) {
    for (int i = from; i < to; ++i) {
      std::string v;
      Status s = db_->get({}, path(i), &v);
      ASSERT_TRUE(s.ok()) << path(i) << ": " << s.to_string();
      if (i % 97 == 0) {
        EXPECT_EQ(v, content(i, 20000)) << path(i);
      } else {
        EXPECT_EQ(v.size(), 20000u) << path(i);
      }
    }
  }
  // Where COMMITTED says an open may start walking (0: nowhere).
  std::uint64_t scan_from() {
    Result<internal::CommittedMark> mark = internal::read_committed(&env_, dir_.db());
    EXPECT_TRUE(mark.ok()) << mark.status().to_string();
    return mark.ok() ? mark->scan_from : 0;
  }

  FaultEnv env_;
  TestDir dir_;
  std::unique_ptr<DB> db_;
};

TEST_F(OpenTest, ACleanCloseLeavesACheckpointAndTheNextOpenReadsOnlyWhatFollowsIt) {
  open();
  put_docs(0, 600);  // 1,200 blocks and 600 commits
  db_.reset();
  ASSERT_NE(scan_from(), 0u) << "no checkpoint named in COMMITTED";
  int fast = open();
  expect_docs(0, 600);
  put_docs(600, 650);  // 150 more records after the checkpoint: walked, not lost
  db_.reset();
  EXPECT_LT(open(), 200);
  expect_docs(0, 650);
  auto report = db_->verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->damaged.empty());

  // The same log without COMMITTED is walked whole: the difference is the checkpoint's.
  db_.reset();
  fs::remove(fs::path(dir_.db()) / "COMMITTED");
  int whole = open();
  expect_docs(0, 650);
  EXPECT_LT(fast, 50);
  EXPECT_GT(whole, kWholeWalk) << "fast " << fast;
}

TEST_F(OpenTest, FewRecordsSinceTheLastCheckpointWriteNone) {
  open();
  put_docs(0, 20);
  db_.reset();
  EXPECT_EQ(scan_from(), 0u) << "a checkpoint for 60 records";
  open();
  put_docs(20, 40);
  db_.reset();
  EXPECT_EQ(scan_from(), 0u) << "a checkpoint for 120 records";
  open();
  expect_docs(0, 40);
}

TEST_F(OpenTest, VerifyStillReportsDamageInRecordsTheOpenDidNotWalk) {
  open();
  put_docs(0, 600);
  // Document 0 again: its first version's blocks, the log's first records, are superseded.
  ASSERT_TRUE(db_->put({}, path(0), content(0, 20000)).ok());
  db_.reset();
  ASSERT_NE(scan_from(), 0u);
  fs::path first = fs::path(dir_.db()) / internal::segment_file_name(1);
  std::string bytes = read_file(first);
  std::size_t at = internal::kRecordHeaderSize + 24;  // past the segment header record
  bytes[at + 9] = static_cast<char>(bytes[at + 9] ^ 0x10);
  write_file(first, bytes);

  EXPECT_LT(open(), 50);
  expect_docs(0, 600);
  auto report = db_->verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->damaged.empty());
  ASSERT_EQ(report->notes.size(), 1u);
  EXPECT_NE(report->notes[0].find("00000001.seg offset " + std::to_string(at)), std::string::npos)
      << report->notes[0];
}

TEST_F(OpenTest, ASegmentTruncatedBeforeTheCheckpointIsReportedPerDocument) {
  open();
  put_docs(0, 600);
  db_.reset();
  ASSERT_GT(internal::pos_segment(scan_from()), 1u);
  fs::path first = fs::path(dir_.db()) / internal::segment_file_name(1);
  fs::resize_file(first, fs::file_size(first) / 2);

  // The open does not walk that segment; the documents whose blocks were cut off fail naming
  // their paths, every other one reads back exactly, and verify lists exactly the failures.
  EXPECT_LT(open(), 50);
  std::set<std::string> failed;
  for (int i = 0; i < 600; ++i) {
    std::string v;
    Status s = db_->get({}, path(i), &v);
    if (s.ok()) {
      EXPECT_EQ(v, content(i, 20000)) << path(i);
      continue;
    }
    EXPECT_EQ(s.code(), Code::kCorruption) << s.to_string();
    EXPECT_NE(s.message().find(path(i)), std::string::npos) << s.message();
    EXPECT_TRUE(v.empty());
    failed.insert(path(i));
  }
  EXPECT_FALSE(failed.empty());
  auto report = db_->verify();
  ASSERT_TRUE(report.ok());
  std::set<std::string> reported;
  for (const auto& d : report->damaged)
    reported.insert(d.path);
  EXPECT_EQ(reported, failed);
}

TEST_F(OpenTest, ADamagedCheckpointMakesTheOpenWalkTheWholeLog) {
  open();
  put_docs(0, 600);
  db_.reset();
  std::uint64_t pos = scan_from();
  ASSERT_NE(pos, 0u);
  // Flip a byte inside the checkpoint's first record.
  fs::path seg = fs::path(dir_.db()) / internal::segment_file_name(internal::pos_segment(pos));
  std::string bytes = read_file(seg);
  std::size_t at = internal::pos_offset(pos) + internal::kRecordHeaderSize + 40;
  ASSERT_LT(at, bytes.size());
  bytes[at] = static_cast<char>(bytes[at] ^ 0x40);
  write_file(seg, bytes);

  int reads = open();
  EXPECT_GT(reads, kWholeWalk) << "the damaged checkpoint was not noticed";
  expect_docs(0, 600);
  auto report = db_->verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->damaged.empty());
}

TEST_F(OpenTest, ACOMMITTEDThatDoesNotLeadToItsCheckpointIsNotTrusted) {
  open();
  put_docs(0, 600);
  db_.reset();
  Result<internal::CommittedMark> mark = internal::read_committed(&env_, dir_.db());
  ASSERT_TRUE(mark.ok());
  ASSERT_NE(mark->scan_from, 0u);
  std::uint32_t seg = internal::pos_segment(mark->scan_from);
  std::vector<internal::CommittedMark> lies;
  for (std::uint64_t pos :
       {mark->scan_from + 1, mark->scan_from + 8192, internal::log_pos(seg, 0) + (64u << 20),
        internal::log_pos(seg + 5, internal::kRecordHeaderSize)}) {
    lies.push_back(*mark);
    lies.back().scan_from = pos;
  }
  lies.push_back(*mark);
  lies.back().checkpoint = mark->checkpoint + 1;
  for (const internal::CommittedMark& lie : lies) {
    SCOPED_TRACE("scan_from " + std::to_string(lie.scan_from) + " checkpoint " +
                 std::to_string(lie.checkpoint));
    ASSERT_TRUE(internal::write_committed(&env_, dir_.db(), lie).ok());
    EXPECT_GT(open(), kWholeWalk) << "the open trusted the mark";
    expect_docs(0, 600);
    db_.reset();
  }
}

TEST_F(OpenTest, AStaleCOMMITTEDLeavesNoLaterCommitBehind) {
  open();
  put_docs(0, 600);
  db_.reset();
  std::string first_close = read_file(fs::path(dir_.db()) / "COMMITTED");
  open();
  for (int i = 600; i < 700; ++i)
    ASSERT_TRUE(db_->put({}, path(i), content(i, 20000)).ok());
  // A crash now would leave COMMITTED as the first close wrote it.
  db_.reset();
  write_file(fs::path(dir_.db()) / "COMMITTED", first_close);
  EXPECT_LT(open(), 600);
  expect_docs(0, 700);
}

TEST_F(OpenTest, CommitsMadeDuringACompactionSurviveAnOpenFromItsCheckpoint) {
  open();
  put_docs(0, 600);
  // A writer commits all through a compaction, whose checkpoint is then the newest when the
  // database closes (too few records follow it for another). Its commits lie between the
  // compaction's first copied block and its checkpoint.
  std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop && i < 5000; ++i) {
      started = i + 1;
      if (!db_->put({}, path(10000 + i), content(i, 300)).ok()) return;
      written = i + 1;
    }
  });
  while (started.load() < 3)
    std::this_thread::yield();
  int before = written.load();
  ASSERT_TRUE(db_->compact().ok());
  int after = written.load();
  stop = true;
  writer.join();
  EXPECT_GT(after, before) << "no commit during the compaction";
  db_.reset();
  ASSERT_NE(scan_from(), 0u);
  int reads = open(/*read_only=*/true);  // which changes no file, for the comparison below
  expect_docs(0, 600);
  for (int i = 0; i < written.load(); ++i) {
    std::string v;
    ASSERT_TRUE(db_->get({}, path(10000 + i), &v).ok()) << path(10000 + i) << " of " << written;
    EXPECT_EQ(v, content(i, 300));
  }
  // The compaction removed every segment before its checkpoint's scan position, so both opens
  // walk the same records. An open from a wrong position would have found a gap in the
  // commits, distrusted the checkpoint and walked the log once more.
  db_.reset();
  fs::remove(fs::path(dir_.db()) / "COMMITTED");
  EXPECT_EQ(reads, open(/*read_only=*/true)) << "the open did not trust its checkpoint";
}

TEST_F(OpenTest, TheOlderCOMMITTEDFormatStillOpens) {
  // COMMITTED as databases wrote it before it named a checkpoint: seq, durable, checksum.
  open();
  put_docs(0, 10);
  std::uint64_t seq = 0;
  db_.reset();
  Result<internal::CommittedMark> mark = internal::read_committed(&env_, dir_.db());
  ASSERT_TRUE(mark.ok());
  seq = mark->seq;
  std::string old = "SDBSEQ02";
  internal::put_u64(&old, mark->seq);
  internal::put_u64(&old, mark->durable);
  internal::put_u64(&old, internal::xxh3(old.data(), old.size()));
  write_file(fs::path(dir_.db()) / "COMMITTED", old);
  Result<internal::CommittedMark> read = internal::read_committed(&env_, dir_.db());
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(read->seq, seq);
  EXPECT_EQ(read->scan_from, 0u);
  open();
  expect_docs(0, 10);
  old[20] = static_cast<char>(old[20] ^ 1);
  db_.reset();
  write_file(fs::path(dir_.db()) / "COMMITTED", old);
  EXPECT_EQ(internal::read_committed(&env_, dir_.db()).status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace streamdb
