// Corruption: flipped bytes and truncation anywhere in a database's files. Opening either fails
// with kCorruption naming a file of the database, or succeeds; then every document reads back
// exactly as written or fails with kCorruption naming its path, and verify() names exactly the
// documents that fail. Damaged data is never returned as data.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "hash.h"
#include "record.h"
#include "streamdb/db.h"
#include "test_dir.h"

namespace streamdb {
namespace {

namespace fs = std::filesystem;

Options small_options() {
  Options o;
  o.block_size = 4096;
  o.segment_size = 64 * 1024;
  o.async_threads = 1;
  return o;
}

std::string content(int i) {
  std::string s(static_cast<std::size_t>((i * 2731) % 14000), '\0');
  for (std::size_t k = 0; k < s.size(); ++k)
    s[k] = static_cast<char>(i * 7 + k * 13);
  return s;
}

std::map<std::string, std::string> build(const std::string& dir) {
  std::map<std::string, std::string> docs;
  auto db = DB::open(dir, small_options());
  EXPECT_TRUE(db.ok());
  for (int i = 0; i < 40; ++i) {
    std::string p = "/lib/" + std::to_string(i % 4) + "/s" + std::to_string(i) + ".wav";
    EXPECT_TRUE((*db)->put({.sync = i % 5 == 0}, p, content(i)).ok());
    docs[p] = content(i);
  }
  EXPECT_TRUE((*db)->bind({}, "/lib/0/s0.wav", "/alias/s0.wav").ok());
  docs["/alias/s0.wav"] = content(0);
  return docs;
}

void flip_byte(const fs::path& file, std::uint64_t offset, std::uint8_t mask) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ mask);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

TEST(CorruptionTest, FlippedBytesAndTruncationAreReportedNeverReturned) {
  streamdb::testing::TestDir dir;
  std::string pristine = dir.path() + "/pristine";
  std::map<std::string, std::string> docs = build(pristine);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(pristine)) {
    if (e.path().filename() != "LOCK") files.push_back(e.path().filename());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 4u);  // config, COMMITTED, several segments

  std::mt19937_64 rng(99);
  int detected = 0;
  int open_failures = 0;
  constexpr int kTrials = 160;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::string db_dir = dir.path() + "/trial";
    fs::remove_all(db_dir);
    fs::copy(pristine, db_dir);
    fs::path victim = db_dir / files[rng() % files.size()];
    std::uint64_t size = fs::file_size(victim);
    bool truncate = trial % 4 == 3;
    std::uint64_t offset = rng() % size;
    if (truncate) {
      fs::resize_file(victim, offset);
    } else {
      flip_byte(victim, offset, static_cast<std::uint8_t>(1 + rng() % 255));
    }
    std::string what = std::string(truncate ? "truncated " : "flipped byte in ") +
                       victim.filename().string() + " at " + std::to_string(offset);

    auto db = DB::open(db_dir, small_options());
    if (!db.ok()) {
      ++open_failures;
      ++detected;
      EXPECT_EQ(db.status().code(), Code::kCorruption) << what << ": " << db.status().to_string();
      EXPECT_NE(db.status().message().find(db_dir + "/"), std::string::npos)
          << what << ": error does not name a file: " << db.status().message();
      if (victim.filename() == "STREAMDB") continue;  // nothing to salvage without the config
      // Salvage opens it anyway; whatever it serves is still exactly what was written.
      Options salvage = small_options();
      salvage.salvage = true;
      auto saved = DB::open(db_dir, salvage);
      ASSERT_TRUE(saved.ok()) << what << ": salvage failed: " << saved.status().to_string();
      for (const auto& [path, data] : docs) {
        auto got = (*saved)->get({}, path);
        if (got.ok()) {
          ASSERT_EQ(*got, data) << what << ": salvage returned wrong data";
        }
      }
      EXPECT_FALSE((*saved)->verify()->notes.empty()) << what;
      continue;
    }
    std::set<std::string> failed;
    for (const auto& [path, data] : docs) {
      auto got = (*db)->get({}, path);
      if (got.ok()) {
        ASSERT_EQ(*got, data) << what << ": wrong data returned for " << path;
      } else {
        EXPECT_EQ(got.status().code(), Code::kCorruption) << what << ": " << path;
        EXPECT_NE(got.status().message().find(path), std::string::npos)
            << what << ": error does not name the path: " << got.status().message();
        failed.insert(path);
      }
    }
    auto report = (*db)->verify();
    ASSERT_TRUE(report.ok()) << what;
    std::set<std::string> reported;
    for (const auto& d : report->damaged)
      reported.insert(d.path);
    // verify names one path per damaged document; the alias shares s0's document.
    std::set<std::string> failed_docs = failed;
    if (failed_docs.count("/alias/s0.wav") != 0) {
      failed_docs.erase("/alias/s0.wav");
      failed_docs.insert(reported.count("/alias/s0.wav") != 0 ? "/alias/s0.wav" : "/lib/0/s0.wav");
    }
    EXPECT_EQ(reported, failed_docs) << what;
    if (!failed.empty() || !report->notes.empty()) ++detected;
  }
  // Every byte of the files is covered by a checksum; only bytes that hold nothing (such as
  // the unused space a truncation removes after the last record) may go unnoticed.
  EXPECT_GT(detected, kTrials * 9 / 10) << "open failures: " << open_failures;
}

