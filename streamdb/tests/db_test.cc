// Behaviour of the public C++ API on the real file system.
#include "streamdb/db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "test_dir.h"

namespace streamdb {
namespace {

using testing::read_file;
using testing::TestDir;
using testing::write_file;

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (char& c : s)
    c = static_cast<char>(rng());
  return s;
}

// Also checks that the names-only listing agrees with list.
std::vector<std::string> listed(DB& db, std::string_view prefix, const ReadOptions& ro = {}) {
  std::vector<std::string> out;
  EXPECT_TRUE(db.list(ro, prefix, [&](const DocumentInfo& i) {
                  out.push_back(i.path);
                  return true;
                }).ok());
  std::vector<std::string> names;
  EXPECT_TRUE(db.list_paths(ro, prefix, [&](std::string_view path) {
                  names.emplace_back(path);
                  return true;
                }).ok());
  EXPECT_EQ(names, out);
  return out;
}

std::vector<std::string> found(DB& db, std::string_view suffix) {
  std::vector<std::string> out;
  EXPECT_TRUE(db.find_suffix({}, suffix, [&](const DocumentInfo& i) {
                  out.push_back(i.path);
                  return true;
                }).ok());
  return out;
}

class DBTest : public ::testing::Test {
 protected:
  void open(Options o = {}) {
    db_.reset();
    if (o.block_size == (1u << 20)) o.block_size = 4096;
    auto r = DB::open(dir_.db(), o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    db_ = std::move(*r);
  }
  void SetUp() override { open(); }
  std::string get(std::string_view path) {
    auto r = db_->get({}, path);
    return r.ok() ? *r : "<" + r.status().to_string() + ">";
  }

  TestDir dir_;
  std::unique_ptr<DB> db_;
  WriteOptions wo_;
};

TEST_F(DBTest, PutGetRoundTripsEverySizeAroundBlockBoundaries) {
  for (std::size_t n : {0, 1, 100, 4095, 4096, 4097, 3 * 4096, 50000}) {
    std::string path = "/sizes/" + std::to_string(n);
    std::string data = pattern(n, static_cast<unsigned>(n));
    ASSERT_TRUE(db_->put(wo_, path, data).ok());
    EXPECT_EQ(get(path), data) << n;
    auto info = db_->stat({}, path);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->size, n);
    EXPECT_EQ(info->path_count, 1u);
  }
  open();
  for (std::size_t n : {0, 1, 100, 4095, 4096, 4097, 3 * 4096, 50000}) {
    EXPECT_EQ(get("/sizes/" + std::to_string(n)), pattern(n, static_cast<unsigned>(n))) << n;
  }
}

TEST_F(DBTest, MissingPathsAndBadPathsAreClearErrors) {
  auto r = db_->get({}, "/nope");
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("/nope"), std::string::npos);
  EXPECT_EQ(db_->remove(wo_, "/nope").code(), Code::kNotFound);
  EXPECT_EQ(db_->put(wo_, "relative", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(db_->put(wo_, "/a/../b", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(db_->bind(wo_, "/nope", "/b").code(), Code::kNotFound);
  EXPECT_EQ(db_->rename(wo_, "/nope", "/b").code(), Code::kNotFound);
}

TEST_F(DBTest, OverwriteGivesNewGuidAndRemoveDeletes) {
  ASSERT_TRUE(db_->put(wo_, "/a", "one").ok());
  Guid first = db_->stat({}, "/a")->guid;
  ASSERT_TRUE(db_->put(wo_, "/a", "two").ok());
  EXPECT_EQ(get("/a"), "two");
  EXPECT_NE(db_->stat({}, "/a")->guid, first);
  EXPECT_EQ(db_->paths_of({}, first).status().code(), Code::kNotFound);
  ASSERT_TRUE(db_->remove(wo_, "/a").ok());
  EXPECT_EQ(db_->get({}, "/a").status().code(), Code::kNotFound);
  EXPECT_EQ(db_->stats().documents, 0u);
}

TEST_F(DBTest, BindSharesOneDocumentUntilItsLastPathGoes) {
  ASSERT_TRUE(db_->put(wo_, "/lib/kick.wav", "BOOM").ok());
  ASSERT_TRUE(db_->bind(wo_, "/lib/kick.wav", "/kits/rock/kick.wav").ok());
  auto a = db_->stat({}, "/lib/kick.wav");
  auto b = db_->stat({}, "/kits/rock/kick.wav");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->guid, b->guid);
  EXPECT_EQ(a->path_count, 2u);
  EXPECT_EQ(*db_->paths_of({}, a->guid),
            (std::vector<std::string>{"/kits/rock/kick.wav", "/lib/kick.wav"}));
  EXPECT_EQ(db_->stats().documents, 1u);
  EXPECT_EQ(db_->stats().paths, 2u);
  ASSERT_TRUE(db_->unbind(wo_, "/lib/kick.wav").ok());
  EXPECT_EQ(get("/kits/rock/kick.wav"), "BOOM");
  EXPECT_EQ(db_->stat({}, "/kits/rock/kick.wav")->path_count, 1u);
  ASSERT_TRUE(db_->rename(wo_, "/kits/rock/kick.wav", "/k.wav").ok());
  EXPECT_EQ(get("/k.wav"), "BOOM");
  EXPECT_EQ(db_->get({}, "/kits/rock/kick.wav").status().code(), Code::kNotFound);
  ASSERT_TRUE(db_->bind(wo_, "/k.wav", "/k2.wav").ok());
  ASSERT_TRUE(db_->remove_guid(wo_, a->guid).ok());
  EXPECT_EQ(db_->stats().paths, 0u);
  EXPECT_EQ(db_->stats().documents, 0u);
  EXPECT_EQ(db_->stats().live_bytes, 0u);
}

TEST_F(DBTest, BatchIsAllOrNothing) {
  ASSERT_TRUE(db_->put(wo_, "/keep", "k").ok());
  WriteBatch bad;
  bad.put("/b1", "1");
  bad.remove("/keep");
  bad.remove("/does-not-exist");
  EXPECT_EQ(db_->write(wo_, bad).code(), Code::kNotFound);
  EXPECT_EQ(get("/keep"), "k");
  EXPECT_EQ(db_->get({}, "/b1").status().code(), Code::kNotFound);

  WriteBatch good;
  good.put("/b1", "1");
  good.bind("/b1", "/b2");
  good.remove("/keep");
  good.put("/b3", "3");
  ASSERT_TRUE(db_->write(wo_, good).ok());
  // Live (a path bound to a document put in the same batch) and after recovery.
  for (int reopened = 0; reopened < 2; ++reopened) {
    if (reopened == 1) open();
    EXPECT_EQ(get("/b1"), "1");
    EXPECT_EQ(get("/b2"), "1");
    EXPECT_EQ(get("/b3"), "3");
    EXPECT_EQ(db_->get({}, "/keep").status().code(), Code::kNotFound);
  }
}

TEST_F(DBTest, ListByPrefixInOrderAndFindBySuffix) {
  for (const char* p : {"/samples/drums/snare.wav", "/samples/drums/kick.wav", "/samples/bass.aif",
                        "/presets/kick.wav.json", "/samples/drumsolo/kick.wav", "/kick.wav"}) {
    ASSERT_TRUE(db_->put(wo_, p, p).ok());
  }
  EXPECT_EQ(listed(*db_, "/samples/drums/"),
            (std::vector<std::string>{"/samples/drums/kick.wav", "/samples/drums/snare.wav"}));
  EXPECT_EQ(listed(*db_, "/samples/drums"),
            (std::vector<std::string>{"/samples/drums/kick.wav", "/samples/drums/snare.wav",
                                      "/samples/drumsolo/kick.wav"}));
  EXPECT_EQ(listed(*db_, "").size(), 6u);
  EXPECT_EQ(found(*db_, "/kick.wav"),
            (std::vector<std::string>{"/kick.wav", "/samples/drums/kick.wav",
                                      "/samples/drumsolo/kick.wav"}));
  EXPECT_EQ(found(*db_, ".wav").size(), 4u);
  EXPECT_TRUE(found(*db_, ".flac").empty());
  int visits = 0;
  ASSERT_TRUE(db_->list({}, "/", [&](const DocumentInfo&) { return ++visits < 2; }).ok());
  EXPECT_EQ(visits, 2);
  std::vector<std::string> first_two;
  ASSERT_TRUE(db_->list_paths({}, "/samples/",
                              [&](std::string_view p) {
                                first_two.emplace_back(p);
                                return first_two.size() < 2;
                              })
                  .ok());
  EXPECT_EQ(first_two, (std::vector<std::string>{"/samples/bass.aif", "/samples/drums/kick.wav"}));
}

TEST_F(DBTest, SecondOpenIsRefusedWithBusy) {
  auto second = DB::open(dir_.db(), {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  EXPECT_NE(second.status().message().find("pid"), std::string::npos);
}

// A read-only handle works beside the writer, sees the database as it was when opened, refuses
// every change, and leaves every file as it found it, even a torn tail and a missing LOCK.
TEST_F(DBTest, ReadOnlyOpenReadsBesideTheWriterAndChangesNothing) {
  const std::string big = pattern(10000, 3);  // three blocks of 4 KiB
  ASSERT_TRUE(db_->put(wo_, "/a/big.wav", big).ok());
  ASSERT_TRUE(db_->put(wo_, "/a/small.txt", "small").ok());
  ASSERT_TRUE(db_->bind(wo_, "/a/small.txt", "/b/alias.txt").ok());
  Options ro;
  ro.read_only = true;
  {
    auto reader = DB::open(dir_.db(), ro);
    ASSERT_TRUE(reader.ok()) << reader.status().to_string();
    auto second = DB::open(dir_.db(), ro);
    ASSERT_TRUE(second.ok()) << "read-only handles do not exclude each other";
    EXPECT_EQ(*(*reader)->get({}, "/a/big.wav"), big);
    ASSERT_TRUE(db_->put(wo_, "/a/later.txt", "later").ok());
    EXPECT_EQ((*reader)->get({}, "/a/later.txt").status().code(), Code::kNotFound);
    EXPECT_EQ(*(*second)->get({}, "/b/alias.txt"), "small");
  }
  db_.reset();

  // A torn tail, as a crash mid-append leaves it, and no LOCK file.
  std::filesystem::path seg = std::filesystem::path(dir_.db()) / "00000001.seg";
  {
    std::ofstream f(seg, std::ios::binary | std::ios::app);
    f << std::string(100, '\xab');
  }
  std::filesystem::remove(std::filesystem::path(dir_.db()) / "LOCK");
  const std::map<std::string, std::string> before = testing::dir_contents(dir_.db());
  {
    auto reader = DB::open(dir_.db(), ro);
    ASSERT_TRUE(reader.ok()) << reader.status().to_string();
    DB& r = **reader;
    EXPECT_EQ(listed(r, "/"), (std::vector<std::string>{"/a/big.wav", "/a/later.txt",
                                                        "/a/small.txt", "/b/alias.txt"}));
    EXPECT_EQ(*r.get({}, "/a/big.wav"), big);
    auto report = r.verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->clean());
    WriteBatch batch;
    batch.put("/c", "c");
    for (const Status& refused :
         {r.put(wo_, "/c", "c"), r.remove(wo_, "/a/small.txt"), r.bind(wo_, "/a/small.txt", "/c"),
          r.rename(wo_, "/a/big.wav", "/c"), r.write(wo_, batch), r.new_writer(wo_, "/c").status(),
          r.compact()}) {
      EXPECT_EQ(refused.code(), Code::kPermissionDenied) << refused.to_string();
    }
    EXPECT_TRUE(r.flush().ok());
    EXPECT_EQ(listed(r, "/").size(), 4u);
  }
  EXPECT_TRUE(testing::dir_contents(dir_.db()) == before) << "a read-only open changed the files";

  EXPECT_EQ(DB::open(dir_.path() + "/absent", ro).status().code(), Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/absent"));
  ro.salvage = true;
  EXPECT_EQ(DB::open(dir_.db(), ro).status().code(), Code::kInvalidArgument);

  open();  // a writer repairs the tail as before
  EXPECT_EQ(get("/a/later.txt"), "later");
  EXPECT_LT(std::filesystem::file_size(seg), before.at("00000001.seg").size());
}

// Read-only handles opened again and again while the writer keeps writing and compacting
// (segments rolled, rewritten and deleted under them): every open succeeds, and every document
// a handle lists reads back whole, as some version of it was written.
TEST_F(DBTest, ReadOnlyOpensBesideAWriterThatCompactsSeeWholeDocuments) {
  Options o;
  o.segment_size = 64 * 1024;
  open(o);
  auto content = [](int key, int version) {
    return "/k/" + std::to_string(key) + " v" + std::to_string(version) + " " +
           pattern(static_cast<std::size_t>(500 + (version * 977) % 9000),
                   static_cast<unsigned>(version));
  };
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int v = 0; !stop.load(); ++v) {
      ASSERT_TRUE(
          db_->put({.sync = v % 4 == 0}, "/k/" + std::to_string(v % 16), content(v % 16, v)).ok());
      if (v % 40 == 39) {
        ASSERT_TRUE(db_->compact().ok());
      }
      written.store(v + 1);
    }
  });
  Options ro;
  ro.read_only = true;
  int opens = 0;
  int checked = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < deadline || opens < 20) {
    auto reader = DB::open(dir_.db(), ro);
    ASSERT_TRUE(reader.ok()) << "open " << opens << ": " << reader.status().to_string();
    ++opens;
    for (const std::string& path : listed(**reader, "/k/")) {
      auto got = (*reader)->get({}, path);
      ASSERT_TRUE(got.ok()) << path << ": " << got.status().to_string();
      std::size_t v_at = got->find(" v");
      ASSERT_NE(v_at, std::string::npos) << path;
      int version = std::stoi(got->substr(v_at + 2));
      ASSERT_EQ(*got, content(std::stoi(path.substr(3)), version)) << path;
      ++checked;
    }
  }
  stop.store(true);
  writer.join();
  EXPECT_GT(written.load(), 200);
  EXPECT_GT(checked, 0);
}

TEST_F(DBTest, StreamingWriterAndReaderAndRangeReads) {
  std::string data = pattern(100000, 7);
  auto w = db_->new_writer(wo_, "/big.wav");
  ASSERT_TRUE(w.ok());
  for (std::size_t off = 0; off < data.size(); off += 777) {
    std::string_view piece = std::string_view(data).substr(off, 777);
    ASSERT_TRUE((*w)->append(std::as_bytes(std::span(piece.data(), piece.size()))).ok());
  }
  EXPECT_EQ(db_->get({}, "/big.wav").status().code(), Code::kNotFound);  // not yet visible
  ASSERT_TRUE((*w)->commit().ok());
  EXPECT_EQ(db_->stat({}, "/big.wav")->checksum, db_->stat({}, "/big.wav")->checksum);
  EXPECT_EQ(get("/big.wav"), data);

  auto r = db_->new_reader({}, "/big.wav");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->size(), data.size());
  std::string back;
  std::vector<std::byte> buf(1000);
  std::mt19937 rng(3);
  while (true) {
    std::size_t want = 1 + rng() % 9000;
    buf.resize(want);
    auto n = (*r)->read(buf);
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    back.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  EXPECT_EQ(back, data);

  for (std::uint64_t off : {0ull, 1ull, 4095ull, 4096ull, 50000ull, 99999ull, 100000ull}) {
    std::vector<std::byte> out(5000);
    auto n = db_->read_range({}, "/big.wav", off, out);
    ASSERT_TRUE(n.ok());
    std::size_t expect = std::min<std::size_t>(5000, data.size() - off);
    ASSERT_EQ(*n, expect);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.data()), *n), data.substr(off, expect));
  }
  w->reset();
  r->reset();
  open();
  EXPECT_EQ(get("/big.wav"), data);
}

