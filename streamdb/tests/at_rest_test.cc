// zstd compression and encryption at rest.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "hash.h"
#include "record.h"
#include "streamdb/db.h"
#include "test_dir.h"

namespace streamdb {
namespace {

namespace fs = std::filesystem;

std::string noise(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s)
    c = static_cast<char>(rng());
  return s;
}

std::string silence_with_clicks(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 997)
    s[i] = 'x';
  return s;
}

// Every byte of every file in the database directory.
std::string all_file_bytes(const std::string& dir) {
  std::string all;
  for (const auto& [name, bytes] : streamdb::testing::dir_contents(dir))
    all += bytes;
  return all;
}

Result<std::unique_ptr<DB>> open_db(const std::string& dir, Compression c,
                                    const std::string& passphrase) {
  Options o;
  o.compression = c;
  o.passphrase = passphrase;
  o.block_size = 64 * 1024;
  return DB::open(dir, o);
}

// A get of path fails with kCorruption naming it (never returning data), and verify names it
// as the only damaged document.
void expect_only_damaged(DB& db, const std::string& path) {
  auto got = db.get({}, path);
  ASSERT_FALSE(got.ok()) << "damaged data returned for " << path;
  EXPECT_EQ(got.status().code(), Code::kCorruption);
  EXPECT_NE(got.status().message().find(path), std::string::npos) << got.status().message();
  auto report = db.verify();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->damaged.size(), 1u);
  EXPECT_EQ(report->damaged[0].path, path);
}

TEST(AtRestTest, CompressibleBlocksShrinkIncompressibleOnesAreStoredAsIs) {
  streamdb::testing::TestDir dir;
  auto db = open_db(dir.db(), Compression::kZstd, "");
  ASSERT_TRUE(db.ok());
  std::string quiet = silence_with_clicks(1'000'000);
  ASSERT_TRUE((*db)->put({}, "/quiet.wav", quiet).ok());
  std::uint64_t after_quiet = (*db)->stats().file_bytes;
  EXPECT_LT(after_quiet, quiet.size() / 10);
  std::string loud = noise(1'000'000, 1);
  ASSERT_TRUE((*db)->put({}, "/noise.wav", loud).ok());
  std::uint64_t noise_bytes = (*db)->stats().file_bytes - after_quiet;
  EXPECT_GE(noise_bytes, loud.size());                  // stored as is...
  EXPECT_LT(noise_bytes, loud.size() + 16 * 64 + 512);  // ...plus record headers only
  db->reset();
  // The compression setting is the database's: reopening without asking for it still works.
  db = open_db(dir.db(), Compression::kNone, "");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->get({}, "/quiet.wav"), quiet);
  EXPECT_EQ(*(*db)->get({}, "/noise.wav"), loud);
  std::vector<std::byte> part(100);
  auto n = (*db)->read_range({}, "/quiet.wav", 500'000, part);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(part.data()), *n),
            quiet.substr(500'000, 100));
  EXPECT_TRUE((*db)->verify()->clean());
}

TEST(AtRestTest, EncryptedDatabaseHidesContentAndPathsAndNeedsTheRightPassphrase) {
  streamdb::testing::TestDir dir;
  const std::string secret = "CONFIDENTIAL-SESSION-TAKE-7 ";
  std::string content;
  for (int i = 0; i < 2000; ++i)
    content += secret;
  {
    auto db = open_db(dir.db(), Compression::kZstd, "correct horse battery staple");
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    ASSERT_TRUE((*db)->put({}, "/sessions/secret-album/take7.wav", content).ok());
    auto w = (*db)->new_writer({}, "/sessions/secret-album/stream.wav");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->append(std::as_bytes(std::span(content.data(), content.size()))).ok());
    ASSERT_TRUE((*w)->commit().ok());
    w->reset();
    ASSERT_TRUE((*db)->compact().ok());
  }
  std::string bytes = all_file_bytes(dir.db());
  EXPECT_EQ(bytes.find("CONFIDENTIAL"), std::string::npos);
  EXPECT_EQ(bytes.find("secret-album"), std::string::npos);

  auto wrong = open_db(dir.db(), Compression::kNone, "Tr0ub4dor&3");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Code::kPermissionDenied);
  EXPECT_NE(wrong.status().message().find("wrong passphrase"), std::string::npos);
  auto none = open_db(dir.db(), Compression::kNone, "");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("passphrase is needed"), std::string::npos);

  auto db = open_db(dir.db(), Compression::kNone, "correct horse battery staple");
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  EXPECT_EQ(*(*db)->get({}, "/sessions/secret-album/take7.wav"), content);
  EXPECT_EQ(*(*db)->get({}, "/sessions/secret-album/stream.wav"), content);
  std::vector<std::string> found;
  (*db)->find_suffix({}, "take7.wav", [&](const DocumentInfo& i) {
    found.push_back(i.path);
    return true;
  });
  EXPECT_EQ(found, std::vector<std::string>{"/sessions/secret-album/take7.wav"});
  EXPECT_TRUE((*db)->verify()->clean());
}

