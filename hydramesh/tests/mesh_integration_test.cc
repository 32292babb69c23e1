// Two hydrameshd daemons, each on its own JACK dummy server, streaming over 127.0.0.1.
#include <gtest/gtest.h>

#include "signal_analysis.h"
#include "support/mesh_fixture.h"

namespace hydramesh::testing {
namespace {

// Checks that `recorded` is the probe's noise, sample for sample, from the end of the silence
// before the recorder's connection took effect. Segments spoilt by JACK xruns (a missed period
// on a loaded machine) are allowed, two per xrun the daemons counted meanwhile.
void expect_sample_exact(const std::vector<float>& recorded, std::uint64_t xruns,
                         const std::string& what) {
  static const std::vector<float> reference = reference_noise(48000 * 30);
  std::size_t from = 0;
  while (from < recorded.size() && recorded[from] == 0.0f)
    ++from;
  const Exactness e = check_exact_segments(reference, recorded, from + 64, recorded.size());
  EXPECT_GE(e.segments, 30) << what;
  EXPECT_GE(e.exact, e.segments - 2 * static_cast<int>(xruns))
      << what << ": " << e.exact << " of " << e.segments << " segments bit-exact, " << xruns
      << " xruns";
  EXPECT_GE(e.exact * 10, e.segments * 9) << what;
}

std::uint64_t xruns(const MeshFixture& mesh, const std::vector<std::string>& nodes) {
  std::uint64_t total = 0;
  for (const std::string& n : nodes)
    total += read_status(mesh.status_path(n)).xruns;
  return total;
}

TEST(MeshIntegrationTest, PcmArrivesSampleExactInBothDirections) {
  MeshFixture mesh("two-node");
  JackServer server_a("hmA", mesh.dir());
  JackServer server_b("hmB", mesh.dir());
  ASSERT_TRUE(server_a.ready() && server_b.ready());
  const int port_a = free_udp_port(), port_b = free_udp_port();
  DaemonSpec alice = daemon_spec("alice", server_a.name(), port_a, {port_b});
  alice.codec = "pcm16";
  alice.jitter_ms = "30";
  DaemonSpec bob = daemon_spec("bob", server_b.name(), port_b, {port_a});
  bob.codec = "pcm24";
  bob.jitter_ms = "30";
  Child daemon_a = mesh.start_daemon(alice);
  Child daemon_b = mesh.start_daemon(bob);
  ASSERT_TRUE(mesh.wait_for_stream("bob", "alice")) << read_file(mesh.log_path("bob"));
  ASSERT_TRUE(mesh.wait_for_stream("alice", "bob")) << read_file(mesh.log_path("alice"));

  const std::uint64_t xruns_before = xruns(mesh, {"alice", "bob"});
  Child player_a = mesh.play(server_a.name(), port("alice", "send_1"), "noise", 6000);
  Child player_b = mesh.play(server_b.name(), port("bob", "send_1"), "noise", 6000);
  usleep(400'000);
  Child recorder_a(
      {HYDRAMESH_PROBE_PATH, "--server", server_a.name(), "--name", "recorder-a", "--record",
       port("alice", "bob_1"), "--out", mesh.dir() + "/at_alice.raw", "--milliseconds", "2000"},
      mesh.dir() + "/recorder_a.log");
  ASSERT_TRUE(mesh.record(server_b.name(), {port("bob", "alice_1")}, 2000, "at_bob.raw"));
  ASSERT_EQ(recorder_a.wait_exit(30), 0);

  usleep(600'000);  // a status-file period, for the xrun counts
  const std::uint64_t xrun_count = xruns(mesh, {"alice", "bob"}) - xruns_before;
  expect_sample_exact(read_raw_floats(mesh.dir() + "/at_bob.raw"), xrun_count,
                      "alice -> bob (pcm16)");
  expect_sample_exact(read_raw_floats(mesh.dir() + "/at_alice.raw"), xrun_count,
                      "bob -> alice (pcm24)");
  const NodeStatsSnapshot at_bob = read_status(mesh.status_path("bob"));
  const PeerStatsSnapshot* from_alice = find_peer(at_bob, "alice");
  ASSERT_NE(from_alice, nullptr);
  EXPECT_TRUE(from_alice->active);
  EXPECT_EQ(from_alice->auth_failures, 0u);
  EXPECT_GT(from_alice->rtt_ms, 0.0);
  EXPECT_TRUE(at_bob.secure);
}

}  // namespace
}  // namespace hydramesh::testing