TEST_F(DBTest, SnapshotKeepsItsViewWhileWritesContinue) {
  ASSERT_TRUE(db_->put(wo_, "/s/a", "old").ok());
  const Snapshot* snap = db_->get_snapshot();
  ASSERT_TRUE(db_->put(wo_, "/s/a", "new").ok());
  ASSERT_TRUE(db_->put(wo_, "/s/b", "b").ok());
  ReadOptions at;
  at.snapshot = snap;
  EXPECT_EQ(*db_->get(at, "/s/a"), "old");
  EXPECT_EQ(db_->get(at, "/s/b").status().code(), Code::kNotFound);
  EXPECT_EQ(listed(*db_, "/s/", at), std::vector<std::string>{"/s/a"});
  EXPECT_EQ(get("/s/a"), "new");
  db_->release_snapshot(snap);
}

TEST_F(DBTest, ConcurrentSyncedWritersShareFsyncs) {
  constexpr int kThreads = 8;
  constexpr int kPuts = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) {
        std::string p = "/t" + std::to_string(t) + "/" + std::to_string(i);
        if (!db_->put(wo_, p, p).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  Stats s = db_->stats();
  EXPECT_EQ(s.commits, static_cast<std::uint64_t>(kThreads * kPuts));
  EXPECT_LT(s.syncs, s.commits);  // group commit: followers ride on the leader's fdatasync
  EXPECT_EQ(s.paths, static_cast<std::uint64_t>(kThreads * kPuts));
  open();
  EXPECT_EQ(get("/t3/17"), "/t3/17");
}

TEST_F(DBTest, ReadersNeverSeeAPartialBatch) {
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!stop) {
      std::set<std::string> values;
      db_->list({}, "/pair/", [&](const DocumentInfo& i) {
        auto v = db_->get({}, i.path);
        if (v.ok()) values.insert(*v);
        return true;
      });
      const Snapshot* snap = db_->get_snapshot();
      ReadOptions ro;
      ro.snapshot = snap;
      auto a = db_->get(ro, "/pair/a");
      auto b = db_->get(ro, "/pair/b");
      if (a.ok() != b.ok() || (a.ok() && *a != *b)) ++torn;
      db_->release_snapshot(snap);
    }
  });
  for (int i = 0; i < 200; ++i) {
    WriteBatch batch;
    batch.put("/pair/a", std::to_string(i));
    batch.put("/pair/b", std::to_string(i));
    ASSERT_TRUE(db_->write({.sync = false}, batch).ok());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
}

