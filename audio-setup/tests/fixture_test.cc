// The five fixture systems of the issue, checked through --root: golden JSON per system, and
// the findings each system exists to show, asserted one by one.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "audio_setup/checks.h"

namespace audio_setup {
namespace {

const std::string kFixtures = AUDIO_SETUP_FIXTURES;
const std::string kGolden = AUDIO_SETUP_GOLDEN;

CheckReport check(const std::string& name) {
  SystemRoot root(kFixtures + "/" + name);
  EXPECT_TRUE(root.validate().ok()) << name;
  return run_checks(root);
}

std::map<std::string, Outcome> statuses(const CheckReport& r) {
  std::map<std::string, Outcome> out;
  for (const Finding& f : r.findings)
    out[f.id] = f.status;
  return out;
}

const Finding& finding(const CheckReport& r, const std::string& id) {
  for (const Finding& f : r.findings) {
    if (f.id == id) return f;
  }
  static Finding none;
  ADD_FAILURE() << "no finding " << id;
  return none;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, JsonMatchesGoldenFile) {
  std::string json = report_json(check(GetParam()));
  std::string path = kGolden + "/" + GetParam() + ".json";
  if (std::getenv("AUDIO_SETUP_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << json;
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing golden file " << path;
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(json, golden.str()) << "regenerate with AUDIO_SETUP_UPDATE_GOLDEN=1 after checking "
                                   "the difference is intended";
}

INSTANTIATE_TEST_SUITE_P(Systems, GoldenTest,
                         ::testing::Values("debian-desktop", "rt-workstation", "archibald-nixos",
                                           "arm-sbc-no-cpufreq", "broken-limits"));

TEST(Fixtures, EveryFindingHasTheContractFields) {
  for (const char* name : {"debian-desktop", "broken-limits", "archibald-nixos"}) {
    for (const Finding& f : check(name).findings) {
      EXPECT_FALSE(f.observed.empty()) << name << " " << f.id;
      EXPECT_FALSE(f.source.empty()) << name << " " << f.id;
      EXPECT_FALSE(f.why.empty()) << name << " " << f.id;
      bool bad = f.status == Outcome::kWarn || f.status == Outcome::kFail;
      EXPECT_EQ(!f.fix_nixos.empty(), bad) << name << " " << f.id;
      EXPECT_EQ(!f.fix_other.empty(), bad) << name << " " << f.id;
    }
  }
}

TEST(Fixtures, TunedRtWorkstationPassesEverythingItCanRead) {
  CheckReport r = check("rt-workstation");
  EXPECT_EQ(r.worst, Outcome::kOk);
  EXPECT_EQ(exit_code(r.worst), 0);
  auto s = statuses(r);
  EXPECT_EQ(s["preemption_model"], Outcome::kOk);
  EXPECT_EQ(s["isolated_cpus_used"], Outcome::kOk);
  EXPECT_EQ(s["audio_irq_affinity"], Outcome::kOk);
  EXPECT_EQ(s["irq_thread_priority"], Outcome::kOk);
  // Acting checks are never claimed for a tree.
  EXPECT_EQ(s["sched_fifo_trial"], Outcome::kNa);
  EXPECT_EQ(s["mlock_trial"], Outcome::kNa);
}

TEST(Fixtures, StockDebianDesktopFailsLimitsAndWarnsAboutDefaults) {
  CheckReport r = check("debian-desktop");
  auto s = statuses(r);
  EXPECT_EQ(r.worst, Outcome::kFail);
  EXPECT_EQ(exit_code(r.worst), 3);
  EXPECT_EQ(s["rtprio_limit"], Outcome::kFail);
  EXPECT_EQ(s["memlock_limit"], Outcome::kFail);
  EXPECT_EQ(s["audio_group"], Outcome::kOk);
  EXPECT_EQ(s["cpu_governor"], Outcome::kWarn);
  EXPECT_EQ(s["preemption_model"], Outcome::kWarn);  // voluntary, the Debian default
  EXPECT_EQ(s["filesystems"], Outcome::kWarn);       // an NTFS sample drive via FUSE
  EXPECT_EQ(s["audio_server_quantum"], Outcome::kWarn);
  EXPECT_NE(finding(r, "audio_server_quantum").observed.find("1024 (built-in default)"),
            std::string::npos);
  EXPECT_EQ(s["audio_server_rt"], Outcome::kOk);
}

TEST(Fixtures, SoundCardsMapToInterruptsThroughSysfs) {
  CheckReport r = check("debian-desktop");
  ASSERT_EQ(r.sound_cards.size(), 2u);
  EXPECT_EQ(r.sound_cards[0].bus, "pci");
  EXPECT_EQ(r.sound_cards[0].irqs, std::vector<int>{142});  // MSI, not the legacy line 16
  EXPECT_EQ(r.sound_cards[0].irq_source, "msi_irqs");
  EXPECT_EQ(r.sound_cards[1].bus, "usb");
  EXPECT_EQ(r.sound_cards[1].irq_device_path, "/sys/devices/pci0000:00/0000:00:14.0");
  EXPECT_EQ(r.sound_cards[1].irqs, std::vector<int>{129});

  CheckReport arm = check("arm-sbc-no-cpufreq");
  ASSERT_EQ(arm.sound_cards.size(), 2u);
  EXPECT_EQ(arm.sound_cards[0].bus, "platform");
  EXPECT_TRUE(arm.sound_cards[0].irqs.empty());
  EXPECT_EQ(arm.sound_cards[1].irqs, std::vector<int>{52});
}

TEST(Fixtures, ArmBoardWithoutCpufreqSaysNotApplicableNotOk) {
  auto s = statuses(check("arm-sbc-no-cpufreq"));
  EXPECT_EQ(s["cpu_governor"], Outcome::kNa);
  EXPECT_EQ(s["smt"], Outcome::kNa);
  EXPECT_EQ(s["kernel_config"], Outcome::kWarn);
  EXPECT_EQ(s["high_res_timers"], Outcome::kNa);
  EXPECT_EQ(s["tickless"], Outcome::kNa);
  EXPECT_EQ(s["nmi_watchdog"], Outcome::kNa);
  EXPECT_EQ(s["rtc_max_user_freq"], Outcome::kNa);
  EXPECT_EQ(s["preemption_model"], Outcome::kOk);      // "SMP PREEMPT" in the version string
  EXPECT_EQ(s["audio_server_quantum"], Outcome::kOk);  // jackd --period=128
}

TEST(Fixtures, BrokenLimitsSystemFailsWhereRealTimeIsImpossible) {
  CheckReport r = check("broken-limits");
  auto s = statuses(r);
  EXPECT_EQ(s["rtprio_limit"], Outcome::kFail);
  EXPECT_EQ(s["memlock_limit"], Outcome::kFail);
  EXPECT_EQ(s["audio_group"], Outcome::kWarn);
  EXPECT_EQ(s["rt_cgroup_runtime"], Outcome::kFail);
  EXPECT_EQ(s["audio_server_rt"], Outcome::kFail);
  EXPECT_EQ(s["preemption_model"], Outcome::kFail);  // preempt=none on the command line
  EXPECT_EQ(s["rt_throttling"], Outcome::kWarn);
  EXPECT_EQ(s["audio_irq_sharing"], Outcome::kWarn);
  // Only the sound card's handler thread on the shared line is judged, not the SMBus one's.
  EXPECT_EQ(s["irq_thread_priority"], Outcome::kWarn);
  EXPECT_EQ(finding(r, "irq_thread_priority").fix_other, "chrt -f -p 90 181");
  // The original audio-setup.sh bug: the audio IRQ pinned to an isolated CPU nobody uses.
  EXPECT_EQ(s["audio_irq_affinity"], Outcome::kWarn);
  EXPECT_NE(finding(r, "audio_irq_affinity").fix_other.find("/proc/irq/16/smp_affinity_list"),
            std::string::npos);
}

TEST(Fixtures, NixosSystemIsTunedButForSmtAndMitigations) {
  CheckReport r = check("archibald-nixos");
  EXPECT_EQ(r.worst, Outcome::kWarn);
  for (const Finding& f : r.findings) {
    if (f.id == "smt" || f.id == "mitigations") {
      EXPECT_EQ(f.status, Outcome::kWarn) << f.id;
    } else {
      EXPECT_NE(f.status, Outcome::kWarn) << f.id << ": " << f.observed;
      EXPECT_NE(f.status, Outcome::kFail) << f.id << ": " << f.observed;
    }
  }
  EXPECT_EQ(finding(r, "kernel_config").observed.rfind("/proc/config.gz", 0), 0u);
  EXPECT_NE(finding(r, "audio_server_quantum").observed.find("quantum = 64"), std::string::npos);
}

// PipeWire reads the running user's ~/.config/pipewire drop-ins after /usr/share and /etc, and
// only files named *.conf: where desktop users set their quantum.
TEST(Fixtures, PipewireQuantumFollowsTheRunningUsersDropIns) {
  namespace fs = std::filesystem;
  using namespace std::string_literals;
  const fs::path root = fs::temp_directory_path() / ("audio-setup-pw-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::copy(kFixtures + "/debian-desktop", root, fs::copy_options::recursive);
  auto write = [&](const std::string& path, const std::string& text) {
    fs::create_directories((root / path.substr(1)).parent_path());
    std::ofstream(root / path.substr(1), std::ios::binary) << text;
  };
  const std::string props = "context.properties = { default.clock.quantum = ";
  write("/etc/pipewire/pipewire.conf.d/50-site.conf", props + "512 }\n");
  write("/home/ana/.config/pipewire/pipewire.conf.d/10-low.conf", props + "128 }\n");
  write("/home/ana/.config/pipewire/pipewire.conf.d/99-old.conf.bak", props + "4096 }\n");
  auto quantum = [&] {
    SystemRoot sys(root.string());
    return finding(run_checks(sys), "audio_server_quantum");
  };

  // Without the process's environment the user's directory is unknown: /etc's value holds.
  Finding f = quantum();
  EXPECT_EQ(f.status, Outcome::kWarn) << f.observed;
  EXPECT_NE(f.observed.find("quantum = 512"), std::string::npos) << f.observed;

  write("/proc/1423/environ", "LANG=C\0HOME=/home/ana\0"s);
  f = quantum();
  EXPECT_EQ(f.status, Outcome::kOk) << f.observed;
  EXPECT_NE(f.observed.find("quantum = 128"), std::string::npos) << f.observed;
  EXPECT_NE(f.observed.find("/home/ana/.config/pipewire/pipewire.conf.d/10-low.conf"),
            std::string::npos)
      << f.observed;
  EXPECT_EQ(f.observed.find("99-old.conf.bak"), std::string::npos) << f.observed;

  // $XDG_CONFIG_HOME replaces ~/.config.
  write("/proc/1423/environ", "HOME=/home/ana\0XDG_CONFIG_HOME=/srv/pw\0"s);
  write("/srv/pw/pipewire/pipewire.conf.d/20-xdg.conf", props + "64 }\n");
  f = quantum();
  EXPECT_NE(f.observed.find("quantum = 64"), std::string::npos) << f.observed;
  EXPECT_EQ(f.observed.find("/home/ana"), std::string::npos) << f.observed;
  fs::remove_all(root);
}

}  // namespace
}  // namespace audio_setup
