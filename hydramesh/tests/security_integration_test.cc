// A sender without the session secret cannot inject audio or hijack a peer, and replayed
// packets are rejected: the test process speaks the wire protocol to a real hydrameshd.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "hydramesh/endpoint.h"
#include "hydramesh/hello_message.h"
#include "hydramesh/packet_crypto.h"
#include "hydramesh/pcm_codec.h"
#include "hydramesh/session_keys.h"
#include "hydramesh/test_signal.h"
#include "support/mesh_fixture.h"

namespace hydramesh::testing {
namespace {

// A protocol speaker with its own socket on 127.0.0.1.
class RawPeer {
 public:
  RawPeer(std::string node_id, const std::string& secret, std::uint32_t stream_id)
      : node_id_(std::move(node_id)), stream_id_(stream_id) {
    master_ = *derive_master_key(secret);
    hello_key_ = derive_hello_key(master_);
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
  }
  ~RawPeer() { close(fd_); }
  int port() const { return port_; }

  void send(const std::vector<std::uint8_t>& datagram, int to_port) const {
    const sockaddr_in to = Endpoint{0x7F000001, static_cast<std::uint16_t>(to_port)}.to_sockaddr();
    sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to),
           sizeof to);
  }

  std::vector<std::uint8_t> hello() {
    HelloMessage h;
    h.channels = 1;
    h.codec = Codec::kPcm16;
    h.sample_rate = 48000;
    h.period = 64;
    h.node_id = node_id_;
    std::uint8_t body[kMaxHelloSize];
    const std::size_t n = encode_hello(h, body);
    PacketHeader header;
    header.type = PacketType::kHello;
    header.stream_id = stream_id_;
    header.sequence = hello_sequence_++;
    std::vector<std::uint8_t> out(256);
    out.resize(seal_datagram(&hello_key_, header, {body, n}, out.data()));
    return out;
  }

  std::vector<std::uint8_t> audio(const std::string& to_node, std::uint64_t sequence,
                                  const std::vector<float>& samples) {
    const Key key = derive_stream_key(master_, node_id_, to_node, stream_id_);
    PacketHeader h;
    h.type = PacketType::kAudio;
    h.stream_id = stream_id_;
    h.sequence = sequence;
    h.sample_clock = sequence * samples.size();
    h.codec = Codec::kPcm16;
    h.channels = 1;
    h.frames = static_cast<std::uint16_t>(samples.size());
    std::vector<std::uint8_t> payload(samples.size() * 2);
    const float* planar[] = {samples.data()};
    encode_pcm(Codec::kPcm16, planar, 1, 0, h.frames, payload.data());
    std::vector<std::uint8_t> out(kMaxDatagram);
    out.resize(seal_datagram(&key, h, payload, out.data()));
    return out;
  }

 private:
  std::string node_id_;
  std::uint32_t stream_id_;
  Key master_{}, hello_key_{};
  int fd_ = -1;
  int port_ = 0;
  std::uint64_t hello_sequence_ = 0;
};

TEST(SecurityIntegrationTest, NoSecretNoAudioAndReplaysAreRejected) {
  MeshFixture mesh("security");
  JackServer server("hmSec", mesh.dir());
  ASSERT_TRUE(server.ready());
  const int bob_port = free_udp_port();
  DaemonSpec bob = daemon_spec("bob", server.name(), bob_port, {});
  bob.codec = "pcm16";
  Child daemon = mesh.start_daemon(bob);

  const std::string secret = "band-rehearsal-secret-42";
  RawPeer alice("alice", secret, 0xA11CE);
  RawPeer impostor("alice", "not-the-band-secret", 0xA11CE);  // same name and stream id
  RawPeer mallory("mallory", "not-the-band-secret", 0xBAD);
  ASSERT_TRUE(wait_until(
      [&] {
        alice.send(alice.hello(), bob_port);
        return find_peer(read_status(mesh.status_path("bob")), "alice") != nullptr;
      },
      20.0));

  Child recorder(
      {HYDRAMESH_PROBE_PATH, "--server", server.name(), "--name", "sec-recorder", "--record",
       port("bob", "alice_1"), "--out", mesh.dir() + "/at_bob.raw", "--milliseconds", "2500"},
      mesh.dir() + "/recorder.log");
  // 2 s of real-time audio from alice (a 0.5 sine: even concealed, it stays below 0.55),
  // while the impostor sends full-scale packets under alice's stream id with fresh sequence
  // numbers, and both forge HELLOs.
  TestSignal sine(TestSignal::Kind::kSine, 440.0, 48000);
  std::vector<std::vector<std::uint8_t>> sent;
  const std::vector<float> loud(64, 0.9f);
  int forged_audio = 0, forged_hellos = 0;
  auto next = std::chrono::steady_clock::now();
  for (std::uint64_t seq = 0; seq < 1500; ++seq) {
    std::vector<float> block(64);
    for (float& x : block)
      x = sine.next();
    sent.push_back(alice.audio("bob", seq, block));
    alice.send(sent.back(), bob_port);
    impostor.send(impostor.audio("bob", seq + 100000, loud), bob_port);
    ++forged_audio;
    if (seq % 75 == 0) {
      impostor.send(impostor.hello(), bob_port);
      mallory.send(mallory.hello(), bob_port);
      forged_hellos += 2;
      alice.send(alice.hello(), bob_port);
    }
    next += std::chrono::microseconds(1333);
    std::this_thread::sleep_until(next);
  }
  ASSERT_EQ(recorder.wait_exit(30), 0);
  usleep(700'000);  // one status-file period
  const NodeStatsSnapshot during = read_status(mesh.status_path("bob"));
  const PeerStatsSnapshot* a = find_peer(during, "alice");
  ASSERT_NE(a, nullptr);

  const std::vector<float> heard = read_raw_floats(mesh.dir() + "/at_bob.raw");
  float peak = 0;
  std::size_t nonzero = 0;
  for (float x : heard) {
    peak = std::max(peak, std::fabs(x));
    nonzero += x != 0.0f;
  }
  EXPECT_LE(peak, 0.55f) << "forged audio reached bob's output (concealed packets: " << a->concealed
                         << ")";
  EXPECT_GT(nonzero, 48000u) << "alice's genuine audio should have been played";
  EXPECT_GE(a->auth_failures, static_cast<std::uint64_t>(forged_audio * 9 / 10));
  EXPECT_EQ(a->received, 1500u);
  EXPECT_EQ(find_peer(during, "mallory"), nullptr);
  EXPECT_GE(during.hello_rejected, static_cast<std::uint64_t>(forged_hellos));
  EXPECT_EQ(a->endpoint, "127.0.0.1:" + std::to_string(alice.port()));  // not hijacked

  // Replay 50 genuine packets: all rejected, none received or played.
  for (int i = 0; i < 50; ++i)
    alice.send(sent[static_cast<std::size_t>(i * 20)], bob_port);
  usleep(800'000);
  const NodeStatsSnapshot after = read_status(mesh.status_path("bob"));
  const PeerStatsSnapshot* a2 = find_peer(after, "alice");
  ASSERT_NE(a2, nullptr);
  EXPECT_EQ(a2->duplicates - a->duplicates, 50u);
  EXPECT_EQ(a2->received, a->received);
}

}  // namespace
}  // namespace hydramesh::testing