TEST_F(DBTest, AsyncGetsDeliverResultsOnTheirOwnThread) {
  ASSERT_TRUE(db_->put(wo_, "/x", "value").ok());
  auto f = db_->get_future("/x");
  auto missing = db_->get_future("/missing");
  EXPECT_EQ(*f.get(), "value");
  EXPECT_EQ(missing.get().status().code(), Code::kNotFound);
  std::promise<std::thread::id> where;
  db_->get_async("/x", [&](Result<std::string> r) {
    EXPECT_TRUE(r.ok());
    where.set_value(std::this_thread::get_id());
  });
  EXPECT_NE(where.get_future().get(), std::this_thread::get_id());
}

// Small durable commits are written over zeros the log laid down ahead (an fdatasync then need
// not commit a new file size). The zeros never show: a reopen ends the log at the last record
// and continues there, and a segment that is rolled over keeps no zeros.
TEST_F(DBTest, SmallCommitsGoOverZerosThatReopenAndRollsCutOff) {
  namespace fs = std::filesystem;
  Options o;
  o.segment_size = 256 * 1024;
  open(o);
  auto segments = [&] {
    std::map<std::string, std::uintmax_t> out;
    for (const auto& e : fs::directory_iterator(dir_.db()))
      if (e.path().extension() == ".seg") out[e.path().filename()] = e.file_size();
    return out;
  };
  ASSERT_TRUE(db_->put(wo_, "/z/0", "first").ok());
  auto first = segments();
  ASSERT_EQ(first.size(), 1u);
  std::uintmax_t zeroed = first.begin()->second;
  EXPECT_GE(zeroed, o.segment_size / 2) << "no zeros ahead of the first small commit";
  for (int i = 1; i < 50; ++i)
    ASSERT_TRUE(db_->put(wo_, "/z/" + std::to_string(i), pattern(100, i)).ok());
  EXPECT_EQ(segments().begin()->second, zeroed) << "small commits grew the file";

  open(o);  // the zeros are cut off; the next commit follows the last record
  std::uintmax_t records = segments().begin()->second;
  EXPECT_LT(records, zeroed);
  ASSERT_TRUE(db_->put(wo_, "/z/50", "after reopen").ok());
  open(o);
  EXPECT_EQ(get("/z/0"), "first");
  EXPECT_EQ(get("/z/50"), "after reopen");
  EXPECT_GT(segments().begin()->second, records);

  // Enough small commits to roll over several segments: every full one ends at its last record.
  db_.reset();
  std::string committed_before = read_file(fs::path(dir_.db()) / "COMMITTED");
  open(o);
  // Synced commits: their watermarks put the zeros below the durable part of the log.
  for (int i = 51; i < 2000; ++i)
    ASSERT_TRUE(db_->put(wo_, "/z/" + std::to_string(i), pattern(300, i)).ok());
  auto rolled = segments();
  ASSERT_GE(rolled.size(), 3u);
  for (auto it = rolled.begin(); std::next(it) != rolled.end(); ++it)
    EXPECT_LT(it->second, o.segment_size) << it->first;
  // A crash between a roll and its cut can leave zeros after a full segment's records. The
  // crash also leaves COMMITTED as the last clean close wrote it, so the open walks the log.
  db_.reset();
  write_file(fs::path(dir_.db()) / "COMMITTED", committed_before);
  fs::path oldest = fs::path(dir_.db()) / rolled.begin()->first;
  {
    std::ofstream out(oldest, std::ios::binary | std::ios::app);
    out << std::string(8192, '\0');
  }
  open(o);
  EXPECT_EQ(fs::file_size(oldest), rolled.begin()->second);
  for (int i = 0; i < 2000; i += 37)
    EXPECT_EQ(get("/z/" + std::to_string(i)).size(), i == 0 ? 5u : (i < 50 ? 100u : 300u)) << i;
  auto report = db_->verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->damaged.empty());
  EXPECT_TRUE(report->notes.empty()) << report->notes.front();
}

