// hydrameshd's behaviour on bad input: one clear line and a non-zero exit for configuration,
// JACK and port problems; no crash on hostile datagrams.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <sstream>

#include "hydramesh/endpoint.h"
#include "hydramesh/wire_format.h"
#include "support/mesh_fixture.h"

namespace hydramesh::testing {
namespace {

struct DaemonRun {
  int exit_code;
  std::vector<std::string> lines;  // lines hydrameshd itself printed
};

DaemonRun run_daemon(const std::string& dir, const std::vector<std::string>& args,
                     const std::string& tag) {
  std::vector<std::string> argv = {HYDRAMESHD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = dir + "/" + tag + ".log";
  Child child(argv, log);
  DaemonRun run{child.wait_exit(30), {}};
  std::istringstream text(read_file(log));
  for (std::string line; std::getline(text, line);) {
    if (line.rfind("hydrameshd:", 0) == 0) run.lines.push_back(line);
  }
  return run;
}

class DaemonErrorsTest : public ::testing::Test {
 protected:
  DaemonErrorsTest() : mesh_(::testing::UnitTest::GetInstance()->current_test_info()->name()) {}
  MeshFixture mesh_;
};

TEST_F(DaemonErrorsTest, ConfigErrorsNameTheKeyAndExit2) {
  const std::string config = mesh_.dir() + "/bad.json";
  write_file(config, R"({"node-id": "a", "audio": {"gain": 2}})", 0644);
  DaemonRun run = run_daemon(mesh_.dir(), {"--config", config}, "unknown-key");
  EXPECT_EQ(run.exit_code, 2);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("unknown key 'audio.gain'"), std::string::npos) << run.lines[0];

  write_file(config, R"({"udp-port": 0})", 0644);
  run = run_daemon(mesh_.dir(), {"--config", config}, "bad-value");
  EXPECT_EQ(run.exit_code, 2);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("'udp-port'"), std::string::npos) << run.lines[0];

  run = run_daemon(mesh_.dir(), {"--insecure", "--codec", "mp3"}, "bad-flag");
  EXPECT_EQ(run.exit_code, 2);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("--codec"), std::string::npos);

  run = run_daemon(mesh_.dir(), {"--insecure", "--frobnicate"}, "unknown-flag");
  EXPECT_EQ(run.exit_code, 2);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("--frobnicate"), std::string::npos);

  run = run_daemon(mesh_.dir(), {"--insecure", "--dropout-log", mesh_.dir() + "/no/such/dir/d.log"},
                   "dropout-log");
  EXPECT_EQ(run.exit_code, 2);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("dropout-log: cannot open"), std::string::npos) << run.lines[0];

  const std::string secret = mesh_.dir() + "/open-secret";
  write_file(secret, "a-long-enough-secret", 0644);
  run = run_daemon(mesh_.dir(),
                   {"--secret-file", secret, "--udp-address", "127.0.0.1", "--udp-port",
                    std::to_string(free_udp_port())},
                   "world-readable");
  EXPECT_EQ(run.exit_code, 2);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("world-readable"), std::string::npos);
}

TEST_F(DaemonErrorsTest, CheckConfigJudgesTheFileAloneAndNamesTheBadKey) {
  const std::string config = mesh_.dir() + "/check.json";
  // What services.hydramesh writes: no secret (it arrives by --secret-file), no JACK needed.
  write_file(config,
             R"({"node-id": "stage-left", "udp-port": 7777, "udp-mtu": 1400,
                 "peers": ["127.0.0.1:7778"], "jack-server": "default",
                 "status-file": "/var/lib/hydramesh/status.json",
                 "audio": {"channels": 2, "codec": "pcm16", "jitter-ms": "auto"}})",
             0644);
  DaemonRun run = run_daemon(mesh_.dir(), {"--check-config", config}, "check-ok");
  EXPECT_EQ(run.exit_code, 0);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("configuration is valid"), std::string::npos) << run.lines[0];

  write_file(config, R"({"node-id": "stage-left", "udp-mtu": 9000})", 0644);
  run = run_daemon(mesh_.dir(), {"--check-config", config}, "check-bad");
  EXPECT_EQ(run.exit_code, 2);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("'udp-mtu'"), std::string::npos) << run.lines[0];

  run = run_daemon(mesh_.dir(), {"--check-config", mesh_.dir() + "/missing.json"}, "check-gone");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.lines.size(), 1u);

  // A value echoed back in the error stays on the one line, whatever bytes it holds.
  write_file(config, R"({"node-id": "stage\nleft\u0000\u001b[2J"})", 0644);
  run = run_daemon(mesh_.dir(), {"--check-config", config}, "check-control");
  EXPECT_EQ(run.exit_code, 2);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("stage\\nleft\\x00\\x1b[2J"), std::string::npos) << run.lines[0];
}

