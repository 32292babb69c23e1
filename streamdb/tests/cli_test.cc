// The streamdb tool: commands, --json output, exit codes and error lines.
#include "cli.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fault_env.h"
#include "streamdb/db.h"
#include "test_dir.h"

namespace streamdb {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::write_file;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  CliRun run(std::vector<std::string> args, const std::string& input = "", bool tty = false) {
    return run_in(dir_.db(), std::move(args), input, tty);
  }
  // The same, on the database in db_dir.
  static CliRun run_in(const std::string& db_dir, std::vector<std::string> args,
                       const std::string& input = "", bool tty = false, Env* env = nullptr) {
    args.insert(args.begin(), {"streamdb", "-d", db_dir});
    std::vector<const char*> argv;
    for (const auto& a : args)
      argv.push_back(a.c_str());
    std::istringstream in(input);
    std::ostringstream out, err;
    int code = cli::run(static_cast<int>(argv.size()), argv.data(), {in, out, err, tty, env});
    return {code, out.str(), err.str()};
  }
  static bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

  streamdb::testing::TestDir dir_;
};

TEST_F(CliTest, PutGetFromStdinAndFiles) {
  std::string binary("RIFF\0\0\x01\xffWAVE", 12);
  EXPECT_EQ(run({"put", "/a/kick.wav", "-"}, binary).code, 0);
  CliRun got = run({"get", "/a/kick.wav"});
  EXPECT_EQ(got.code, 0);
  EXPECT_EQ(got.out, binary);
  fs::path src = fs::path(dir_.path()) / "in.bin";
  write_file(src, std::string(3'000'000, 'z'));
  EXPECT_EQ(run({"put", "/a/big.bin", src.string()}).code, 0);
  fs::path dst = fs::path(dir_.path()) / "out.bin";
  EXPECT_EQ(run({"get", "/a/big.bin", "-o", dst.string()}).code, 0);
  EXPECT_EQ(read_file(dst), std::string(3'000'000, 'z'));
}