TEST_F(DBTest, CompactReclaimsSpaceAndKeepsReadersAndDataIntact) {
  Options o;
  o.segment_size = 64 * 1024;
  open(o);
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(db_->put({.sync = false}, "/c/" + std::to_string(i),
                           pattern(5000, static_cast<unsigned>(round * 100 + i)))
                      .ok());
    }
  }
  ASSERT_TRUE(db_->bind(wo_, "/c/1", "/alias/1").ok());
  auto reader = db_->new_reader({}, "/c/3");
  ASSERT_TRUE(reader.ok());
  const Snapshot* snap = db_->get_snapshot();
  std::uint64_t before = db_->stats().file_bytes;
  ASSERT_TRUE(db_->compact().ok());
  EXPECT_LT(db_->stats().file_bytes, before / 2);
  // The reader and the snapshot started before compaction still read their data.
  std::string all(5000, '\0');
  auto n = (*reader)->read(std::as_writable_bytes(std::span(all.data(), all.size())));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(all, pattern(5000, 403));
  ReadOptions at;
  at.snapshot = snap;
  EXPECT_EQ(*db_->get(at, "/c/7"), pattern(5000, 407));
  db_->release_snapshot(snap);
  reader->reset();
  ASSERT_TRUE(db_->put(wo_, "/after", "compaction").ok());
  for (int reopen = 0; reopen < 2; ++reopen) {
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(get("/c/" + std::to_string(i)), pattern(5000, static_cast<unsigned>(400 + i)));
    }
    EXPECT_EQ(get("/alias/1"), pattern(5000, 401));
    EXPECT_EQ(get("/after"), "compaction");
    auto report = db_->verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->clean());
    EXPECT_EQ(report->documents_checked, 21u);
    open(o);
  }
}

