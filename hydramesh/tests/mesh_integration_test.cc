// Two hydrameshd daemons, each on its own JACK dummy server, streaming over 127.0.0.1.
#include <gtest/gtest.h>

#include "signal_analysis.h"
#include "support/mesh_fixture.h"

namespace hydramesh::testing {
namespace {

// Checks that `recorded` is the probe's noise, sample for sample, from the end of the silence
// before the recorder's port connection took effect.
void expect_sample_exact(const std::vector<float>& recorded, const std::string& what) {
  std::size_t from = 0;
  while (from < recorded.size() && recorded[from] == 0.0f)
    ++from;
  from += 64;
  const std::vector<float> reference = reference_noise(48000 * 30);
  const long offset = find_in_reference(reference, recorded, from);
  ASSERT_GE(offset, 0) << what << ": the test signal was not found in the recording";
  std::size_t mismatches = 0, compared = 0;
  for (std::size_t i = from; i < recorded.size(); ++i) {
    const std::size_t r = static_cast<std::size_t>(offset) + (i - from);
    if (r >= reference.size()) break;
    ++compared;
    if (recorded[i] != reference[r]) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0u) << what;
  EXPECT_GT(compared, 48000u) << what;
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

  Child player_a = mesh.play(server_a.name(), port("alice", "send_1"), "noise", 6000);
  Child player_b = mesh.play(server_b.name(), port("bob", "send_1"), "noise", 6000);
  usleep(400'000);
  Child recorder_a(
      {HYDRAMESH_PROBE_PATH, "--server", server_a.name(), "--name", "recorder-a", "--record",
       port("alice", "bob_1"), "--out", mesh.dir() + "/at_alice.raw", "--milliseconds", "2000"},
      mesh.dir() + "/recorder_a.log");
  ASSERT_TRUE(mesh.record(server_b.name(), {port("bob", "alice_1")}, 2000, "at_bob.raw"));
  ASSERT_EQ(recorder_a.wait_exit(30), 0);

  expect_sample_exact(read_raw_floats(mesh.dir() + "/at_bob.raw"), "alice -> bob (pcm16)");
  expect_sample_exact(read_raw_floats(mesh.dir() + "/at_alice.raw"), "bob -> alice (pcm24)");
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
