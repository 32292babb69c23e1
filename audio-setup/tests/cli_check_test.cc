// The `audio-setup check` command-line contract: JSON shape, exit codes, bad flags, and a smoke
// run on this machine that must not crash and must say na where sources are missing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>

#include "cli_runner.h"

namespace audio_setup {
namespace {

using testing::run_cli;

const std::string kFixtures = AUDIO_SETUP_FIXTURES;

bool path_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

TEST(CliCheck, JsonContractAndExitCodeFollowTheWorstFinding) {
  const std::pair<const char*, int> cases[] = {
      {"rt-workstation", 0}, {"archibald-nixos", 1}, {"broken-limits", 3}};
  for (const auto& [name, want_exit] : cases) {
    auto r = run_cli("check --json --root " + kFixtures + "/" + name);
    EXPECT_EQ(r.exit_status, want_exit) << name;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << name << ": not JSON";
    ASSERT_TRUE(j["checks"].is_array());
    for (const auto& c : j["checks"]) {
      for (const char* key : {"id", "status", "observed", "fix_nixos", "fix_other"}) {
        EXPECT_TRUE(c.contains(key) && c[key].is_string()) << name << " " << key;
      }
      EXPECT_TRUE(std::set<std::string>({"ok", "warn", "fail", "na"}).count(c["status"]));
    }
  }
}

TEST(CliCheck, HumanTableListsEveryCheckAndTheFixes) {
  auto r = run_cli("check --root " + kFixtures + "/broken-limits");
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.out.find("\033["), std::string::npos) << "no colour when stdout is a pipe";
  EXPECT_NE(r.out.find("fail    rtprio_limit"), std::string::npos);
  EXPECT_NE(r.out.find("Fixes:"), std::string::npos);
  EXPECT_NE(r.out.find("NixOS:  musnix.enable = true;"), std::string::npos);
}

TEST(CliCheck, BadFlagsAreOneLineErrorsWithExitTwo) {
  for (const char* args : {"check --bogus", "check --root", "check extra-arg", "frobnicate",
                           "check --root /nonexistent/audio-setup"}) {
    auto r = run_cli(args, /*merge_stderr=*/true);
    EXPECT_EQ(r.exit_status, 2) << args;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
    EXPECT_EQ(r.out.rfind("audio-setup: ", 0), 0u) << r.out;
  }
}

TEST(CliCheck, SmokeRunOnThisMachineReportsNaWhereSourcesAreMissing) {
  auto r = run_cli("check --json");
  ASSERT_TRUE(r.exit_status == 0 || r.exit_status == 1 || r.exit_status == 3) << r.exit_status;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  std::map<std::string, std::string> status;
  for (const auto& c : j["checks"])
    status[c["id"]] = c["status"];
  // Each of these checks has exactly one source; where this machine lacks it, na is the only
  // honest answer.
  const std::pair<const char*, const char*> single_source[] = {
      {"rtc_max_user_freq", "/sys/class/rtc/rtc0/max_user_freq"},
      {"hpet_max_user_freq", "/proc/sys/dev/hpet/max-user-freq"},
      {"transparent_hugepages", "/sys/kernel/mm/transparent_hugepage/enabled"},
      {"nmi_watchdog", "/proc/sys/kernel/nmi_watchdog"},
      {"smt", "/sys/devices/system/cpu/smt/active"},
      {"rtc_access", "/dev/rtc0"},
      {"hpet_access", "/dev/hpet"},
      {"cpu_dma_latency_access", "/dev/cpu_dma_latency"},
  };
  int missing = 0;
  for (const auto& [id, path] : single_source) {
    ASSERT_TRUE(status.count(id)) << id;
    if (!path_exists(path)) {
      ++missing;
      EXPECT_EQ(status[id], "na") << id << " passed although " << path << " is missing";
    }
  }
  if (!path_exists("/proc/asound") && !path_exists("/sys/class/sound")) {
    EXPECT_EQ(status["audio_irq_sharing"], "na");
  }
  RecordProperty("missing_sources", missing);
}

}  // namespace
}  // namespace audio_setup
