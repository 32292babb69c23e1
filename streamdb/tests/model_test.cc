// Thousands of random operations against StreamDB and an in-memory model of what it should
// hold, with reopens and compactions in between; every read is compared with the model.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "streamdb/db.h"
#include "test_dir.h"

namespace streamdb {
namespace {

struct Model {
  std::map<std::string, int> path_doc;  // path -> document id
  std::map<int, std::string> content;   // document id -> bytes
  int next_id = 1;

  void put(const std::string& p, std::string data) {
    remove(p);
    content[next_id] = std::move(data);
    path_doc[p] = next_id++;
  }
  bool remove(const std::string& p) {
    auto it = path_doc.find(p);
    if (it == path_doc.end()) return false;
    int id = it->second;
    path_doc.erase(it);
    if (count(id) == 0) content.erase(id);
    return true;
  }
  bool bind(const std::string& from, const std::string& to) {
    auto it = path_doc.find(from);
    if (it == path_doc.end()) return false;
    int id = it->second;
    if (path_doc.count(to) != 0 && path_doc[to] == id) return true;
    remove(to);
    path_doc[to] = id;
    return true;
  }
  std::uint32_t count(int id) const {
    std::uint32_t n = 0;
    for (const auto& [p, d] : path_doc)
      n += d == id ? 1 : 0;
    return n;
  }
};

class ModelTest : public ::testing::TestWithParam<bool> {
 protected:
  void reopen() {
    db_.reset();
    Options o;
    o.block_size = 4096;
    o.segment_size = 128 * 1024;
    if (GetParam()) {  // the same run with zstd and encryption at rest
      o.compression = Compression::kZstd;
      o.passphrase = "model";
    }
    auto r = DB::open(dir_.db(), o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    db_ = std::move(*r);
  }

  std::string random_path() {
    static const char* kDirs[] = {"/drums", "/drums/kits", "/bass", "/fx"};
    static const char* kExt[] = {".wav", ".aif", ".json"};
    return std::string(kDirs[rng_() % 4]) + "/s" + std::to_string(rng_() % 8) + kExt[rng_() % 3];
  }
  std::string random_data() {
    std::size_t n = rng_() % 4 == 0 ? rng_() % 20000 : rng_() % 300;
    std::string s(n, '\0');
    unsigned seed = static_cast<unsigned>(rng_());
    for (std::size_t i = 0; i < n; ++i)
      s[i] = static_cast<char>((seed + i * 31) >> 3);
    return s;
  }

  void check_all() {
    std::vector<std::string> listed;
    ASSERT_TRUE(db_->list({}, "",
                          [&](const DocumentInfo& i) {
                            listed.push_back(i.path);
                            auto it = model_.path_doc.find(i.path);
                            EXPECT_NE(it, model_.path_doc.end()) << i.path;
                            if (it != model_.path_doc.end()) {
                              EXPECT_EQ(i.size, model_.content[it->second].size()) << i.path;
                              EXPECT_EQ(i.path_count, model_.count(it->second)) << i.path;
                            }
                            return true;
                          })
                    .ok());
    std::vector<std::string> want;
    for (const auto& [p, id] : model_.path_doc)
      want.push_back(p);
    ASSERT_EQ(listed, want);
    for (const auto& [p, id] : model_.path_doc) {
      auto got = db_->get({}, p);
      ASSERT_TRUE(got.ok()) << p << ": " << got.status().to_string();
      ASSERT_EQ(*got, model_.content[id]) << p;
    }
    std::vector<std::string> wavs;
    ASSERT_TRUE(db_->find_suffix({}, ".wav",
                                 [&](const DocumentInfo& i) {
                                   wavs.push_back(i.path);
                                   return true;
                                 })
                    .ok());
    std::vector<std::string> want_wavs;
    for (const auto& p : want) {
      if (p.size() >= 4 && p.compare(p.size() - 4, 4, ".wav") == 0) want_wavs.push_back(p);
    }
    EXPECT_EQ(wavs, want_wavs);
    Stats st = db_->stats();
    EXPECT_EQ(st.paths, model_.path_doc.size());
    EXPECT_EQ(st.documents, model_.content.size());
  }

  void step() {
    WriteOptions wo;
    wo.sync = rng_() % 8 == 0;
    int op = static_cast<int>(rng_() % 100);
    std::string p = random_path();
    if (op < 30) {
      std::string data = random_data();
      ASSERT_TRUE(db_->put(wo, p, data).ok());
      model_.put(p, data);
    } else if (op < 40) {
      std::string data = random_data();
      auto w = db_->new_writer(wo, p);
      ASSERT_TRUE(w.ok());
      for (std::size_t off = 0; off < data.size(); off += 1000) {
        std::string_view piece = std::string_view(data).substr(off, 1000);
        ASSERT_TRUE((*w)->append(std::as_bytes(std::span(piece.data(), piece.size()))).ok());
      }
      if (rng_() % 5 == 0) return;  // abandoned writer: nothing may become visible
      ASSERT_TRUE((*w)->commit().ok());
      model_.put(p, data);
    } else if (op < 52) {
      Status s = db_->remove(wo, p);
      EXPECT_EQ(s.ok(), model_.remove(p)) << s.to_string();
    } else if (op < 62) {
      std::string to = random_path();
      Status s = db_->bind(wo, p, to);
      EXPECT_EQ(s.ok(), model_.bind(p, to)) << s.to_string();
    } else if (op < 68) {
      std::string to = random_path();
      Status s = db_->rename(wo, p, to);
      bool exists = model_.path_doc.count(p) != 0;
      EXPECT_EQ(s.ok(), exists) << s.to_string();
      if (exists && p != to) {
        model_.bind(p, to);
        model_.remove(p);
      }
    } else if (op < 72) {
      auto info = db_->stat({}, p);
      ASSERT_EQ(info.ok(), model_.path_doc.count(p) != 0);
      if (!info.ok()) return;
      int id = model_.path_doc[p];
      auto paths = db_->paths_of({}, info->guid);
      ASSERT_TRUE(paths.ok());
      std::vector<std::string> want;
      for (const auto& [q, d] : model_.path_doc) {
        if (d == id) want.push_back(q);
      }
      EXPECT_EQ(*paths, want);
      ASSERT_TRUE(db_->remove_guid(wo, info->guid).ok());
      for (const auto& q : want)
        model_.remove(q);
    } else if (op < 88) {
      WriteBatch batch;
      Model next = model_;
      bool ok = true;
      int n = 1 + static_cast<int>(rng_() % 5);
      for (int i = 0; i < n; ++i) {
        std::string q = random_path();
        int kind = static_cast<int>(rng_() % 3);
        if (kind == 0) {
          std::string data = random_data();
          batch.put(q, data);
          next.put(q, data);
        } else if (kind == 1) {
          batch.remove(q);
          ok = next.remove(q) && ok;
        } else {
          std::string to = random_path();
          batch.bind(q, to);
          ok = next.bind(q, to) && ok;
        }
      }
      Status s = db_->write(wo, batch);
      EXPECT_EQ(s.ok(), ok) << s.to_string();
      if (s.ok()) model_ = std::move(next);
    } else if (op < 96) {
      auto got = db_->get({}, p);
      auto it = model_.path_doc.find(p);
      ASSERT_EQ(got.ok(), it != model_.path_doc.end());
      if (got.ok()) {
        ASSERT_EQ(*got, model_.content[it->second]);
      }
    } else if (op < 98) {
      ASSERT_TRUE(db_->flush().ok());
    } else {
      std::string prefix = p.substr(0, p.find('/', 1) + 1);
      std::vector<std::string> got;
      db_->list({}, prefix, [&](const DocumentInfo& i) {
        got.push_back(i.path);
        return true;
      });
      std::vector<std::string> want;
      for (auto it = model_.path_doc.lower_bound(prefix);
           it != model_.path_doc.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        want.push_back(it->first);
      }
      EXPECT_EQ(got, want);
    }
  }

  streamdb::testing::TestDir dir_;
  std::unique_ptr<DB> db_;
  Model model_;
  std::mt19937_64 rng_{20240601};
};

TEST_P(ModelTest, RandomOperationsWithReopenAndCompactionMatchTheModel) {
  reopen();
  constexpr int kSteps = 4000;
  for (int i = 1; i <= kSteps; ++i) {
    ASSERT_NO_FATAL_FAILURE(step()) << "step " << i;
    if (i % 400 == 0) {
      ASSERT_NO_FATAL_FAILURE(check_all()) << "step " << i;
      reopen();
      ASSERT_NO_FATAL_FAILURE(check_all()) << "after reopen at step " << i;
    }
    if (i % 900 == 0) {
      std::uint64_t before = db_->stats().file_bytes;
      ASSERT_TRUE(db_->compact().ok());
      EXPECT_LE(db_->stats().file_bytes, before);
      ASSERT_NO_FATAL_FAILURE(check_all()) << "after compaction at step " << i;
    }
  }
  auto report = db_->verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->clean());
  EXPECT_TRUE(report->notes.empty());
}

INSTANTIATE_TEST_SUITE_P(Storage, ModelTest, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "ZstdEncrypted" : "Plain"; });

}  // namespace
}  // namespace streamdb
