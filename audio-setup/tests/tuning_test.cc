// apply / rollback into a temporary copy of a fixture tree (byte-for-byte restore, idempotence,
// dry run, NixOS refusal) and `audio-setup nix` snippets that parse with nix-instantiate.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace audio_setup {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

const std::string kFixtures = AUDIO_SETUP_FIXTURES;

// Every directory, file (with its bytes) and link (with its target) under root.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    std::string rel = fs::relative(it->path(), root).string();
    if (it->is_symlink()) {
      out[rel] = "link -> " + fs::read_symlink(it->path()).string();
      it.disable_recursion_pending();
    } else if (it->is_directory()) {
      out[rel] = "dir";
    } else {
      std::ifstream in(it->path(), std::ios::binary);
      out[rel] = "file " + std::string((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
    }
  }
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class TuningTest : public ::testing::Test {
 protected:
  fs::path copy_fixture(const std::string& name) {
    fs::path dst =
        fs::temp_directory_path() / ("audio_setup_tuning_" + std::to_string(getpid()) + "_" + name);
    fs::remove_all(dst);
    fs::copy(kFixtures + "/" + name, dst,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    dirs_.push_back(dst);
    return dst;
  }
  void TearDown() override {
    for (const fs::path& d : dirs_)
      fs::remove_all(d);
  }
  std::vector<fs::path> dirs_;
};

TEST_F(TuningTest, ApplyThenRollbackRestoresTheTreeByteForByte) {
  fs::path root = copy_fixture("debian-desktop");
  auto before = snapshot(root);

  auto r = run_cli("apply --root " + root.string());
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_NE(read(root / "etc/sysctl.d/90-audio-setup.conf").find("vm.swappiness = 10\n"),
            std::string::npos);
  EXPECT_NE(read(root / "etc/security/limits.d/95-audio-setup.conf").find("@audio - rtprio 95"),
            std::string::npos);
  EXPECT_NE(read(root / "etc/udev/rules.d/90-audio-setup.rules").find("cpu_dma_latency"),
            std::string::npos);
  EXPECT_EQ(read(root / "proc/sys/vm/swappiness"), "10\n");
  EXPECT_EQ(read(root / "sys/devices/system/cpu/cpu3/cpufreq/scaling_governor"), "performance\n");
  EXPECT_TRUE(fs::exists(root / "var/lib/audio-setup/journal.json"));

  // What apply fixed now checks out.
  auto check = nlohmann::json::parse(run_cli("check --json --root " + root.string()).out);
  std::map<std::string, std::string> status;
  for (const auto& c : check["checks"])
    status[c["id"]] = c["status"];
  for (const char* fixed : {"swappiness", "cpu_governor", "cpu_dma_latency_access",
                            "transparent_hugepages", "rtc_max_user_freq", "inotify_watches"}) {
    EXPECT_EQ(status[fixed], "ok") << fixed;
  }
  EXPECT_EQ(status["rtprio_limit"], "fail") << "limits apply at the next login, not now";

  r = run_cli("rollback --root " + root.string());
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_EQ(snapshot(root), before);
  r = run_cli("rollback --root " + root.string());
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_NE(r.out.find("nothing to roll back"), std::string::npos);
}

TEST_F(TuningTest, ApplyIsIdempotentAndKeepsTheFirstJournal) {
  fs::path root = copy_fixture("broken-limits");
  auto before = snapshot(root);
  ASSERT_EQ(run_cli("apply --root " + root.string()).exit_status, 0);
  auto after_first = snapshot(root);
  auto r = run_cli("apply --root " + root.string());
  ASSERT_EQ(r.exit_status, 0);
  EXPECT_NE(r.out.find("nothing to change"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot(root), after_first);
  // The limits cannot take effect before the next login; apply must not rewrite for them.
  EXPECT_NE(r.out.find("audio_group: usermod"), std::string::npos) << r.out;
  ASSERT_EQ(run_cli("rollback --root " + root.string()).exit_status, 0);
  EXPECT_EQ(snapshot(root), before);
}

TEST_F(TuningTest, DryRunPrintsEveryChangeAndTouchesNothing) {
  fs::path root = copy_fixture("debian-desktop");
  auto before = snapshot(root);
  auto r = run_cli("apply --dry-run --root " + root.string());
  ASSERT_EQ(r.exit_status, 0);
  EXPECT_NE(r.out.find("would set /proc/sys/vm/swappiness: 60 -> 10"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would create /etc/sysctl.d/90-audio-setup.conf"), std::string::npos);
  EXPECT_EQ(snapshot(root), before);
}

TEST_F(TuningTest, NixosRefusesAndPrintsTheSnippet) {
  fs::path root = copy_fixture("archibald-nixos");
  auto before = snapshot(root);
  auto r = run_cli("apply --root " + root.string());
  EXPECT_EQ(r.exit_status, 4);
  EXPECT_NE(r.out.find("{ config, lib, pkgs, ... }:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("boot.kernelParams = [ \"nosmt\" ];"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot(root), before);
}

TEST_F(TuningTest, CorruptJournalIsAnErrorAndTouchesNothing) {
  fs::path root = copy_fixture("rt-workstation");
  fs::create_directories(root / "var/lib/audio-setup");
  std::ofstream(root / "var/lib/audio-setup/journal.json") << "{ not json";
  auto before = snapshot(root);
  auto r = run_cli("rollback --root " + root.string(), true);
  EXPECT_EQ(r.exit_status, 4);
  EXPECT_NE(r.out.find("not a journal"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot(root), before);
}

class NixSnippetTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NixSnippetTest, ParsesWithNixInstantiate) {
  auto r = run_cli("nix --root " + kFixtures + "/" + GetParam());
  ASSERT_EQ(r.exit_status, 0);
  std::string file =
      ::testing::TempDir() + "audio_setup_" + std::to_string(getpid()) + "_" + GetParam() + ".nix";
  std::ofstream(file) << r.out;
  // nix-bin warns about a missing build group without a daemon; parsing needs none.
  std::string cmd =
      "NIX_CONFIG='build-users-group =' nix-instantiate --parse " + file + " > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << r.out;
  std::remove(file.c_str());
}

INSTANTIATE_TEST_SUITE_P(Systems, NixSnippetTest,
                         ::testing::Values("debian-desktop", "rt-workstation", "archibald-nixos",
                                           "arm-sbc-no-cpufreq", "broken-limits"));

TEST(NixSnippet, QuotesDottedKeysAndMergesLists) {
  auto r = run_cli("nix --root " + kFixtures + "/debian-desktop");
  EXPECT_NE(r.out.find("\"default.clock.quantum\" = 64;"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("boot.kernel.sysctl.\"vm.swappiness\" = 10;"), std::string::npos);
  EXPECT_NE(r.out.find("boot.kernelParams = [ \"nosmt\" \"threadirqs\""), std::string::npos);
  EXPECT_EQ(r.out.find("musnix.enable = true;"), r.out.rfind("musnix.enable = true;"))
      << "each setting once";
  // A security trade-off is offered, never set.
  EXPECT_NE(r.out.find("# mitigations"), std::string::npos);
  auto tuned = run_cli("nix --root " + kFixtures + "/rt-workstation");
  EXPECT_NE(tuned.out.find("Nothing to fix"), std::string::npos) << tuned.out;
}

}  // namespace
}  // namespace audio_setup