TEST(CorruptionTest, DamagedDocumentDoesNotHideTheOthers) {
  streamdb::testing::TestDir dir;
  std::map<std::string, std::string> docs = build(dir.db());
  // Damage the middle of the first segment's data: some block of some document.
  fs::path seg = fs::path(dir.db()) / "00000001.seg";
  flip_byte(seg, fs::file_size(seg) / 2, 0x40);
  auto db = DB::open(dir.db(), small_options());
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  auto report = (*db)->verify();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->damaged.size() + report->notes.size(), 1u);
  int readable = 0;
  for (const auto& [path, data] : docs) {
    auto got = (*db)->get({}, path);
    if (got.ok()) {
      EXPECT_EQ(*got, data);
      ++readable;
    }
  }
  EXPECT_GE(readable, static_cast<int>(docs.size()) - 2);
}

// Offsets of the commit records in a segment file (walking the record headers).
std::vector<std::uint64_t> commit_offsets(const fs::path& seg) {
  std::string bytes = streamdb::testing::read_file(seg);
  std::vector<std::uint64_t> out;
  for (std::size_t off = 0; off + 32 <= bytes.size();) {
    std::uint32_t len = 0;
    std::memcpy(&len, bytes.data() + off + 8, 4);
    if (bytes[off + 4] == 3) out.push_back(off);
    off += 32 + len;
  }
  return out;
}

// One segment holding /s/0../s/5, one commit each, with content(i + content_base).
std::unique_ptr<DB> six_commits(const std::string& dir, const Options& o, int content_base) {
  auto db = DB::open(dir, o);
  EXPECT_TRUE(db.ok()) << db.status().to_string();
  if (!db.ok()) return nullptr;
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE((*db)->put({}, "/s/" + std::to_string(i), content(i + content_base)).ok());
  }
  return std::move(*db);
}

// After salvage dropped commit 3: /s/2 is gone, every other document of six_commits is exact.
void expect_all_but_commit_3(DB& db, int content_base) {
  for (int i = 0; i < 6; ++i) {
    auto got = db.get({}, "/s/" + std::to_string(i));
    if (i == 2) {
      EXPECT_EQ(got.status().code(), Code::kNotFound);
    } else {
      ASSERT_TRUE(got.ok()) << "/s/" << i << ": " << got.status().to_string();
      EXPECT_EQ(*got, content(i + content_base));
    }
  }
}

TEST(CorruptionTest, SalvageSkipsALostCommitKeepsTheRestAndRepairsTheLog) {
  streamdb::testing::TestDir dir;
  Options o = small_options();
  o.segment_size = 0;  // one segment
  {
    std::unique_ptr<DB> db = six_commits(dir.db(), o, 10);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->bind({}, "/s/2", "/alias").ok());  // depends on commit 3
  }
  fs::path seg = fs::path(dir.db()) / "00000001.seg";
  std::vector<std::uint64_t> commits = commit_offsets(seg);
  ASSERT_EQ(commits.size(), 7u);
  flip_byte(seg, commits[2] + 40, 0x01);  // the payload of commit 3 (the put of /s/2)

  auto plain = DB::open(dir.db(), o);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), Code::kCorruption);
  EXPECT_NE(plain.status().message().find("commit 3 is lost"), std::string::npos)
      << plain.status().message();
  EXPECT_NE(plain.status().message().find("00000001.seg"), std::string::npos);

  o.salvage = true;
  {
    auto db = DB::open(dir.db(), o);
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    ASSERT_NO_FATAL_FAILURE(expect_all_but_commit_3(**db, 10));
    EXPECT_EQ((*db)->get({}, "/alias").status().code(), Code::kNotFound);
    auto report = (*db)->verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->clean());
    std::string notes;
    for (const auto& n : report->notes)
      notes += n + "\n";
    EXPECT_NE(notes.find("commit 3 is lost"), std::string::npos) << notes;
    EXPECT_NE(notes.find("commit 7 does not fit"), std::string::npos) << notes;
  }
  o.salvage = false;
  auto again = DB::open(dir.db(), o);
  ASSERT_TRUE(again.ok()) << "salvage must leave a log that opens normally: "
                          << again.status().to_string();
  EXPECT_EQ(*(*again)->get({}, "/s/5"), content(15));
  ASSERT_TRUE((*again)->put({}, "/s/new", "n").ok());
}

