// MeshNode: one hydrameshd instance — a JACK client streaming to and from a static mesh of peers.
//
// Threads:
//   JACK process threads the send client's encodes the send ports, seals and sends one
//                        datagram per peer with a non-blocking sendto(); the receive client's
//                        reads the socket (non-blocking), authenticates, replay-checks and
//                        decrypts audio into each peer's PeerPlayout (echoing it in --loopback
//                        mode), queues the other datagrams for the network thread, and renders
//                        the receive ports (and mix bus). They never allocate, lock, log or
//                        block (see audio_engine.cc).
//   network thread       handles the queued HELLOs (peers, stream keys), pings and pongs.
//   control thread       the caller of run(): registers ports for new peers, sends HELLOs and
//                        pings, writes the status file, logs.
// JACK clients and ports: "<name>-send" has send_1..send_N (inputs); "<name>" has
// <peer>_1..<peer>_M per peer and mix_1..mix_N with the mix bus (outputs). Two clients, so that
// a graph feeding what it hears back into the send ports (a musician playing along) needs no
// feedback edge and adds no period of latency.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "archibald/status.h"
#include "hydramesh/config.h"
#include "hydramesh/peer_stats.h"

namespace hydramesh {

struct NodeState;

class MeshNode {
 public:
  // Loads the secret, binds the UDP port, opens and activates the JACK client, starts the
  // network thread. Errors: kUnavailable (no JACK server), kBusy (UDP port or JACK client name
  // taken), kPermissionDenied / kInvalidArgument (secret file), kIoError.
  static archibald::Result<std::unique_ptr<MeshNode>> start(const DaemonConfig& config);
  ~MeshNode();  // stops the threads, closes the JACK client and the socket

  // Runs the control loop until *stop becomes true (returns OK) or the JACK server goes away
  // (returns kUnavailable).
  archibald::Status run(const std::atomic<bool>& stop);

  // Runs one iteration of the control loop (tests that drive the node without run()).
  void poll_control();

  NodeStatsSnapshot stats() const;
  const std::string& jack_client_name() const;

 private:
  explicit MeshNode(std::unique_ptr<NodeState> state);
  std::unique_ptr<NodeState> state_;
};

}  // namespace hydramesh