TEST_F(DBTest, StreamingWriterOpenAcrossACompactionKeepsItsEarlyBlocks) {
  Options o;
  o.segment_size = 32 * 1024;
  open(o);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(db_->put({}, "/old/" + std::to_string(i), pattern(3000, i)).ok());
  std::string data = pattern(60000, 99);
  auto w = db_->new_writer(wo_, "/streamed.wav");
  ASSERT_TRUE(w.ok());
  auto append = [&](std::size_t from, std::size_t to) {
    std::string_view piece = std::string_view(data).substr(from, to - from);
    return (*w)->append(std::as_bytes(std::span(piece.data(), piece.size())));
  };
  ASSERT_TRUE(append(0, 30000).ok());  // blocks land in the segments compaction retires
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(db_->remove({}, "/old/" + std::to_string(i)).ok());
  ASSERT_TRUE(db_->compact().ok());
  ASSERT_TRUE(append(30000, data.size()).ok());
  ASSERT_TRUE((*w)->commit().ok());
  w->reset();
  EXPECT_EQ(get("/streamed.wav"), data);
  ASSERT_TRUE(db_->compact().ok());  // now nothing pins the old segments
  EXPECT_EQ(get("/streamed.wav"), data);
  open(o);
  EXPECT_EQ(get("/streamed.wav"), data);
  EXPECT_TRUE(db_->verify()->clean());
  EXPECT_LT(db_->stats().file_bytes, 3 * data.size());
}

