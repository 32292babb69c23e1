// apply / rollback into a temporary copy of each fixture tree (byte-for-byte restore with modes,
// idempotence, dry run, NixOS refusal) and `audio-setup nix` snippets that parse with
// nix-instantiate.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli_runner.h"

namespace audio_setup {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

const std::string kFixtures = AUDIO_SETUP_FIXTURES;

// Every directory, file (with its bytes) and link (with its target) under root, with modes.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    std::string rel = fs::relative(it->path(), root).string();
    if (it->is_symlink()) {
      out[rel] = "link -> " + fs::read_symlink(it->path()).string();
      it.disable_recursion_pending();
      continue;
    }
    std::string mode = std::to_string(static_cast<unsigned>(it->status().permissions()));
    if (it->is_directory()) {
      out[rel] = "dir " + mode;
    } else {
      std::ifstream in(it->path(), std::ios::binary);
      out[rel] =
          "file " + mode + " " +
          std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
  }
  return out;
}

// Files (not directories) that are new or different in after.
std::set<std::string> changed_files(const std::map<std::string, std::string>& before,
                                    const std::map<std::string, std::string>& after) {
  std::set<std::string> out;
  for (const auto& [path, entry] : after) {
    auto it = before.find(path);
    if (entry.rfind("dir ", 0) != 0 && (it == before.end() || it->second != entry)) {
      out.insert(path);
    }
  }
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::map<std::string, std::string> check_statuses(const fs::path& root) {
  auto check = nlohmann::json::parse(run_cli("check --json --root " + root.string()).out);
  std::map<std::string, std::string> status;
  for (const auto& c : check["checks"])
    status[c["id"]] = c["status"];
  return status;
}

// The lines of apply's output that name a change ("set ...", "create ...", "rewrite ..." and
// the drop-in lines under them), without dry run's "would ".
std::vector<std::string> change_lines(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line) && !line.empty();) {
    if (line.rfind("applied ", 0) == 0) break;  // apply's summary, after the changes
    if (line.rfind("would ", 0) == 0) line = line.substr(6);
    lines.push_back(line);
  }
  return lines;
}

