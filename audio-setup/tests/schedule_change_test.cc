// IRQ thread priorities are raised by apply on the live system and restored by rollback. A
// child process stands in for the IRQ thread; the journal lives in a temporary directory.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "audio_setup/tuning.h"

namespace audio_setup {
namespace {

TEST(ScheduleChange, ApplyRaisesAndRollbackRestoresThePolicy) {
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  std::string dir = ::testing::TempDir() + "audio_setup_sched_" + std::to_string(getpid());
  std::string journal = dir + "/journal.json";
  SystemRoot live("/");
  Plan plan;
  plan.changes.push_back({Change::Kind::kSchedule, "/proc/" + std::to_string(child),
                          "SCHED_FIFO 10", "SCHED_OTHER 0", "irq_thread_priority"});
  archibald::Status s = apply_changes(live, plan, journal);
  if (s.code() == archibald::Code::kIoError && sched_getscheduler(child) == SCHED_OTHER) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    int restored = 0;
    ASSERT_TRUE(rollback(live, &restored, journal).ok());
    std::filesystem::remove_all(dir);
    GTEST_SKIP() << "this environment refuses SCHED_FIFO: " << s.message();
  }
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(sched_getscheduler(child), SCHED_FIFO);
  sched_param p{};
  sched_getparam(child, &p);
  EXPECT_EQ(p.sched_priority, 10);

  int restored = 0;
  ASSERT_TRUE(rollback(live, &restored, journal).ok());
  EXPECT_EQ(restored, 1);
  EXPECT_EQ(sched_getscheduler(child), SCHED_OTHER);
  EXPECT_FALSE(std::filesystem::exists(journal));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace audio_setup
