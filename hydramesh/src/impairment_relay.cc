#include "hydramesh/impairment_relay.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <functional>

#include "hydramesh/wire_format.h"

namespace hydramesh {
namespace {

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

archibald::Result<int> bound_socket(const Endpoint& at) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return archibald::Status::from_errno("socket", errno);
  const sockaddr_in sa = at.to_sockaddr();
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const int err = errno;
    close(fd);
    if (err == EADDRINUSE) return archibald::Status::busy(at.to_string() + " is already in use");
    return archibald::Status::from_errno("bind " + at.to_string(), err);
  }
  return fd;
}

}  // namespace

ImpairmentModel::ImpairmentModel(const ImpairmentOptions& options, std::uint64_t stream)
    : options_(options), rng_(options.seed * 0x9E3779B97F4A7C15ull + stream) {}

std::int64_t ImpairmentModel::delay() {
  double ms = options_.delay_ms + options_.jitter_ms * unit_(rng_);
  if (unit_(rng_) < options_.reorder) ms += options_.reorder_ms;
  return static_cast<std::int64_t>(ms * 1e6);
}

int ImpairmentModel::decide(std::int64_t delays_ns[2]) {
  // Draw every random number for every datagram so a change in one probability does not shift
  // the others' sequence.
  const bool lost = unit_(rng_) < options_.loss;
  const bool duplicated = unit_(rng_) < options_.duplicate;
  delays_ns[0] = delay();
  delays_ns[1] = delay();
  if (lost) return 0;
  return duplicated ? 2 : 1;
}

ImpairmentRelay::ImpairmentRelay(const ImpairmentOptions& options)
    : options_(options), models_{ImpairmentModel(options, 0), ImpairmentModel(options, 1)} {}

ImpairmentRelay::~ImpairmentRelay() {
  if (listen_socket_ >= 0) close(listen_socket_);
  for (auto& [key, client] : clients_)
    close(client.socket);
}

archibald::Result<std::unique_ptr<ImpairmentRelay>> ImpairmentRelay::open(
    const Endpoint& listen, const Endpoint& forward, const ImpairmentOptions& options) {
  for (double p : {options.loss, options.reorder, options.duplicate}) {
    if (!(p >= 0.0 && p <= 1.0)) {
      return archibald::Status::invalid_argument("probabilities must be in 0..1");
    }
  }
  if (options.delay_ms < 0 || options.jitter_ms < 0 || options.reorder_ms < 0) {
    return archibald::Status::invalid_argument("delays must not be negative");
  }
  std::unique_ptr<ImpairmentRelay> relay(new ImpairmentRelay(options));
  auto fd = bound_socket(listen);
  if (!fd.ok()) return fd.status();
  relay->listen_socket_ = *fd;
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(*fd, reinterpret_cast<sockaddr*>(&sa), &len);
  relay->listen_port_ = Endpoint::from_sockaddr(sa).port;
  relay->forward_ = forward.to_sockaddr();
  return relay;
}

archibald::Result<ImpairmentRelay::Client*> ImpairmentRelay::client_for(const sockaddr_in& from) {
  const std::uint64_t key = Endpoint::from_sockaddr(from).pack();
  auto it = clients_.find(key);
  if (it != clients_.end()) return &it->second;
  // The client's own upstream socket, on the forward address's side of the loopback.
  auto fd = bound_socket(Endpoint{0x7F000001, 0});
  if (!fd.ok()) return fd.status();
  Client& c = clients_[key];
  c.socket = *fd;
  c.address = from;
  return &c;
}

void ImpairmentRelay::schedule(int direction, int socket, const sockaddr_in& to,
                               const std::uint8_t* data, std::size_t size) {
  RelayCounters& c = counters_[direction];
  ++c.received;
  std::int64_t delays[2];
  const int copies = models_[direction].decide(delays);
  if (copies == 0) ++c.dropped;
  if (copies == 2) ++c.duplicated;
  const std::int64_t now = now_ns();
  for (int i = 0; i < copies; ++i) {
    queue_.push_back(
        {now + delays[i], order_++, socket, to, std::vector<std::uint8_t>(data, data + size)});
    std::push_heap(queue_.begin(), queue_.end(), std::greater<>());
  }
}

archibald::Status ImpairmentRelay::run(const std::atomic<bool>& stop) {
  std::vector<std::uint8_t> buffer(65536);
  while (!stop.load(std::memory_order_acquire)) {
    // Send everything that is due.
    std::int64_t now = now_ns();
    while (!queue_.empty() && queue_.front().due_ns <= now) {
      std::pop_heap(queue_.begin(), queue_.end(), std::greater<>());
      Pending& p = queue_.back();
      sendto(p.socket, p.data.data(), p.data.size(), MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&p.to), sizeof p.to);
      const int direction = p.socket == listen_socket_ ? 1 : 0;
      ++counters_[direction].forwarded;
      queue_.pop_back();
    }
    // poll() has millisecond resolution; ppoll() with a timespec gives the delays their
    // sub-millisecond precision.
    std::int64_t wait_ns = 50'000'000;
    if (!queue_.empty())
      wait_ns = std::clamp<std::int64_t>(queue_.front().due_ns - now, 0, wait_ns);
    const timespec timeout{0, static_cast<long>(wait_ns)};
    std::vector<pollfd> fds;
    fds.push_back({listen_socket_, POLLIN, 0});
    std::vector<Client*> owners = {nullptr};
    for (auto& [key, client] : clients_) {
      fds.push_back({client.socket, POLLIN, 0});
      owners.push_back(&client);
    }
    if (ppoll(fds.data(), fds.size(), &timeout, nullptr) < 0 && errno != EINTR) {
      return archibald::Status::from_errno("ppoll", errno);
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      while (true) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const ssize_t n = recvfrom(fds[i].fd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) break;
        if (owners[i] == nullptr) {
          auto client = client_for(from);
          if (!client.ok()) return client.status();
          schedule(0, (*client)->socket, forward_, buffer.data(), static_cast<std::size_t>(n));
        } else {
          schedule(1, listen_socket_, owners[i]->address, buffer.data(),
                   static_cast<std::size_t>(n));
        }
      }
    }
  }
  return {};
}

}  // namespace hydramesh