// A copy of a fixture tree in the temporary directory, removed when it goes out of scope.
class TreeCopy {
 public:
  explicit TreeCopy(const std::string& fixture)
      : path_(fs::temp_directory_path() /
              ("audio_setup_tuning_" + std::to_string(getpid()) + "_" + fixture)) {
    fs::remove_all(path_);
    fs::copy(kFixtures + "/" + fixture, path_,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
  ~TreeCopy() { fs::remove_all(path_); }
  TreeCopy(const TreeCopy&) = delete;
  TreeCopy& operator=(const TreeCopy&) = delete;
  const fs::path& path() const { return path_; }
  std::string root_flag() const { return " --root " + path_.string(); }

 private:
  fs::path path_;
};

// What each fixture system expects of apply.
struct ApplyCase {
  std::string fixture;
  bool refused = false;            // NixOS: exit 4, the snippet, nothing written.
  std::set<std::string> changed;   // Files apply writes (plus the journal, if any).
  std::vector<std::string> fixed;  // Checks that read ok after apply.
};

void PrintTo(const ApplyCase& c, std::ostream* os) {
  *os << c.fixture;
}

const std::string kJournal = "var/lib/audio-setup/journal.json";

std::vector<ApplyCase> apply_cases() {
  std::set<std::string> desktop = {"etc/security/limits.d/95-audio-setup.conf",
                                   "etc/sysctl.d/90-audio-setup.conf",
                                   "etc/udev/rules.d/90-audio-setup.rules",
                                   "proc/sys/dev/hpet/max-user-freq",
                                   "proc/sys/fs/inotify/max_user_watches",
                                   "proc/sys/kernel/nmi_watchdog",
                                   "proc/sys/kernel/timer_migration",
                                   "proc/sys/vm/swappiness",
                                   "sys/class/rtc/rtc0/max_user_freq",
                                   "sys/kernel/mm/transparent_hugepage/enabled",
                                   kJournal};
  for (int cpu = 0; cpu < 8; ++cpu) {
    desktop.insert("sys/devices/system/cpu/cpu" + std::to_string(cpu) +
                   "/cpufreq/scaling_governor");
  }
  return {
      {"debian-desktop",
       false,
       desktop,
       {"swappiness", "cpu_governor", "cpu_dma_latency_access", "rtc_access", "hpet_access",
        "transparent_hugepages", "rtc_max_user_freq", "hpet_max_user_freq", "inotify_watches",
        "nmi_watchdog", "timer_migration"}},
      // Tuned already: apply has nothing to do and writes no journal.
      {"rt-workstation", false, {}, {}},
      {"archibald-nixos", true, {}, {}},
      // No cpufreq, no HPET: only the sysctls it has.
      {"arm-sbc-no-cpufreq",
       false,
       {"etc/sysctl.d/90-audio-setup.conf", "proc/sys/kernel/timer_migration",
        "proc/sys/vm/swappiness", kJournal},
       {"swappiness", "timer_migration"}},
      // The limits take effect at the next login; the affinity fix shows in
      // effective_affinity_list, which only the kernel updates.
      {"broken-limits",
       false,
       {"etc/security/limits.d/95-audio-setup.conf", "etc/sysctl.d/90-audio-setup.conf",
        "proc/irq/16/smp_affinity_list", "proc/sys/kernel/sched_rt_runtime_us",
        "sys/devices/system/cpu/cpu2/cpufreq/scaling_governor",
        "sys/devices/system/cpu/cpu3/cpufreq/scaling_governor", kJournal},
       {"rt_throttling", "cpu_governor"}},
  };
}

// Each test works on its own copy of the fixture, with every file made 0640 (a mode apply
// would never create) so that a rewrite that loses the mode shows in the snapshot.
class ApplyTest : public ::testing::TestWithParam<ApplyCase> {
 protected:
  void SetUp() override {
    tree_ = std::make_unique<TreeCopy>(GetParam().fixture);
    root_ = tree_->path();
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
      if (entry.is_regular_file() && !entry.is_symlink()) {
        fs::permissions(entry.path(),
                        fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
      }
    }
    before_ = snapshot(root_);
  }
  testing::RunResult cli(const std::string& command) {
    return run_cli(command + " --root " + root_.string());
  }
  std::unique_ptr<TreeCopy> tree_;
  fs::path root_;
  std::map<std::string, std::string> before_;
};

TEST_P(ApplyTest, ApplyThenRollbackRestoresTheTreeByteForByte) {
  const ApplyCase& c = GetParam();
  auto r = cli("apply");
  if (c.refused) {
    EXPECT_EQ(r.exit_status, 4) << r.out;
    EXPECT_NE(r.out.find("{ config, lib, pkgs, ... }:"), std::string::npos) << r.out;
  } else {
    ASSERT_EQ(r.exit_status, 0) << r.out;
  }
  auto after = snapshot(root_);
  EXPECT_EQ(changed_files(before_, after), c.changed) << r.out;
  auto status = check_statuses(root_);
  for (const std::string& id : c.fixed)
    EXPECT_EQ(status[id], "ok") << id;

  r = cli("rollback");
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_EQ(snapshot(root_), before_);
  r = cli("rollback");
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_NE(r.out.find("nothing to roll back"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot(root_), before_);
}

TEST_P(ApplyTest, SecondApplyChangesNothingAndRollbackKeepsTheFirstState) {
  int expected_exit = GetParam().refused ? 4 : 0;
  ASSERT_EQ(cli("apply").exit_status, expected_exit);
  auto after_first = snapshot(root_);
  auto r = cli("apply");
  ASSERT_EQ(r.exit_status, expected_exit) << r.out;
  if (!GetParam().refused) {
    EXPECT_EQ(r.out.rfind("nothing to change", 0), 0u) << r.out;
  }
  EXPECT_EQ(snapshot(root_), after_first);
  ASSERT_EQ(cli("rollback").exit_status, 0);
  EXPECT_EQ(snapshot(root_), before_);
}

TEST_P(ApplyTest, DryRunPrintsWhatApplyDoesAndTouchesNothing) {
  auto dry = cli("apply --dry-run");
  EXPECT_EQ(dry.exit_status, GetParam().refused ? 4 : 0) << dry.out;
  EXPECT_EQ(snapshot(root_), before_);
  if (GetParam().refused) return;
  auto applied = cli("apply");
  ASSERT_EQ(applied.exit_status, 0);
  EXPECT_EQ(change_lines(dry.out), change_lines(applied.out)) << dry.out << applied.out;
  ASSERT_EQ(cli("rollback").exit_status, 0);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ApplyTest, ::testing::ValuesIn(apply_cases()),
                         [](const ::testing::TestParamInfo<ApplyCase>& param_info) {
                           std::string name = param_info.param.fixture;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(Apply, DebianDesktopGetsDropInsAndRuntimeValues) {
  TreeCopy tree("debian-desktop");
  const fs::path& root = tree.path();
  auto r = run_cli("apply" + tree.root_flag());
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_NE(read(root / "etc/sysctl.d/90-audio-setup.conf").find("vm.swappiness = 10\n"),
            std::string::npos);
  EXPECT_NE(read(root / "etc/security/limits.d/95-audio-setup.conf").find("@audio - rtprio 95"),
            std::string::npos);
  EXPECT_NE(read(root / "etc/udev/rules.d/90-audio-setup.rules").find("cpu_dma_latency"),
            std::string::npos);
  EXPECT_EQ(read(root / "proc/sys/vm/swappiness"), "10\n");
  EXPECT_EQ(read(root / "sys/devices/system/cpu/cpu3/cpufreq/scaling_governor"), "performance\n");
  EXPECT_EQ(check_statuses(root)["rtprio_limit"], "fail") << "limits apply at the next login";
}

TEST(Apply, DryRunShowsOldAndNewValues) {
  TreeCopy tree("debian-desktop");
  auto r = run_cli("apply --dry-run" + tree.root_flag());
  EXPECT_NE(r.out.find("would set /proc/sys/vm/swappiness: 60 -> 10"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would create /etc/sysctl.d/90-audio-setup.conf"), std::string::npos);
}

TEST(Apply, LeavesWhatItCannotDoToTheUser) {
  TreeCopy tree("broken-limits");
  auto r = run_cli("apply" + tree.root_flag());
  // Group membership needs usermod; IRQ thread priorities are process state, not in a tree.
  EXPECT_NE(r.out.find("audio_group: usermod"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("irq_thread_priority: chrt -f -p 90 181"), std::string::npos) << r.out;
}

TEST(Apply, NixosRefusalPrintsTheSnippet) {
  auto r = run_cli("apply --root " + kFixtures + "/archibald-nixos");
  EXPECT_EQ(r.exit_status, 4);
  EXPECT_NE(r.out.find("boot.kernelParams = [ \"nosmt\" ];"), std::string::npos) << r.out;
}

TEST(Rollback, CorruptJournalIsAnErrorAndTouchesNothing) {
  TreeCopy tree("rt-workstation");
  const fs::path& root = tree.path();
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