TEST(AtRestTest, PassphraseForAPlainDatabaseIsRefused) {
  streamdb::testing::TestDir dir;
  ASSERT_TRUE(open_db(dir.db(), Compression::kNone, "").ok());
  auto db = open_db(dir.db(), Compression::kNone, "pass");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Code::kInvalidArgument);
  EXPECT_NE(db.status().message().find("not encrypted"), std::string::npos);
}

TEST(AtRestTest, TamperedEncryptedBlockIsReportedWithItsPath) {
  streamdb::testing::TestDir dir;
  std::string content = noise(300'000, 5);
  {
    auto db = open_db(dir.db(), Compression::kNone, "pw");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->put({}, "/a/victim.wav", content).ok());
  }
  {
    std::fstream f(fs::path(dir.db()) / "00000001.seg",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(150'000);
    f.put('!');
  }
  auto db = open_db(dir.db(), Compression::kNone, "pw");
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  expect_only_damaged(**db, "/a/victim.wav");
}

// Tampering by someone who can write the files and rewrites the checksums too: only the
// authentication tag can tell, and the changed plaintext must never be returned.
TEST(AtRestTest, TamperingThatAlsoRewritesTheChecksumsIsCaughtByTheAuthenticationTag) {
  streamdb::testing::TestDir dir;
  std::string content = noise(3000, 6);
  {
    auto db = open_db(dir.db(), Compression::kNone, "pw");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->put({}, "/a/victim.wav", content).ok());
  }
  fs::path seg = fs::path(dir.db()) / "00000001.seg";
  std::string bytes;
  {
    std::ifstream f(seg, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bool tampered = false;
  for (std::size_t off = 0; off + internal::kRecordHeaderSize <= bytes.size();) {
    auto* at = reinterpret_cast<std::byte*>(bytes.data() + off);
    internal::RecordHeader h;
    ASSERT_TRUE(internal::decode_header(at, &h)) << "record header at " << off;
    if (h.type == internal::RecordType::kBlock) {
      char* payload = bytes.data() + off + internal::kRecordHeaderSize;
      std::uint64_t before = internal::xxh3(payload, h.payload_len);
      payload[h.payload_len / 2] = static_cast<char>(payload[h.payload_len / 2] ^ 0x01);
      h.payload_checksum ^= before ^ internal::xxh3(payload, h.payload_len);
      internal::encode_header(h, at);
      tampered = true;
      break;
    }
    off += internal::kRecordHeaderSize + h.payload_len;
  }
  ASSERT_TRUE(tampered) << "no block record found";
  {
    std::ofstream f(seg, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  auto db = open_db(dir.db(), Compression::kNone, "pw");
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  expect_only_damaged(**db, "/a/victim.wav");
}

}  // namespace
}  // namespace streamdb
