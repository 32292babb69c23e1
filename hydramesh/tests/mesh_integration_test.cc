// Two hydrameshd daemons, each on its own JACK dummy server, streaming over 127.0.0.1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "hydramesh/probe_times.h"
#include "signal_analysis.h"
#include "support/mesh_fixture.h"

namespace hydramesh::testing {
namespace {

// Checks that `recorded` is the probe's noise, sample for sample, from the end of the silence
// before the recorder's connection took effect, wherever no JACK server in the chain had an
// xrun. A stalled graph (a missed period on a loaded machine) spoils what it touches: each
// inexact segment must lie near one of `xruns` (see near_xrun), as placed by the recorder's
// `times`. At least 30 segments away from every xrun must be judged: with fewer the machine
// was too busy for the run to show anything, and that fails too.
void expect_sample_exact(const std::vector<float>& recorded, const ProbeTimes& times,
                         const std::vector<double>& xruns, const std::string& what) {
  static const std::vector<float> reference = reference_noise(48000 * 30);
  constexpr std::size_t kSegment = 2400;
  ASSERT_TRUE(times.ok()) << what << ": the recorder wrote no times";
  std::size_t from = 0;
  while (from < recorded.size() && recorded[from] == 0.0f)
    ++from;
  from += 64;
  const Exactness e = check_exact_segments(reference, recorded, from, recorded.size(), kSegment);
  int clear = 0;
  for (int i = 0; i < e.segments; ++i) {
    const std::size_t s = from + static_cast<std::size_t>(i) * kSegment;
    const double begin_us = times.usecs_at(static_cast<double>(s));
    const bool near = near_xrun(xruns, begin_us, times.usecs_at(static_cast<double>(s + kSegment)));
    const bool exact =
        std::find(e.inexact_from.begin(), e.inexact_from.end(), s) == e.inexact_from.end();
    clear += !near;
    EXPECT_TRUE(exact || near) << what << ": segment " << i << " of " << e.segments << " ("
                               << std::lround((begin_us - times.start_us()) / 1000.0)
                               << " ms into the recording) is not bit-exact, with no xrun near";
  }
  EXPECT_GE(clear, 30) << what << ": only " << clear << " of " << e.segments
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

  // The players run from before the recordings to after them, so their servers' xruns cover
  // whatever can reach a recording.
  Child player_a = mesh.play(server_a.name(), port("alice", "send_1"), "noise", 5000);
  Child player_b = mesh.play(server_b.name(), port("bob", "send_1"), "noise", 5000);
  usleep(400'000);
  Child recorder_a =
      mesh.start_recording(server_a.name(), {port("alice", "bob_1")}, 4000, "at_alice.raw");
  Child recorder_b =
      mesh.start_recording(server_b.name(), {port("bob", "alice_1")}, 4000, "at_bob.raw");
  for (Child* probe : {&recorder_a, &recorder_b, &player_a, &player_b})
    ASSERT_EQ(probe->wait_exit(30), 0);

  const ProbeTimes times_a = read_probe_times(mesh.dir() + "/at_alice.raw.times");
  const ProbeTimes times_b = read_probe_times(mesh.dir() + "/at_bob.raw.times");
  const std::vector<double> xruns =
      merged_xruns({read_probe_times(mesh.dir() + "/player-" + server_a.name() + ".times"),
                    read_probe_times(mesh.dir() + "/player-" + server_b.name() + ".times")});
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
