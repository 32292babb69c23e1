// Three-node mesh, impaired network (through hydramesh-relay) and --loopback round trip.
#include <gtest/gtest.h>

#include "signal_analysis.h"
#include "support/mesh_fixture.h"

namespace hydramesh::testing {
namespace {

std::vector<float> channel(const std::vector<float>& interleaved, int channels, int c) {
  std::vector<float> out;
  for (std::size_t i = static_cast<std::size_t>(c); i < interleaved.size();
       i += static_cast<std::size_t>(channels)) {
    out.push_back(interleaved[i]);
  }
  return out;
}

// Mismatches between recorded[from..to) and the probe noise, after aligning at `from`.
long mismatches_against_noise(const std::vector<float>& recorded, std::size_t from, std::size_t to,
                              long* offset_out = nullptr) {
  static const std::vector<float> reference = reference_noise(48000 * 30);
  while (from < recorded.size() && recorded[from] == 0.0f)
    ++from;
  from += 64;
  const long offset = find_in_reference(reference, recorded, from);
  if (offset_out != nullptr) *offset_out = offset - static_cast<long>(from);
  if (offset < 0) return -1;
  long bad = 0;
  for (std::size_t i = from; i < std::min(to, recorded.size()); ++i) {
    bad += recorded[i] != reference[static_cast<std::size_t>(offset) + (i - from)];
  }
  return bad;
}

TEST(MeshNetworkTest, ThreeNodeFullMeshSurvivesAPeerLeaving) {
  MeshFixture mesh("three-node");
  JackServer sa("hm3A", mesh.dir()), sb("hm3B", mesh.dir()), sc("hm3C", mesh.dir());
  ASSERT_TRUE(sa.ready() && sb.ready() && sc.ready());
  const int pa = free_udp_port(), pb = free_udp_port(), pc = free_udp_port();
  DaemonSpec a = daemon_spec("alice", sa.name(), pa, {pb, pc});
  DaemonSpec b = daemon_spec("bob", sb.name(), pb, {pa, pc});
  DaemonSpec c = daemon_spec("charlie", sc.name(), pc, {pa, pb});
  a.codec = "pcm16";
  b.codec = "pcm24";
  c.codec = "float32";
  a.jitter_ms = b.jitter_ms = c.jitter_ms = "30";
  Child da = mesh.start_daemon(a), db = mesh.start_daemon(b), dc = mesh.start_daemon(c);
  ASSERT_TRUE(mesh.wait_for_stream("bob", "alice"));
  ASSERT_TRUE(mesh.wait_for_stream("bob", "charlie"));
  ASSERT_TRUE(mesh.wait_for_stream("charlie", "alice"));
  ASSERT_TRUE(mesh.wait_for_stream("alice", "charlie"));

  Child pl_a = mesh.play(sa.name(), port("alice", "send_1"), "noise", 8000);
  Child pl_c = mesh.play(sc.name(), port("charlie", "send_1"), "noise", 8000);
  usleep(400'000);
  Child rec_c({HYDRAMESH_PROBE_PATH, "--server", sc.name(), "--name", "rec-c", "--record",
               port("charlie", "alice_1"), "--out", mesh.dir() + "/at_charlie.raw",
               "--milliseconds", "1000"},
              mesh.dir() + "/rec_c.log");
  Child rec_b({HYDRAMESH_PROBE_PATH, "--server", sb.name(), "--name", "rec-b", "--record",
               port("bob", "alice_1"), "--record", port("bob", "charlie_1"), "--out",
               mesh.dir() + "/at_bob.raw", "--milliseconds", "3000"},
              mesh.dir() + "/rec_b.log");
  ASSERT_EQ(rec_c.wait_exit(30), 0);
  // Charlie leaves while bob is still recording alice: alice's stream must not notice.
  pl_c.stop();
  dc.stop();
  ASSERT_EQ(rec_b.wait_exit(30), 0);

  const std::vector<float> at_bob = read_raw_floats(mesh.dir() + "/at_bob.raw");
  EXPECT_EQ(mismatches_against_noise(channel(at_bob, 2, 0), 0, SIZE_MAX), 0) << "alice -> bob";
  // Charlie's stream was exact while charlie ran (the first ~second of bob's recording).
  EXPECT_EQ(mismatches_against_noise(channel(at_bob, 2, 1), 0, 30000), 0) << "charlie -> bob";
  EXPECT_EQ(mismatches_against_noise(read_raw_floats(mesh.dir() + "/at_charlie.raw"), 0, SIZE_MAX),
            0)
      << "alice -> charlie";

  ASSERT_TRUE(wait_until(
      [&] {
        const NodeStatsSnapshot snapshot = read_status(mesh.status_path("bob"));
        const PeerStatsSnapshot* p = find_peer(snapshot, "charlie");
        return p != nullptr && !p->active;
      },
      10));
  const NodeStatsSnapshot bob = read_status(mesh.status_path("bob"));
  EXPECT_TRUE(find_peer(bob, "alice")->active);
  EXPECT_EQ(find_peer(bob, "alice")->concealed, 0u);
}

TEST(MeshNetworkTest, ThroughTheRelayWithLossAndJitterOnlyConcealedPacketsAndNoClicks) {
  MeshFixture mesh("relay");
  JackServer sa("hmRlA", mesh.dir()), sb("hmRlB", mesh.dir());
  ASSERT_TRUE(sa.ready() && sb.ready());
  const int pa = free_udp_port(), pb = free_udp_port(), pr = free_udp_port();
  Child relay({HYDRAMESH_RELAY_PATH, "--listen", "127.0.0.1:" + std::to_string(pr), "--forward",
               "127.0.0.1:" + std::to_string(pb), "--loss", "2", "--jitter-ms", "2", "--seed", "7"},
              mesh.dir() + "/relay.log");
  DaemonSpec a = daemon_spec("alice", sa.name(), pa, {pr});  // alice reaches bob via the relay
  DaemonSpec b = daemon_spec("bob", sb.name(), pb, {});      // bob learns alice from her hellos
  b.jitter_ms = "10";
  b.drift_compensation = true;
  Child da = mesh.start_daemon(a), db = mesh.start_daemon(b);
  ASSERT_TRUE(mesh.wait_for_stream("bob", "alice")) << read_file(mesh.log_path("bob"));

  Child player = mesh.play(sa.name(), port("alice", "send_1"), "sine:440", 8000);
  usleep(600'000);
  const PeerStatsSnapshot before = *find_peer(read_status(mesh.status_path("bob")), "alice");
  ASSERT_TRUE(mesh.record(sb.name(), {port("bob", "alice_1")}, 4000, "at_bob.raw"));
  usleep(600'000);
  const PeerStatsSnapshot after = *find_peer(read_status(mesh.status_path("bob")), "alice");

  const std::vector<float> heard = read_raw_floats(mesh.dir() + "/at_bob.raw");
  std::size_t start = 0;
  while (start < heard.size() && heard[start] == 0.0f)
    ++start;
  const int clicks = count_clicks(heard, 440, 48000, 0.02, start + 256);
  const std::uint64_t concealed = after.concealed - before.concealed;
  EXPECT_GT(after.lost - before.lost, 20u) << "the relay should have dropped about 2%";
  EXPECT_GT(concealed, 20u);
  EXPECT_LE(static_cast<std::uint64_t>(clicks), concealed);
  // Concealment itself is click-free (ConcealerTest); the rare remaining discontinuity comes
  // from a JACK xrun of an ASan-slowed process on a loaded machine, not from the network.
  EXPECT_LE(static_cast<std::uint64_t>(clicks) * 10, concealed)
      << clicks << " clicks, " << concealed << " concealed packets";
  EXPECT_LE(after.skipped - before.skipped, 0u);
}

TEST(MeshNetworkTest, LoopbackPeerGivesTheAudioRoundTripWhichMatchesAProbe) {
  MeshFixture mesh("loopback");
  JackServer sa("hmLbA", mesh.dir()), sb("hmLbB", mesh.dir());
  ASSERT_TRUE(sa.ready() && sb.ready());
  const int pa = free_udp_port(), pb = free_udp_port();
  DaemonSpec a = daemon_spec("alice", sa.name(), pa, {pb});
  DaemonSpec b = daemon_spec("bob", sb.name(), pb, {pa});
  a.jitter_ms = "10";
  b.loopback = true;
  Child da = mesh.start_daemon(a), db = mesh.start_daemon(b);
  ASSERT_TRUE(mesh.wait_for_stream("alice", "bob"));

  // One probe plays into alice's send port and records alice's port for bob: the echo.
  Child probe({HYDRAMESH_PROBE_PATH, "--server", sa.name(), "--name", "rtt-probe", "--play",
               port("alice", "send_1"), "--record", port("alice", "bob_1"), "--out",
               mesh.dir() + "/echo.raw", "--milliseconds", "2000"},
              mesh.dir() + "/probe.log");
  ASSERT_EQ(probe.wait_exit(30), 0);
  const NodeStatsSnapshot s = read_status(mesh.status_path("alice"));
  const PeerStatsSnapshot* bob = find_peer(s, "bob");
  ASSERT_NE(bob, nullptr);
  EXPECT_TRUE(bob->loopback);

  long delay = 0;
  EXPECT_EQ(
      mismatches_against_noise(read_raw_floats(mesh.dir() + "/echo.raw"), 0, SIZE_MAX, &delay), 0);
  const double probe_ms = -static_cast<double>(delay) / 48.0;
  EXPECT_GT(probe_ms, 10.0);  // at least the jitter target
  EXPECT_NEAR(bob->audio_rtt_ms, probe_ms, 3.0) << "built-in vs. probe round trip";
  EXPECT_GT(bob->rtt_ms, 0.0);
  EXPECT_LT(bob->rtt_ms, 50.0);
}

}  // namespace
}  // namespace hydramesh::testing