TEST_F(CliTest, ExitCodesAndOneLineErrors) {
  ASSERT_EQ(run({"put", "/x"}, "x").code, 0);
  CliRun missing = run({"get", "/nope"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(one_line(missing.err)) << missing.err;
  EXPECT_NE(missing.err.find("/nope"), std::string::npos);
  EXPECT_EQ(run({"rm", "/nope"}).code, 1);
  EXPECT_EQ(run({"stat", "/nope"}).code, 1);
  for (const auto& bad : std::vector<std::vector<std::string>>{{"frobnicate"},
                                                               {"get"},
                                                               {"mv", "/x"},
                                                               {"--bogus", "ls"},
                                                               {"rm", "/x", "--json"},
                                                               {"put", "relative/path"},
                                                               {"put", "rel\nat\rive"},
                                                               {"put", "/dir", "/"},
                                                               {"ls", "-o", "f"}}) {
    CliRun r = run(bad);
    EXPECT_EQ(r.code, 2) << bad[0];
    EXPECT_TRUE(one_line(r.err)) << bad[0] << ": " << r.err;
  }
  CliRun two_lines = run({"get", "/two\nlines"});  // the path is echoed, escaped
  EXPECT_EQ(two_lines.code, 1);
  EXPECT_TRUE(one_line(two_lines.err)) << two_lines.err;
  CliRun no_db = run({"ls"});
  EXPECT_EQ(no_db.code, 0);
  streamdb::testing::TestDir other;
  CliRun missing_db = run_in(other.path() + "/absent", {"ls"});
  EXPECT_EQ(missing_db.code, 2);
  EXPECT_NE(missing_db.err.find("no database"), std::string::npos) << missing_db.err;
}

// While another process writes, commands that change the database fail with one clear line;
// commands that only read open it read-only and work.
TEST_F(CliTest, LockedDatabaseRefusesWritesAndServesReads) {
  ASSERT_EQ(run({"put", "/x"}, "x").code, 0);
  auto db = DB::open(dir_.db(), {});
  ASSERT_TRUE(db.ok());
  for (const auto& write : std::vector<std::vector<std::string>>{
           {"rm", "/x"}, {"put", "/y"}, {"mv", "/x", "/z"}, {"compact"}}) {
    CliRun r = run(write, "y");
    EXPECT_EQ(r.code, 3) << write[0];
    EXPECT_TRUE(one_line(r.err)) << r.err;
    EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;
  }
  EXPECT_EQ(run({"ls"}).out, "/x\n");
  EXPECT_EQ(run({"get", "/x"}).out, "x");
  EXPECT_EQ(run({"verify"}).code, 0);
  ASSERT_TRUE((*db)->put({}, "/w", "written meanwhile").ok());
  EXPECT_EQ(run({"ls"}).out, "/w\n/x\n");  // each command opens afresh
}

// A database on read-only media (a read-only bind mount, as the Nix store is): the reading
// commands work, a write fails with one line. Needs the right to mount (root), else skipped.
TEST_F(CliTest, ReadingCommandsWorkOnReadOnlyMedia) {
  ASSERT_EQ(run({"put", "/kit/kick.wav"}, "KICK").code, 0);
  fs::path ro = fs::path(dir_.path()) / "ro";
  fs::create_directory(ro);
  if (::mount(dir_.db().c_str(), ro.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    GTEST_SKIP() << "cannot bind-mount here (" << std::strerror(errno) << ")";
  }
  if (::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    ::umount2(ro.c_str(), MNT_DETACH);
    GTEST_SKIP() << "cannot remount read-only here (" << std::strerror(errno) << ")";
  }
  CliRun ls = run_in(ro, {"ls"});
  EXPECT_EQ(ls.code, 0) << ls.err;
  EXPECT_EQ(ls.out, "/kit/kick.wav\n");
  EXPECT_EQ(run_in(ro, {"get", "/kit/kick.wav"}).out, "KICK");
  EXPECT_EQ(run_in(ro, {"verify"}).code, 0);
  CliRun refused = run_in(ro, {"rm", "/kit/kick.wav"});
  EXPECT_EQ(refused.code, 3);
  EXPECT_TRUE(one_line(refused.err)) << refused.err;
  EXPECT_EQ(::umount2(ro.c_str(), MNT_DETACH), 0);
}

// An encrypted database through the tool: the passphrase from a file, reading commands (which
// open read-only) included; no passphrase or a wrong one is one clear line and a nonzero exit.
TEST_F(CliTest, EncryptedDatabaseNeedsItsPassphrase) {
  fs::path right = fs::path(dir_.path()) / "pass";
  fs::path wrong = fs::path(dir_.path()) / "wrong";
  write_file(right, "correct horse battery staple\n");
  write_file(wrong, "tr0ub4dor\n");
  ASSERT_EQ(run({"--passphrase-file", right.string(), "put", "/kick.wav"}, "KICK").code, 0);
  EXPECT_EQ(run({"--passphrase-file", right.string(), "get", "/kick.wav"}).out, "KICK");
  EXPECT_EQ(run({"--passphrase-file", right.string(), "ls"}).out, "/kick.wav\n");
  CliRun none = run({"ls"});
  EXPECT_EQ(none.code, 2);
  EXPECT_TRUE(one_line(none.err)) << none.err;
  EXPECT_NE(none.err.find("passphrase"), std::string::npos) << none.err;
  CliRun bad = run({"--passphrase-file", wrong.string(), "get", "/kick.wav"});
  EXPECT_NE(bad.code, 0);
  EXPECT_TRUE(bad.out.empty());
  EXPECT_TRUE(one_line(bad.err)) << bad.err;
  EXPECT_NE(bad.err.find("wrong passphrase"), std::string::npos) << bad.err;
}

// A database is created only in a new or empty directory, never among a user's own files.
TEST_F(CliTest, NoDatabaseIsCreatedAmongOtherFiles) {
  fs::path samples = fs::path(dir_.path()) / "samples";
  write_file(samples / "kick.wav", "KICK");
  CliRun refused = run_in(samples, {"import", samples.string()});
  EXPECT_EQ(refused.code, 2);
  EXPECT_TRUE(one_line(refused.err)) << refused.err;
  EXPECT_NE(refused.err.find("holds other files"), std::string::npos) << refused.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(samples), fs::directory_iterator()), 1);
  fs::path empty = fs::path(dir_.path()) / "empty";
  fs::create_directory(empty);
  EXPECT_EQ(run_in(empty, {"import", samples.string()}).code, 0);
  ASSERT_EQ(run({"put", "/x"}, "x").code, 0);  // an existing database takes more
  ASSERT_EQ(run({"put", "/y"}, "y").code, 0);
}

TEST_F(CliTest, ListFindStatStatsVerifyWithJson) {
  for (const char* p : {"/s/drums/kick.wav", "/s/drums/snare.wav", "/s/bass/kick.wav.txt"}) {
    ASSERT_EQ(run({"put", p}, p).code, 0);
  }
  EXPECT_EQ(run({"ls", "/s/drums/"}).out, "/s/drums/kick.wav\n/s/drums/snare.wav\n");
  EXPECT_EQ(run({"find", "kick.wav"}).out, "/s/drums/kick.wav\n");
  auto ls = nlohmann::json::parse(run({"ls", "--json"}).out);
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_EQ(ls[0]["path"], "/s/bass/kick.wav.txt");
  EXPECT_EQ(ls[0]["size"], std::string("/s/bass/kick.wav.txt").size());
  auto found = nlohmann::json::parse(run({"find", ".wav", "--json"}).out);
  EXPECT_EQ(found.size(), 2u);
  ASSERT_EQ(run({"bind", "/s/drums/kick.wav", "/kit/kick.wav"}).code, 0);
  auto st = nlohmann::json::parse(run({"stat", "/kit/kick.wav", "--json"}).out);
  EXPECT_EQ(st["path_count"], 2);
  EXPECT_EQ(st["guid"].get<std::string>().size(), 36u);
  CliRun human = run({"stat", "/kit/kick.wav"});
  EXPECT_NE(human.out.find("paths     2"), std::string::npos) << human.out;
  ASSERT_EQ(run({"mv", "/kit/kick.wav", "/kit/k.wav"}).code, 0);
  ASSERT_EQ(run({"rm", "/s/drums/snare.wav"}).code, 0);
  auto stats = nlohmann::json::parse(run({"stats", "--json"}).out);
  EXPECT_EQ(stats["paths"], 3);
  EXPECT_EQ(stats["documents"], 2);
  auto verify = nlohmann::json::parse(run({"verify", "--json"}).out);
  EXPECT_EQ(verify["clean"], true);
  EXPECT_EQ(verify["documents_checked"], 2);
  EXPECT_EQ(run({"compact"}).code, 0);
  EXPECT_EQ(run({"get", "/kit/k.wav"}).out, "/s/drums/kick.wav");
}

TEST_F(CliTest, VerifyReportsDamagedDataWithExitTwo) {
  ASSERT_EQ(run({"put", "/victim.wav"}, std::string(200000, 'v')).code, 0);
  fs::path seg = fs::path(dir_.db()) / "00000001.seg";
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100000);
    f.put('X');
  }
  CliRun r = run({"verify"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("/victim.wav"), std::string::npos) << r.out;
  EXPECT_TRUE(one_line(r.err));
  CliRun get = run({"get", "/victim.wav"});
  EXPECT_EQ(get.code, 2);
  EXPECT_NE(get.err.find("/victim.wav"), std::string::npos);
  auto json = nlohmann::json::parse(run({"verify", "--json"}).out);
  EXPECT_EQ(json["clean"], false);
  EXPECT_EQ(json["damaged"][0]["path"], "/victim.wav");
}