// A log rewritten by hand, checksums included, so that a commit binds "/../x.wav": recovery
// refuses the path as the API would (an export would write it outside its directory). A plain
// open reports the damage; salvage drops that commit and keeps the rest.
TEST(CorruptionTest, ACommitWithAPathTheApiRefusesIsDamageEvenWithValidChecksums) {
  streamdb::testing::TestDir dir;
  Options o = small_options();
  o.segment_size = 0;  // one segment
  {
    auto db = DB::open(dir.db(), o);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->put({}, "/keep.wav", "kept").ok());
    ASSERT_TRUE((*db)->put({}, "/ab/x.wav", "escapes").ok());
  }
  fs::path seg = fs::path(dir.db()) / "00000001.seg";
  std::string bytes = streamdb::testing::read_file(seg);
  std::vector<std::uint64_t> commits = commit_offsets(seg);
  ASSERT_EQ(commits.size(), 2u);
  auto* at = reinterpret_cast<std::byte*>(bytes.data() + commits[1]);
  internal::RecordHeader h;
  ASSERT_TRUE(internal::decode_header(at, &h));
  char* payload = bytes.data() + commits[1] + internal::kRecordHeaderSize;
  std::string_view view(payload, h.payload_len);
  std::size_t path_at = view.find("/ab/x.wav");
  ASSERT_NE(path_at, std::string_view::npos);
  std::memcpy(payload + path_at, "/..", 3);
  h.payload_checksum = internal::xxh3(payload, h.payload_len);
  internal::encode_header(h, at);
  streamdb::testing::write_file(seg, bytes);

  auto plain = DB::open(dir.db(), o);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), Code::kCorruption) << plain.status().to_string();
  EXPECT_NE(plain.status().message().find("00000001.seg"), std::string::npos)
      << plain.status().message();

  o.salvage = true;
  auto db = DB::open(dir.db(), o);
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  std::vector<std::string> paths;
  ASSERT_TRUE((*db)
                  ->list_paths({}, "/",
                               [&](std::string_view p) {
                                 paths.emplace_back(p);
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(paths, std::vector<std::string>{"/keep.wav"});
  EXPECT_EQ(*(*db)->get({}, "/keep.wav"), "kept");
}

// A damaged record header, or a stretch of zeros where a record header should be, is damage
// in the middle of the log, not its end: a plain open refuses the log, and salvage finds the
// records after it again (resynchronising on the next valid header) and serves them.
TEST(CorruptionTest, SalvageFindsTheRecordsAfterADamagedOrZeroedRecordHeader) {
  for (bool zeroed : {false, true}) {
    SCOPED_TRACE(zeroed ? "zeroed header" : "flipped header byte");
    streamdb::testing::TestDir dir;
    Options o = small_options();
    o.segment_size = 0;  // one segment
    ASSERT_NE(six_commits(dir.db(), o, 20), nullptr);
    fs::path seg = fs::path(dir.db()) / "00000001.seg";
    std::vector<std::uint64_t> commits = commit_offsets(seg);
    ASSERT_EQ(commits.size(), 6u);
    if (zeroed) {
      std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(commits[2]));
      const char zeros[32] = {};
      f.write(zeros, sizeof zeros);  // commit 3's record header; its payload follows
    } else {
      flip_byte(seg, commits[2] + 1, 0x10);  // commit 3's magic
    }

    auto plain = DB::open(dir.db(), o);
    ASSERT_FALSE(plain.ok()) << "a damaged header in the middle taken for the end of the log";
    EXPECT_EQ(plain.status().code(), Code::kCorruption);

    o.salvage = true;
    auto db = DB::open(dir.db(), o);
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    ASSERT_NO_FATAL_FAILURE(expect_all_but_commit_3(**db, 20));
  }
}

}  // namespace
}  // namespace streamdb
