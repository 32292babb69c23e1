// ImpairmentRelay: a UDP relay between clients and one forward address that drops, delays,
// reorders and duplicates datagrams with seeded randomness, so any UDP audio tool (hydrameshd,
// JackTrip, zita-njbridge) can be tested through the same network conditions on loopback
// (this kernel has no netem).
//
// A datagram from a client to the listen address goes to the forward address from a socket
// that belongs to that client; what the forward address sends back to that socket goes to the
// client from the listen address. Each direction is impaired independently.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "archibald/status.h"
#include "hydramesh/endpoint.h"

namespace hydramesh {

struct ImpairmentOptions {
  double loss = 0.0;       // probability a datagram is dropped
  double delay_ms = 0.0;   // fixed one-way delay
  double jitter_ms = 0.0;  // extra delay, uniform in [0, jitter_ms]
  double reorder = 0.0;    // probability a datagram is held back by reorder_ms more
  double reorder_ms = 5.0;
  double duplicate = 0.0;  // probability a datagram is sent twice (the copy has its own delay)
  std::uint64_t seed = 1;
};

// The per-datagram decision, separate from the sockets so it can be tested exactly.
class ImpairmentModel {
 public:
  ImpairmentModel(const ImpairmentOptions& options, std::uint64_t stream);
  // Delays (ns) of the copies to send: none when dropped, two when duplicated.
  int decide(std::int64_t delays_ns[2]);

 private:
  std::int64_t delay();
  ImpairmentOptions options_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
};

struct RelayCounters {
  std::uint64_t received = 0, forwarded = 0, dropped = 0, duplicated = 0;
};

class ImpairmentRelay {
 public:
  static archibald::Result<std::unique_ptr<ImpairmentRelay>> open(const Endpoint& listen,
                                                                  const Endpoint& forward,
                                                                  const ImpairmentOptions& options);
  ~ImpairmentRelay();

  // Relays until *stop is true (checked at least every 50 ms).
  archibald::Status run(const std::atomic<bool>& stop);
  std::uint16_t listen_port() const { return listen_port_; }
  // Client -> forward and forward -> client.
  RelayCounters upstream() const { return counters_[0]; }
  RelayCounters downstream() const { return counters_[1]; }

 private:
  struct Pending {
    std::int64_t due_ns;
    std::uint64_t order;
    int socket;
    sockaddr_in to;
    std::vector<std::uint8_t> data;
    bool operator>(const Pending& o) const {
      return due_ns != o.due_ns ? due_ns > o.due_ns : order > o.order;
    }
  };
  struct Client {
    int socket = -1;
    sockaddr_in address{};
  };

  ImpairmentRelay(const ImpairmentOptions& options);
  void schedule(int direction, int socket, const sockaddr_in& to, const std::uint8_t* data,
                std::size_t size);
  archibald::Result<Client*> client_for(const sockaddr_in& from);

  ImpairmentOptions options_;
  ImpairmentModel models_[2];
  RelayCounters counters_[2];
  int listen_socket_ = -1;
  std::uint16_t listen_port_ = 0;
  sockaddr_in forward_{};
  std::map<std::uint64_t, Client> clients_;  // by packed client endpoint
  std::vector<Pending> queue_;               // a min-heap on due time
  std::uint64_t order_ = 0;
};

}  // namespace hydramesh