// A document found damaged after some of its blocks were written out leaves no partial file,
// from get -o or export: a truncated file would look like a complete one.
TEST_F(CliTest, DamageFoundMidwayLeavesNoPartialFile) {
  std::string big(2500000, 'b');  // three blocks of 1 MiB; the third is damaged
  ASSERT_EQ(run({"put", "/kit/a-good.wav"}, "GOOD").code, 0);
  ASSERT_EQ(run({"put", "/kit/b-victim.wav"}, big).code, 0);
  fs::path seg = fs::path(dir_.db()) / "00000001.seg";
  std::string bytes = read_file(seg);
  std::size_t last_b = bytes.rfind(std::string(64, 'b'));
  ASSERT_NE(last_b, std::string::npos);
  ASSERT_GT(last_b, 2u << 20);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(last_b));
    f.put('X');
  }
  fs::path out = fs::path(dir_.path()) / "out";
  CliRun exp = run({"export", "/kit/", out.string()});
  EXPECT_EQ(exp.code, 2) << exp.err;
  EXPECT_NE(exp.err.find("/kit/b-victim.wav"), std::string::npos) << exp.err;
  EXPECT_EQ(read_file(out / "a-good.wav"), "GOOD");
  CliRun get = run({"get", "/kit/b-victim.wav", "-o", (out / "got.wav").string()});
  EXPECT_EQ(get.code, 2) << get.err;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out))
    names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"a-good.wav"});
}

