#include "hydramesh/impairment_relay.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

namespace hydramesh {
namespace {

TEST(ImpairmentModelTest, RatesAndDelaysFollowTheOptionsAndTheSeed) {
  ImpairmentOptions o;
  o.loss = 0.02;
  o.duplicate = 0.01;
  o.delay_ms = 1.0;
  o.jitter_ms = 2.0;
  o.seed = 42;
  ImpairmentModel model(o, 0), again(o, 0), other_direction(o, 1);
  int dropped = 0, duplicated = 0, differs = 0;
  constexpr int kCount = 100000;
  for (int i = 0; i < kCount; ++i) {
    std::int64_t d[2], e[2], f[2];
    const int copies = model.decide(d);
    ASSERT_EQ(again.decide(e), copies);  // same seed, same decisions
    if (copies > 0) {
      ASSERT_EQ(d[0], e[0]);
    }
    if (other_direction.decide(f) != copies) ++differs;
    dropped += copies == 0;
    duplicated += copies == 2;
    for (int c = 0; c < copies; ++c) {
      ASSERT_GE(d[c], 1'000'000);
      ASSERT_LE(d[c], 3'000'000);
    }
  }
  EXPECT_NEAR(dropped, kCount * 0.02, kCount * 0.003);
  EXPECT_NEAR(duplicated, kCount * 0.01 * 0.98, kCount * 0.003);
  EXPECT_GT(differs, 0);  // directions draw independently
}

int udp_socket(std::uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa = Endpoint{0x7F000001, 0}.to_sockaddr();
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  timeval tv{0, 200'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

TEST(ImpairmentRelayTest, RelaysBothWaysWithLossAndDuplicates) {
  std::uint16_t server_port = 0, client_port = 0;
  const int server = udp_socket(&server_port);
  const int client = udp_socket(&client_port);
  ImpairmentOptions o;
  o.loss = 0.2;
  o.duplicate = 0.1;
  o.jitter_ms = 1.0;
  auto relay = ImpairmentRelay::open({0x7F000001, 0}, {0x7F000001, server_port}, o);
  ASSERT_TRUE(relay.ok()) << relay.status().message();
  std::atomic<bool> stop{false};
  std::thread runner([&] { ASSERT_TRUE((*relay)->run(stop).ok()); });
  const sockaddr_in to = Endpoint{0x7F000001, (*relay)->listen_port()}.to_sockaddr();
  constexpr int kCount = 1000;
  // The server echoes what arrives; the client counts what comes back through the relay.
  std::multiset<int> at_server;
  std::thread echo([&] {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    int value = 0;
    while (recvfrom(server, &value, sizeof value, 0, reinterpret_cast<sockaddr*>(&from), &len) >
           0) {
      at_server.insert(value);
      sendto(server, &value, sizeof value, 0, reinterpret_cast<const sockaddr*>(&from), len);
    }
  });
  int back = 0;
  std::thread reader([&] {
    int value = 0;
    while (recv(client, &value, sizeof value, 0) > 0)
      ++back;
  });
  for (int i = 0; i < kCount; ++i) {
    sendto(client, &i, sizeof i, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    usleep(200);  // paced like audio, so no socket buffer overflows
  }
  echo.join();
  reader.join();
  stop = true;
  runner.join();
  const RelayCounters up = (*relay)->upstream();
  EXPECT_EQ(up.received, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(at_server.size(), up.forwarded);
  EXPECT_EQ(up.forwarded, up.received - up.dropped + up.duplicated);
  EXPECT_NEAR(static_cast<double>(up.dropped), kCount * 0.2, kCount * 0.06);
  EXPECT_GT(up.duplicated, 0u);
  EXPECT_EQ(static_cast<std::uint64_t>(back), (*relay)->downstream().forwarded);
  EXPECT_LT(back, static_cast<int>(at_server.size()));
  close(server);
  close(client);
}

}  // namespace
}  // namespace hydramesh
