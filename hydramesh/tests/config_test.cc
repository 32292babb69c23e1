#include "hydramesh/config.h"

#include <gtest/gtest.h>

namespace hydramesh {
namespace {

TEST(ConfigTest, ParsesEveryKey) {
  auto c = parse_config(R"({
    "node-id": "alice", "udp-address": "127.0.0.1", "udp-port": 7000, "udp-mtu": 1200,
    "peers": ["127.0.0.1:7001", "127.0.0.2:7002"], "secret-file": "/tmp/s", "insecure": false,
    "jack-server": "studio", "jack-client-name": "hm", "status-file": "/tmp/st.json",
    "dropout-log": "/tmp/dropouts.log", "max-peers": 4, "loopback": true,
    "audio": {"channels": 4, "codec": "opus", "jitter-ms": "auto", "mix-bus": true,
              "drift-compensation": false, "opus-frame-ms": 5, "opus-bitrate": 64000}})",
                        "t.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->node_id, "alice");
  EXPECT_EQ(c->udp_port, 7000);
  EXPECT_EQ(c->udp_mtu, 1200);
  EXPECT_EQ(c->peers.size(), 2u);
  EXPECT_EQ(c->jack_server, "studio");
  EXPECT_EQ(c->dropout_log, "/tmp/dropouts.log");
  EXPECT_EQ(c->max_peers, 4);
  EXPECT_TRUE(c->loopback);
  EXPECT_EQ(c->audio.channels, 4);
  EXPECT_EQ(c->audio.codec, Codec::kOpus);
  EXPECT_TRUE(c->audio.jitter_adaptive);
  EXPECT_TRUE(c->audio.mix_bus);
  EXPECT_FALSE(c->audio.drift_compensation);
  EXPECT_EQ(c->audio.opus_frame_ms, 5.0);
  EXPECT_EQ(c->audio.opus_bitrate, 64000);
}

TEST(ConfigTest, EveryBadInputIsOneLineNamingTheKey) {
  struct Case {
    const char* json;
    const char* names;
  };
  const Case cases[] = {
      {R"({"mode": "p2p"})", "unknown key 'mode'"},
      {R"({"audio": {"gain": 1}})", "unknown key 'audio.gain'"},
      {R"({"udp-port": 70000})", "'udp-port'"},
      {R"({"udp-port": "7777"})", "'udp-port'"},
      {R"({"udp-mtu": 100})", "'udp-mtu'"},
      {R"({"node-id": "a b"})", "'node-id'"},
      {R"({"peers": ["nohost"]})", "'peers[0]'"},
      {R"({"peers": "1.2.3.4:5"})", "'peers'"},
      {R"({"insecure": "yes"})", "'insecure'"},
      {R"({"dropout-log": 1})", "'dropout-log'"},
      {R"({"max-peers": 0})", "'max-peers'"},
      {R"({"audio": {"channels": 0}})", "'audio.channels'"},
      {R"({"audio": {"codec": "mp3"}})", "'audio.codec'"},
      {R"({"audio": {"jitter-ms": -1}})", "'audio.jitter-ms'"},
      {R"({"audio": {"jitter-ms": "fast"}})", "'audio.jitter-ms'"},
      {R"({"audio": {"opus-frame-ms": 20}})", "'audio.opus-frame-ms'"},
      {R"({"audio": []})", "'audio'"},
      {R"([1, 2])", "(top level)"},
      {R"({"udp-port": )", "not valid JSON"},
  };
  for (const Case& c : cases) {
    auto r = parse_config(c.json, "t.json");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), archibald::Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.names), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
    EXPECT_EQ(r.status().message().rfind("t.json", 0), 0u) << r.status().message();
  }
}

TEST(ConfigTest, FlagsOverrideKeys) {
  auto c = parse_config(R"({"node-id": "alice", "udp-port": 7000, "peers": ["127.0.0.1:1"],
                            "secret-file": "/tmp/s", "audio": {"codec": "pcm16"}})",
                        "t.json");
  ASSERT_TRUE(c.ok());
  ConfigOverrides o;
  o.node_id = "bob";
  o.udp_port = 7100;
  o.peers = {"127.0.0.1:2", "127.0.0.1:3"};
  o.codec = "float32";
  o.jitter_ms = "7.5";
  o.channels = 3;
  o.loopback = true;
  ASSERT_TRUE(apply_overrides(o, &*c).ok());
  EXPECT_EQ(c->node_id, "bob");
  EXPECT_EQ(c->udp_port, 7100);
  EXPECT_EQ(c->peers, (std::vector<std::string>{"127.0.0.1:2", "127.0.0.1:3"}));
  EXPECT_EQ(c->audio.codec, Codec::kFloat32);
  EXPECT_EQ(c->audio.jitter_ms, 7.5);
  EXPECT_EQ(c->audio.channels, 3);
  EXPECT_TRUE(c->loopback);

  ConfigOverrides bad_codec;
  bad_codec.codec = "mp3";
  EXPECT_NE(apply_overrides(bad_codec, &*c).message().find("--codec"), std::string::npos);
  ConfigOverrides bad_jitter;
  bad_jitter.jitter_ms = "soon";
  EXPECT_NE(apply_overrides(bad_jitter, &*c).message().find("--jitter-ms"), std::string::npos);
  ConfigOverrides bad_peer;
  bad_peer.peers = {"127.0.0.1"};
  EXPECT_NE(apply_overrides(bad_peer, &*c).message().find("--peer"), std::string::npos);
}

TEST(ConfigTest, SecretRequiredUnlessInsecure) {
  DaemonConfig c;
  c.node_id = "a";
  EXPECT_NE(apply_overrides({}, &c).message().find("secret"), std::string::npos);
  ConfigOverrides o;
  o.insecure = true;
  EXPECT_TRUE(apply_overrides(o, &c).ok());
}

}  // namespace
}  // namespace hydramesh