TEST_F(DaemonErrorsTest, MissingJackServerExits1WithAClearLine) {
  const std::string missing = "nosuchserver" + std::to_string(getpid());
  DaemonRun run = run_daemon(mesh_.dir(),
                             {"--insecure", "--jack-server", missing, "--udp-address", "127.0.0.1",
                              "--udp-port", std::to_string(free_udp_port())},
                             "no-jack");
  EXPECT_EQ(run.exit_code, 1);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("cannot connect to JACK server '" + missing + "'"), std::string::npos)
      << run.lines[0];
}

TEST_F(DaemonErrorsTest, TakenUdpPortOrClientNameExits1) {
  JackServer server("hmErr", mesh_.dir());
  ASSERT_TRUE(server.ready());
  const int port = free_udp_port();
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in sa = Endpoint{0x7F000001, static_cast<std::uint16_t>(port)}.to_sockaddr();
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa), 0);
  DaemonRun run = run_daemon(mesh_.dir(),
                             {"--insecure", "--jack-server", server.name(), "--udp-address",
                              "127.0.0.1", "--udp-port", std::to_string(port)},
                             "port-taken");
  close(fd);
  EXPECT_EQ(run.exit_code, 1);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("already in use"), std::string::npos) << run.lines[0];

  DaemonSpec first = daemon_spec("first", server.name(), free_udp_port(), {});
  Child daemon = mesh_.start_daemon(first);
  ASSERT_TRUE(
      wait_until([&] { return !read_status(mesh_.status_path("first")).node_id.empty(); }, 20));
  run = run_daemon(
      mesh_.dir(),
      {"--insecure", "--jack-server", server.name(), "--client-name", client_name("first"),
       "--udp-address", "127.0.0.1", "--udp-port", std::to_string(free_udp_port())},
      "name-taken");
  EXPECT_EQ(run.exit_code, 1);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("is taken"), std::string::npos) << run.lines[0];
}

TEST_F(DaemonErrorsTest, HostileDatagramsNeverCrashTheDaemon) {
  JackServer server("hmHostile", mesh_.dir());
  ASSERT_TRUE(server.ready());
  const int port = free_udp_port();
  Child daemon = mesh_.start_daemon(daemon_spec("target", server.name(), port, {}));
  ASSERT_TRUE(
      wait_until([&] { return !read_status(mesh_.status_path("target")).node_id.empty(); }, 20));

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in to = Endpoint{0x7F000001, static_cast<std::uint16_t>(port)}.to_sockaddr();
  std::mt19937 rng(1234);
  int sent = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::uint8_t> d(rng() % 1600);
    for (auto& b : d)
      b = static_cast<std::uint8_t>(rng());
    if (d.size() >= kHeaderSize && i % 2 == 0) {
      // A well-formed header of each type with a garbage body, so parsing gets further.
      PacketHeader h;
      h.type = static_cast<PacketType>(1 + i % 4);
      h.stream_id = static_cast<std::uint32_t>(rng() % 4);
      h.sequence = rng();
      if (h.type == PacketType::kAudio) {
        h.codec = static_cast<Codec>(1 + rng() % 4);
        h.channels = static_cast<std::uint8_t>(1 + rng() % 8);
        h.frames = static_cast<std::uint16_t>(1 + rng() % 512);
        h.sample_clock = rng();
      }
      encode_header(h, d.data());
    }
    sendto(fd, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    ++sent;
  }
  close(fd);
  usleep(1'000'000);
  EXPECT_TRUE(daemon.running());
  const NodeStatsSnapshot s = read_status(mesh_.status_path("target"));
  EXPECT_GT(s.malformed + s.unknown_stream + s.hello_rejected,
            static_cast<std::uint64_t>(sent / 2));
  EXPECT_TRUE(s.peers.empty());
}

}  // namespace
}  // namespace hydramesh::testing
