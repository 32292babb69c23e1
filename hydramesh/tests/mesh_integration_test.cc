// Two hydrameshd daemons, each on its own JACK dummy server, streaming over 127.0.0.1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "signal_analysis.h"
#include "support/mesh_fixture.h"

namespace hydramesh::testing {
namespace {

TEST(MeshIntegrationTest, PcmArrivesSampleExactInBothDirections) {
  MeshFixture mesh("two-node");
  JackServer server_a("hmA", mesh.dir());
  JackServer server_b("hmB", mesh.dir());
  Canary canary(mesh);
  ASSERT_TRUE(server_a.ready() && server_b.ready() && canary.ready());
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

  // `recorded` must be the probe's noise sample for sample wherever no server in the chain had
  // an xrun (see judge_exactness), judged over at least 30 segments per direction: takes too
  // busy for that are taken again (kMaxTakes), and with fewer in all the test fails too, unless
  // the canary shows the machine itself too busy to run audio.
  TimedExactness to_bob, to_alice;
  for (int take = 0; take < kMaxTakes && std::min(to_bob.clear, to_alice.clear) < 30; ++take) {
    canary.start_take();
    // The players run from before the recordings until after them, however much time the
    // servers lose in xruns, so their xruns cover whatever can reach a recording.
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
    canary.end_take();

    const ProbeTimes times_a = read_probe_times(mesh.dir() + "/at_alice.raw.times");
    const ProbeTimes times_b = read_probe_times(mesh.dir() + "/at_bob.raw.times");
    const ProbeTimes played_a =
        read_probe_times(mesh.dir() + "/player-" + server_a.name() + ".times");
    const ProbeTimes played_b =
        read_probe_times(mesh.dir() + "/player-" + server_b.name() + ".times");
    ASSERT_TRUE(times_a.ok() && times_b.ok()) << "a recorder wrote no times";
    ASSERT_TRUE(played_a.ok() && played_b.ok()) << "a player wrote no times";
    const std::vector<XrunSpan> xruns = merged_xruns({played_a, played_b});
    to_bob += judge_exactness(read_raw_floats(mesh.dir() + "/at_bob.raw"), times_b, xruns);
    to_alice += judge_exactness(read_raw_floats(mesh.dir() + "/at_alice.raw"), times_a, xruns);
    std::printf("take %d: %zu xrun spans; clear so far %d and %d\n", take + 1, xruns.size(),
                to_bob.clear, to_alice.clear);
  }
  const std::pair<TimedExactness*, const char*> directions[] = {
      {&to_bob, "alice -> bob (pcm16)"}, {&to_alice, "bob -> alice (pcm24)"}};
  for (const auto& [e, what] : directions) {
    EXPECT_EQ(e->unexplained_ms, std::vector<long>{})
        << what << ": segments not bit-exact with no xrun near (ms into their take)";
    EXPECT_EQ(e->silent_takes, 0) << what << ": the stream never arrived";
  }
  if (std::min(to_bob.clear, to_alice.clear) < 30 && canary.busy_in_every_take()) {
    GTEST_SKIP() << "too busy to judge: " << canary.report();
  }
  for (const auto& [e, what] : directions) {
    EXPECT_GE(e->clear, 30) << what << ": only " << e->clear << " of " << e->segments
                            << " segments away from xruns in " << kMaxTakes << " takes";
  }
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