TEST_F(CliTest, ImportAndExportATree) {
  fs::path lib = fs::path(dir_.path()) / "lib";
  write_file(lib / "drums/kick.wav", "KICK");
  write_file(lib / "drums/snare.wav", std::string(70000, 's'));
  write_file(lib / "bass/sub.wav", "SUB");
  CliRun imp = run({"import", lib.string(), "/samples"}, "", true);
  ASSERT_EQ(imp.code, 0) << imp.err;
  EXPECT_NE(imp.out.find("imported 3 files"), std::string::npos);
  EXPECT_NE(imp.err.find("3/3 files"), std::string::npos) << "progress bar on a terminal";
  EXPECT_EQ(run({"ls", "/samples/"}).out,
            "/samples/bass/sub.wav\n/samples/drums/kick.wav\n/samples/drums/snare.wav\n");
  EXPECT_TRUE(run({"import", lib.string(), "/again"}, "", false).err.empty());
  fs::path out = fs::path(dir_.path()) / "out";
  ASSERT_EQ(run({"export", "/samples/drums/", out.string()}).code, 0);
  EXPECT_EQ(read_file(out / "kick.wav"), "KICK");
  EXPECT_EQ(read_file(out / "snare.wav"), std::string(70000, 's'));
  EXPECT_EQ(run({"export", "/nothing/", out.string()}).code, 1);
  EXPECT_EQ(run({"import", (lib / "missing").string()}).code, 1);
}

// A symbolic link to a file is imported under the link's own name (not the target's, and not
// outside the prefix when the target is elsewhere); links to directories are not followed, and
// what is not a regular file is skipped and reported.
TEST_F(CliTest, ImportKeepsLinkNamesAndReportsWhatItSkips) {
  fs::path lib = fs::path(dir_.path()) / "lib";
  fs::path elsewhere = fs::path(dir_.path()) / "elsewhere.wav";
  write_file(lib / "kick.wav", "KICK");
  write_file(elsewhere, "FAR");
  fs::create_symlink("kick.wav", lib / "alias.wav");
  fs::create_symlink(elsewhere, lib / "far.wav");
  fs::create_directory_symlink("..", lib / "loop");
  fs::create_symlink(lib / "missing.wav", lib / "dangling.wav");
  ASSERT_EQ(::mkfifo((lib / "pipe").c_str(), 0644), 0);
  CliRun imp = run({"import", lib.string(), "/s"});
  ASSERT_EQ(imp.code, 0) << imp.err;
  EXPECT_NE(imp.out.find("imported 3 files"), std::string::npos) << imp.out;
  EXPECT_NE(imp.out.find("skipped 3 that are not regular files"), std::string::npos) << imp.out;
  EXPECT_NE(imp.out.find("pipe"), std::string::npos) << imp.out;
  EXPECT_EQ(run({"ls"}).out, "/s/alias.wav\n/s/far.wav\n/s/kick.wav\n");
  EXPECT_EQ(run({"get", "/s/alias.wav"}).out, "KICK");
  EXPECT_EQ(run({"get", "/s/far.wav"}).out, "FAR");
}

TEST_F(CliTest, ImportSyncsAlongTheWaySoAPowerLossKeepsWhatCameBefore) {
  // Twelve files of 8 MiB: the import syncs after the eighth (64 MiB). The power fails while
  // the eleventh is written; the first eight must survive, and nothing after them.
  fs::path src = fs::path(dir_.path()) / "src";
  auto content = [](int i) {
    std::string data(8 << 20, '\0');
    for (std::size_t k = 0; k < data.size(); k += 4096)
      data[k] = static_cast<char>(i * 7 + k / 4096);
    return data;
  };
  for (int i = 0; i < 12; ++i)
    write_file(src / ("s" + std::to_string(10 + i) + ".wav"), content(i));

  // A first import counts the writes, so the second can lose power at the same point of it.
  streamdb::testing::FaultEnv counting;
  fs::path dry = fs::path(dir_.path()) / "dry";
  ASSERT_EQ(run_in(dry.string(), {"import", src.string()}, "", false, &counting).code, 0);
  int writes = counting.writes();

  streamdb::testing::FaultEnv env;
  env.power_loss_after_writes(writes * 10 / 12, /*torn=*/false, 1);
  CliRun cut = run_in(dir_.db(), {"import", src.string()}, "", false, &env);
  EXPECT_NE(cut.code, 0);
  EXPECT_TRUE(one_line(cut.err)) << cut.err;
  ASSERT_TRUE(env.dead());
  env.restart();

  CliRun ls = run_in(dir_.db(), {"ls"}, "", false, &env);
  ASSERT_EQ(ls.code, 0) << ls.err;
  std::string expected;
  for (int i = 0; i < 8; ++i)
    expected += "/s" + std::to_string(10 + i) + ".wav\n";
  EXPECT_EQ(ls.out, expected);
  for (int i = 0; i < 8; i += 7) {
    std::string path = "/s" + std::to_string(10 + i) + ".wav";
    EXPECT_TRUE(run_in(dir_.db(), {"get", path}, "", false, &env).out == content(i)) << path;
  }
}

}  // namespace
}  // namespace streamdb
