#include "proc_parsers.h"

#include <gtest/gtest.h>

namespace audio_setup {
namespace {

TEST(CpuList, ParsesRangesAndFormatsThemBack) {
  std::optional<CpuSet> cpus = parse_cpu_list("0-2,5,7-8\n");
  ASSERT_TRUE(cpus.has_value());
  EXPECT_EQ(*cpus, (CpuSet{0, 1, 2, 5, 7, 8}));
  EXPECT_EQ(format_cpu_list(*cpus), "0-2,5,7-8");
  EXPECT_EQ(format_cpu_list({}), "none");
  EXPECT_FALSE(parse_cpu_list("3-1").has_value());
  EXPECT_FALSE(parse_cpu_list("a").has_value());
}

TEST(KernelCmdline, ParamsFlagsAndIsolation) {
  std::string cmdline =
      "BOOT_IMAGE=/vmlinuz quiet isolcpus=managed_irq,domain,2-3 nohz_full=3 "
      "rcu_nocbs=4 threadirqs preempt=voluntary preempt=full -- single";
  EXPECT_EQ(kernel_param(cmdline, "preempt"), "full");
  EXPECT_TRUE(has_kernel_flag(cmdline, "threadirqs"));
  EXPECT_FALSE(has_kernel_flag(cmdline, "single"));  // after "--": init's, not the kernel's
  EXPECT_EQ(isolated_cpus(cmdline), (CpuSet{2, 3, 4}));
}

TEST(Limits, ReadsSoftAndHardIncludingUnlimited) {
  std::string text =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max locked memory         8388608              unlimited            bytes     \n"
      "Max realtime priority     0                    95                             \n";
  std::optional<Limit> memlock = parse_limit(text, "Max locked memory");
  ASSERT_TRUE(memlock.has_value());
  EXPECT_EQ(memlock->soft, 8388608);
  EXPECT_EQ(memlock->hard, kUnlimited);
  EXPECT_EQ(parse_limit(text, "Max realtime priority")->hard, 95);
  EXPECT_FALSE(parse_limit(text, "Max nice priority").has_value());
}

TEST(Status, IdentityUsesEffectiveIds) {
  std::string text =
      "Name:\tbash\nUid:\t1000\t1001\t1000\t1000\nGid:\t100\t29\t100\t100\n"
      "Groups:\t29 100 \n";
  std::optional<ProcessIdentity> id = parse_status_identity(text);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->uid, 1001);
  EXPECT_EQ(id->gid, 29);
  EXPECT_EQ(id->groups, (std::vector<std::int64_t>{29, 100}));
  EXPECT_FALSE(parse_status_identity("Name:\tx\n").has_value());
}

TEST(Interrupts, SplitsSharedDevicesOnX86AndArm) {
  std::string x86 =
      "           CPU0       CPU1       \n"
      "  16:          0         12  IO-APIC  16-fasteoi   i801_smbus, snd_hda_intel:card0\n"
      " 129:       1234          0  IR-PCI-MSI 512000-edge      xhci_hcd\n"
      "NMI:          0          0   Non-maskable interrupts\n";
  std::vector<InterruptLine> lines = parse_interrupts(x86);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].irq, 16);
  EXPECT_EQ(lines[0].devices, (std::vector<std::string>{"i801_smbus", "snd_hda_intel:card0"}));
  EXPECT_EQ(lines[1].devices, (std::vector<std::string>{"xhci_hcd"}));
  std::string arm =
      "           CPU0       CPU1       CPU2       CPU3       \n"
      " 40:          0          0          0          0     GICv2  175 Level     PCIe PME, "
      "aerdrv\n";
  lines = parse_interrupts(arm);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].devices, (std::vector<std::string>{"PCIe PME", "aerdrv"}));
}

TEST(TaskStat, ReadsPolicyAndPriorityAfterAnOddComm) {
  // Fields 3..52 of a SCHED_FIFO (1) thread at priority 50, comm with spaces and ')'.
  std::string stat =
      "812 (irq/33-snd (x)) S 2 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 -51 0 1 0 "
      "300 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 50 1 "
      "0 0 0 0 0 0 0 0 0 0 0";
  std::optional<TaskStat> ts = parse_task_stat(stat);
  ASSERT_TRUE(ts.has_value());
  EXPECT_EQ(ts->comm, "irq/33-snd (x)");
  EXPECT_EQ(ts->rt_priority, 50);
  EXPECT_EQ(ts->policy, 1);
  EXPECT_FALSE(parse_task_stat("1 (x) S 1 2").has_value());
}

TEST(KernelConfig, KeepsSetOptionsOnly) {
  auto cfg = parse_kernel_config(
      "CONFIG_HZ=1000\n# CONFIG_PREEMPT_RT is not set\n"
      "CONFIG_LOCALVERSION=\"-rt\"\nCONFIG_NO_HZ_IDLE=y\n");
  EXPECT_EQ(cfg.at("CONFIG_HZ"), "1000");
  EXPECT_EQ(cfg.at("CONFIG_LOCALVERSION"), "-rt");
  EXPECT_EQ(cfg.count("CONFIG_PREEMPT_RT"), 0u);
}

TEST(GroupFile, MapsNamesToGidsAndMembers) {
  auto groups = parse_group_file("root:x:0:\naudio:x:29:alice,bob\nbroken-line\n");
  EXPECT_EQ(groups.at("audio").gid, 29);
  EXPECT_EQ(groups.at("audio").members, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(groups.size(), 2u);
}

}  // namespace
}  // namespace audio_setup

namespace audio_setup {
namespace {

TEST(ParseIntTest, AcceptsOnlyAWholeDecimalInteger) {
  EXPECT_EQ(parse_int("60"), 60);
  EXPECT_EQ(parse_int("-1"), -1);
  EXPECT_EQ(parse_int(""), std::nullopt);
  EXPECT_EQ(parse_int("60 "), std::nullopt);  // callers trim first
  EXPECT_EQ(parse_int("6x"), std::nullopt);
  EXPECT_EQ(parse_int("99999999999999999999"), std::nullopt);
}

}  // namespace
}  // namespace audio_setup
