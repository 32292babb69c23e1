// Two hydrameshd daemons, each on its own JACK dummy server, streaming over 127.0.0.1.
#include <gtest/gtest.h>

#include "signal_analysis.h"
#include "support/mesh_fixture.h"

namespace hydramesh::testing {
namespace {

// `recorded` is the probe's noise sample for sample wherever no server in the chain had an xrun
// (see judge_exactness), judged over at least 30 segments: with fewer the machine was too busy
// for the run to show anything, and that fails too.
void expect_sample_exact(const std::vector<float>& recorded, const ProbeTimes& times,
                         const std::vector<double>& xruns, const std::string& what) {
  ASSERT_TRUE(times.ok()) << what << ": the recorder wrote no times";
  const TimedExactness e = judge_exactness(recorded, times, xruns);
  EXPECT_EQ(e.unexplained_ms, std::vector<long>{})
      << what << ": segments not bit-exact with no xrun near (ms into the recording)";
  EXPECT_GE(e.clear, 30) << what << ": only " << e.clear << " of " << e.segments
                         << " segments away from the " << xruns.size() << " xruns";
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

  // The players run from before the recordings until after them, however much time the servers
  // lose in xruns, so their xruns cover whatever can reach a recording.
  Child player_a = mesh.play(server_a.name(), port("alice", "send_1"), "noise", 20000);
  Child player_b = mesh.play(server_b.name(), port("bob", "send_1"), "noise", 20000);
  usleep(400'000);
  Child recorder_a =
      mesh.start_recording(server_a.name(), {port("alice", "bob_1")}, 4000, "at_alice.raw");
  Child recorder_b =
      mesh.start_recording(server_b.name(), {port("bob", "alice_1")}, 4000, "at_bob.raw");
  ASSERT_EQ(recorder_a.wait_exit(30), 0);
  ASSERT_EQ(recorder_b.wait_exit(30), 0);
  usleep(100'000);  // past the 50 ms an xrun reaches after it
  player_a.stop();
  player_b.stop();

  const ProbeTimes times_a = read_probe_times(mesh.dir() + "/at_alice.raw.times");
  const ProbeTimes times_b = read_probe_times(mesh.dir() + "/at_bob.raw.times");
  const ProbeTimes played_a =
      read_probe_times(mesh.dir() + "/player-" + server_a.name() + ".times");
  const ProbeTimes played_b =
      read_probe_times(mesh.dir() + "/player-" + server_b.name() + ".times");
  ASSERT_TRUE(played_a.ok() && played_b.ok()) << "a player wrote no times";
  const std::vector<double> xruns = merged_xruns({played_a, played_b});
  expect_sample_exact(read_raw_floats(mesh.dir() + "/at_bob.raw"), times_b, xruns,
                      "alice -> bob (pcm16)");
  expect_sample_exact(read_raw_floats(mesh.dir() + "/at_alice.raw"), times_a, xruns,
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
