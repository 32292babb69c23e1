#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "hydramesh/hello_message.h"
#include "hydramesh/packet_crypto.h"
#include "hydramesh/pcm_codec.h"
#include "hydramesh/session_keys.h"

namespace hydramesh {
namespace {

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

class CryptoVectorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream in(std::string(HYDRAMESH_VECTORS_DIR) + "/wire_v1.json");
    std::stringstream text;
    text << in.rdbuf();
    vectors_ = nlohmann::json::parse(text.str());
    master_ = *derive_master_key(vectors_["secret"].get<std::string>());
  }
  static Key stream_key() {
    const auto& v = vectors_["stream-key"];
    return derive_stream_key(master_, v["source"].get<std::string>(),
                             v["destination"].get<std::string>(),
                             v["stream-id"].get<std::uint32_t>());
  }
  static nlohmann::json vectors_;
  static Key master_;
};
nlohmann::json CryptoVectorsTest::vectors_;
Key CryptoVectorsTest::master_;

TEST_F(CryptoVectorsTest, KeyDerivationMatchesVectors) {
  EXPECT_EQ(to_hex(master_.data(), 32), vectors_["master-key"]);
  const Key hello = derive_hello_key(master_);
  EXPECT_EQ(to_hex(hello.data(), 32), vectors_["hello-key"]);
  const Key stream = stream_key();
  EXPECT_EQ(to_hex(stream.data(), 32), vectors_["stream-key"]["key"]);
  // Each direction and each run (stream id) has its own key.
  EXPECT_NE(derive_stream_key(master_, "bob", "alice", 305419896), stream);
  EXPECT_NE(derive_stream_key(master_, "alice", "bob", 305419897), stream);
}

TEST_F(CryptoVectorsTest, AudioDatagramMatchesVector) {
  const auto& v = vectors_["audio"];
  std::vector<std::vector<float>> samples = v["samples"].get<std::vector<std::vector<float>>>();
  const float* planar[] = {samples[0].data(), samples[1].data()};
  std::uint8_t payload[16];
  encode_pcm(Codec::kPcm16, planar, 2, 0, 4, payload);
  EXPECT_EQ(to_hex(payload, 16), v["payload"]);
  PacketHeader h;
  h.type = PacketType::kAudio;
  h.stream_id = v["stream-id"];
  h.sequence = v["sequence"];
  h.sample_clock = v["sample-clock"];
  h.codec = Codec::kPcm16;
  h.channels = 2;
  h.frames = 4;
  const Key key = stream_key();
  std::uint8_t out[128];
  const std::size_t n = seal_datagram(&key, h, {payload, 16}, out);
  EXPECT_EQ(to_hex(out, n), v["datagram"]);
}

TEST_F(CryptoVectorsTest, PingAndHelloVectorsOpen) {
  const Key key = stream_key();
  const auto ping = from_hex(vectors_["ping"]["datagram"]);
  PacketHeader h;
  ASSERT_EQ(parse_header(ping, &h), ParseError::kOk);
  EXPECT_EQ(h.type, PacketType::kPing);
  std::uint8_t body[64];
  const std::ptrdiff_t n = open_datagram(&key, h, ping, body, sizeof body);
  ASSERT_EQ(n, 8);
  EXPECT_EQ(to_hex(body, 8), vectors_["ping"]["payload"]);

  const Key hello_key = derive_hello_key(master_);
  const auto hello = from_hex(vectors_["hello"]["datagram"]);
  ASSERT_EQ(parse_header(hello, &h), ParseError::kOk);
  const std::ptrdiff_t m = open_datagram(&hello_key, h, hello, body, sizeof body);
  ASSERT_GT(m, 0);
  EXPECT_EQ(to_hex(body, static_cast<std::size_t>(m)), vectors_["hello"]["body"]);
  HelloMessage msg;
  ASSERT_TRUE(parse_hello({body, static_cast<std::size_t>(m)}, &msg));
  EXPECT_EQ(msg.node_id, vectors_["hello"]["node-id"]);
  EXPECT_EQ(msg.sample_rate, vectors_["hello"]["sample-rate"]);
}

TEST_F(CryptoVectorsTest, AnyAlteredByteOrWrongKeyFails) {
  const Key key = stream_key();
  const auto good = from_hex(vectors_["audio"]["datagram"]);
  std::uint8_t out[128];
  PacketHeader h;
  for (std::size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x01;
    if (parse_header(bad, &h) != ParseError::kOk) continue;  // header no longer parses: dropped
    EXPECT_LT(open_datagram(&key, h, bad, out, sizeof out), 0) << "byte " << i;
  }
  ASSERT_EQ(parse_header(good, &h), ParseError::kOk);
  EXPECT_EQ(open_datagram(&key, h, good, out, sizeof out), 16);
  const Key other =
      derive_stream_key(*derive_master_key("another secret!"), "alice", "bob", 305419896);
  EXPECT_LT(open_datagram(&other, h, good, out, sizeof out), 0);
  EXPECT_LT(open_datagram(&key, h, std::span(good).first(good.size() - 1), out, sizeof out), 0);
  // A body that does not fit the caller's buffer is refused, with or without a key.
  EXPECT_LT(open_datagram(&key, h, good, out, 15), 0);
  EXPECT_LT(open_datagram(nullptr, h, good, out, good.size() - kHeaderSize - 1), 0);
  EXPECT_EQ(open_datagram(nullptr, h, good, out, good.size() - kHeaderSize),
            static_cast<std::ptrdiff_t>(good.size() - kHeaderSize));
}

TEST(SecretFileTest, RulesForTheSecretFile) {
  const std::string path = ::testing::TempDir() + "/hm_secret_" + std::to_string(getpid());
  { std::ofstream(path) << "  \n s3cret-passphrase \t\n"; }
  chmod(path.c_str(), 0600);
  auto secret = read_secret_file(path);
  ASSERT_TRUE(secret.ok()) << secret.status().message();
  EXPECT_EQ(*secret, "s3cret-passphrase");
  chmod(path.c_str(), 0644);
  auto world = read_secret_file(path);
  EXPECT_EQ(world.status().code(), archibald::Code::kPermissionDenied);
  EXPECT_NE(world.status().message().find("world-readable"), std::string::npos);
  chmod(path.c_str(), 0600);
  std::ofstream(path) << "short\n";
  EXPECT_EQ(read_secret_file(path).status().code(), archibald::Code::kInvalidArgument);
  std::remove(path.c_str());
  EXPECT_FALSE(read_secret_file(path).ok());
}

}  // namespace
}  // namespace hydramesh
