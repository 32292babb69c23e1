// `audio-setup rtl` and `audio-setup xruns` against real JACK dummy servers; rtl compared with
// jack_iodelay on the same loop in the same test.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli_runner.h"
#include "jack_test_server.h"

namespace audio_setup {
namespace {

using testing::DelayLoopClient;
using testing::JackDummyServer;
using testing::run_cli;

// Runs jack_iodelay on `server`, connects it through loop:in/loop:out, and returns the last
// round trip it printed, in frames (NaN when it printed none within `seconds`).
double jack_iodelay_frames(const std::string& server, double seconds) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return NAN;
  pid_t pid = fork();
  if (pid == 0) {
    setenv("JACK_DEFAULT_SERVER", server.c_str(), 1);
    dup2(pipe_fds[1], STDOUT_FILENO);
    freopen("/dev/null", "w", stderr);
    close(pipe_fds[0]);
    // jack_iodelay printf()s without flushing; line-buffer it so a pipe sees each result.
    execlp("stdbuf", "stdbuf", "-oL", "jack_iodelay", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  jack_client_t* c = testing::open_client(server, "connector");
  std::string out;
  bool connected = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (c != nullptr && !connected && jack_port_by_name(c, "jack_delay:out") != nullptr) {
      connected = jack_connect(c, "jack_delay:out", "loop:in") == 0 &&
                  jack_connect(c, "loop:out", "jack_delay:in") == 0;
    }
    char buf[4096];
    ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  close(pipe_fds[0]);
  if (c != nullptr) jack_client_close(c);
  std::regex line(R"(([0-9.]+) frames\s+[0-9.]+ ms total roundtrip latency)");
  double frames = NAN;
  for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it) {
    frames = std::stod((*it)[1]);
  }
  return frames;
}

TEST(Rtl, AgreesWithJackIodelayOnTheSameLoopWithinOneFrame) {
  JackDummyServer server("rtl");
  ASSERT_TRUE(server.ready()) << "jackd -d dummy did not start";
  DelayLoopClient loop(server.name(), "loop", 100);
  ASSERT_TRUE(loop.ok());
  auto r = run_cli(
      "rtl --json --server " + server.name() + " --out loop:in --in loop:out --timeout 10", true);
  ASSERT_EQ(r.exit_status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  double ours = j["frames"].get<double>();
  EXPECT_NEAR(j["ms"].get<double>(), ours / 48.0, 0.01);
  EXPECT_DOUBLE_EQ(j["extra_frames"].get<double>(), ours - j["declared_frames"].get<double>());
  // The loop delays by 100 frames; the graph adds a whole period (64) because the loop client
  // feeds back into a client that has already run in this cycle.
  EXPECT_NEAR(ours, 164.0, 1.0);

  double theirs = jack_iodelay_frames(server.name(), 4.0);
  ASSERT_FALSE(std::isnan(theirs)) << "jack_iodelay printed no measurement";
  std::cout << "round trip: audio-setup " << ours << " frames, jack_iodelay " << theirs
            << " frames\n";
  EXPECT_NEAR(ours, theirs, 1.0) << "audio-setup " << ours << " vs jack_iodelay " << theirs;
}

TEST(Rtl, GivesUpWithAClearMessageWhenNothingReturns) {
  JackDummyServer server("rtl-silent");
  ASSERT_TRUE(server.ready());
  // The dummy driver's capture ports deliver silence: the loop is open.
  auto start = std::chrono::steady_clock::now();
  auto r = run_cli("rtl --server " + server.name() +
                       " --out system:playback_1 --in system:capture_1 --timeout 3",
                   true);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_status, 4) << r.out;
  EXPECT_NE(r.out.find("no signal returned from system:capture_1 within 3 s"), std::string::npos)
      << r.out;
  EXPECT_LT(took, 8.0);

  // A timeout too short for one measurement window says so instead of blaming the loop.
  r = run_cli("rtl --server " + server.name() +
                  " --out system:playback_1 --in system:capture_1 --timeout 1",
              true);
  EXPECT_EQ(r.exit_status, 4) << r.out;
  EXPECT_NE(r.out.find("shorter than one measurement"), std::string::npos) << r.out;
}

TEST(Rtl, MissingServerAndPortsAreOneLineErrors) {
  auto r = run_cli(
      "rtl --server as-nosuch-" + std::to_string(getpid()) + " --out a:b --in c:d --timeout 1",
      true);
  EXPECT_EQ(r.exit_status, 4) << r.out;
  EXPECT_NE(r.out.find("is not running"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;

  JackDummyServer server("rtl-ports");
  ASSERT_TRUE(server.ready());
  r = run_cli("rtl --server " + server.name() + " --out nosuch:port --in system:capture_1", true);
  EXPECT_EQ(r.exit_status, 4) << r.out;
  EXPECT_NE(r.out.find("--out nosuch:port: no such port"), std::string::npos) << r.out;
  r = run_cli("rtl --server " + server.name() + " --in system:capture_1", true);
  EXPECT_EQ(r.exit_status, 2) << r.out;
}

TEST(Xruns, CountsTheXrunsOfAGraphWithALateClient) {
  JackDummyServer server("xruns");
  ASSERT_TRUE(server.ready());
  testing::SlowClient slow(server.name(), 100);
  ASSERT_TRUE(slow.ok());
  auto r = run_cli("xruns --json --server " + server.name() + " --for 2s", true);
  ASSERT_EQ(r.exit_status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_GE(j["xruns"].get<int>(), 3) << r.out;  // a 5 ms stall every 100 periods of 1.3 ms
  EXPECT_GE(j["seconds"].get<double>(), 2.0);
  EXPECT_EQ(j["period"], 64);
  EXPECT_EQ(run_cli("xruns --for 0s", true).exit_status, 2);
}

}  // namespace
}  // namespace audio_setup
