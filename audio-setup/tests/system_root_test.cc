#include "audio_setup/system_root.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace audio_setup {
namespace {

namespace fs = std::filesystem;

class SystemRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("audio_setup_root_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "sys/devices/pci0000:00/0000:00:1f.3");
    fs::create_directories(dir_ / "sys/class/sound/card0");
    std::ofstream(dir_ / "sys/devices/pci0000:00/0000:00:1f.3/irq") << "16\n";
    // Relative link, as sysfs has it, and an absolute one that must be re-rooted.
    fs::create_directory_symlink("../../../devices/pci0000:00/0000:00:1f.3",
                                 dir_ / "sys/class/sound/card0/device");
    fs::create_directories(dir_ / "sys/class/sound/card1");
    fs::create_directory_symlink("/sys/devices/pci0000:00/0000:00:1f.3",
                                 dir_ / "sys/class/sound/card1/device");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SystemRootTest, ReadsThroughLinksInsideTheRoot) {
  SystemRoot root(dir_.string() + "/");
  EXPECT_FALSE(root.is_live());
  EXPECT_EQ(root.resolve("/sys/class/sound/card0/device"), "/sys/devices/pci0000:00/0000:00:1f.3");
  EXPECT_EQ(root.resolve("/sys/class/sound/card1/device"), "/sys/devices/pci0000:00/0000:00:1f.3");
  EXPECT_EQ(*root.read_line("/sys/class/sound/card1/device/irq"), "16");
  EXPECT_EQ(root.read("/proc/cmdline").status().code(), archibald::Code::kNotFound);
  EXPECT_FALSE(root.try_read("/etc/../../../etc/passwd").has_value());  // ".." stays inside
}

TEST_F(SystemRootTest, WriteCreatesParentsAndReportsThem) {
  SystemRoot root(dir_.string());
  std::vector<std::string> created;
  ASSERT_TRUE(root.write("/etc/sysctl.d/90-x.conf", "vm.swappiness = 10\n", &created).ok());
  EXPECT_EQ(created, (std::vector<std::string>{"/etc", "/etc/sysctl.d"}));
  EXPECT_EQ(*root.read("/etc/sysctl.d/90-x.conf"), "vm.swappiness = 10\n");
  EXPECT_EQ(root.list("/etc"), (std::vector<std::string>{"sysctl.d"}));
  ASSERT_TRUE(root.remove("/etc/sysctl.d/90-x.conf").ok());
  EXPECT_FALSE(root.exists("/etc/sysctl.d/90-x.conf"));
}

TEST_F(SystemRootTest, WritesThroughLinksInsideTheRootAndKeepsModes) {
  SystemRoot root(dir_.string());
  // card1/device is an absolute link: the write lands in the root, not in the host's /sys.
  ASSERT_TRUE(root.write("/sys/class/sound/card1/device/irq", "17\n").ok());
  EXPECT_EQ(*root.read_line("/sys/devices/pci0000:00/0000:00:1f.3/irq"), "17");
  EXPECT_TRUE(fs::is_symlink(dir_ / "sys/class/sound/card1/device"));

  // A file that is itself a link (Debian's /etc/sysctl.d/99-sysctl.conf) stays a link.
  fs::create_directories(dir_ / "etc/sysctl.d");
  std::ofstream(dir_ / "etc/sysctl.conf") << "a = 1\n";
  fs::create_symlink("../sysctl.conf", dir_ / "etc/sysctl.d/99-sysctl.conf");
  fs::permissions(dir_ / "etc/sysctl.conf", fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_TRUE(root.write("/etc/sysctl.d/99-sysctl.conf", "a = 2\n").ok());
  EXPECT_TRUE(fs::is_symlink(dir_ / "etc/sysctl.d/99-sysctl.conf"));
  EXPECT_EQ(*root.read("/etc/sysctl.conf"), "a = 2\n");
  // The replaced file keeps its mode (0600 here), so rollback can restore it exactly.
  EXPECT_EQ(fs::status(dir_ / "etc/sysctl.conf").permissions(),
            fs::perms::owner_read | fs::perms::owner_write);

  // Removal follows absolute links of the parent inside the root too.
  fs::create_directory_symlink("/etc/sysctl.d", dir_ / "etc/alt");
  ASSERT_TRUE(root.write("/etc/alt/90-x.conf", "b = 1\n").ok());
  EXPECT_TRUE(fs::exists(dir_ / "etc/sysctl.d/90-x.conf"));
  ASSERT_TRUE(root.remove("/etc/alt/90-x.conf").ok());
  EXPECT_FALSE(fs::exists(dir_ / "etc/sysctl.d/90-x.conf"));
}

TEST(SystemRootValidate, RejectsMissingDirectory) {
  EXPECT_EQ(SystemRoot("/nonexistent/audio-setup-root").validate().code(),
            archibald::Code::kInvalidArgument);
  EXPECT_TRUE(SystemRoot("/").is_live());
}

}  // namespace
}  // namespace audio_setup