TEST_F(DBTest, VerifyChecksEveryByte) {
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(db_->put(wo_, "/v/" + std::to_string(i), pattern(9000, i)).ok());
  auto report = db_->verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->clean());
  EXPECT_EQ(report->documents_checked, 10u);
  EXPECT_EQ(report->bytes_checked, 90000u);
}

// Reads go through a read-only mapping of the segment files; a byte changed under an open
// database (after the block was first read and mapped) must still be caught, by get, range
// reads and streaming reads alike, and never returned.
TEST_F(DBTest, DamageUnderAnOpenDatabaseIsCaughtByEveryReadPath) {
  std::string doc = pattern(3 * 4096 + 100, 7);
  ASSERT_TRUE(db_->put(wo_, "/m/doc", doc).ok());
  ASSERT_EQ(get("/m/doc"), doc);  // maps the segment
  std::string seg = dir_.db() + "/00000001.seg";
  std::string bytes;
  {
    std::ifstream in(seg, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::size_t at = bytes.find(doc.substr(4096 + 50, 64));
  ASSERT_NE(at, std::string::npos);
  {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(bytes[at] ^ 0x10));
  }
  auto whole = db_->get({}, "/m/doc");
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.status().code(), Code::kCorruption);
  EXPECT_NE(whole.status().message().find("/m/doc"), std::string::npos);
  std::string range(4096, 'x');
  auto n = db_->read_range({}, "/m/doc", 4096, std::as_writable_bytes(std::span(range)));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), Code::kCorruption);
  EXPECT_EQ(range.find(doc.substr(4096 + 50, 16)), std::string::npos) << "damaged block returned";
  // The undamaged first block still reads.
  auto first = db_->read_range({}, "/m/doc", 0, std::as_writable_bytes(std::span(range)));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(range, doc.substr(0, 4096));
  auto reader = db_->new_reader({}, "/m/doc");
  ASSERT_TRUE(reader.ok());
  std::string buf(doc.size(), '\0');
  auto r = (*reader)->read(std::as_writable_bytes(std::span(buf)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace streamdb
