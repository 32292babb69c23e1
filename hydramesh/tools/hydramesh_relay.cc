// hydramesh-relay: a UDP relay with seeded loss, delay, jitter, reordering and duplication.
//
//   hydramesh-relay --listen 127.0.0.1:9000 --forward 127.0.0.1:7777 --loss 2 --jitter-ms 2
//
// Clients send to --listen; the relay forwards to --forward and relays the answers back.
// Percentages are of datagrams; each direction is impaired independently. On SIGINT/SIGTERM it
// prints one line of counts per direction and exits 0.
#include <csignal>
#include <cstdio>

#include "archibald/flags.h"
#include "hydramesh/impairment_relay.h"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}

int fail(const std::string& message) {
  std::fprintf(stderr, "hydramesh-relay: %s\n", archibald::one_line(message).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  archibald::FlagParser flags("hydramesh-relay");
  std::string listen, forward, loss = "0", delay = "0", jitter = "0", reorder = "0",
                               reorder_ms = "5", duplicate = "0";
  std::int64_t seed = 1;
  bool help = false;
  flags.add_string("--listen", &listen, "address clients send to", "HOST:PORT");
  flags.add_string("--forward", &forward, "address datagrams are relayed to", "HOST:PORT");
  flags.add_string("--loss", &loss, "percent of datagrams dropped", "PCT");
  flags.add_string("--delay-ms", &delay, "fixed one-way delay", "MS");
  flags.add_string("--jitter-ms", &jitter, "extra delay, uniform in 0..MS", "MS");
  flags.add_string("--reorder", &reorder, "percent held back by --reorder-ms more", "PCT");
  flags.add_string("--reorder-ms", &reorder_ms, "hold-back for reordered datagrams", "MS");
  flags.add_string("--duplicate", &duplicate, "percent sent twice", "PCT");
  flags.add_int("--seed", &seed, "random seed", 0, INT64_MAX);
  flags.add_bool("--help", &help, "show this help", "-h");
  std::vector<std::string> rest;
  if (auto s = flags.parse(argc, argv, &rest); !s.ok()) return fail(s.message());
  if (help) {
    std::printf("usage: hydramesh-relay --listen HOST:PORT --forward HOST:PORT [impairments]\n%s",
                flags.help().c_str());
    return 0;
  }
  if (listen.empty() || forward.empty()) return fail("--listen and --forward are required");
  auto listen_ep = hydramesh::parse_endpoint(listen, "--listen");
  if (!listen_ep.ok()) return fail(listen_ep.status().message());
  auto forward_ep = hydramesh::parse_endpoint(forward, "--forward");
  if (!forward_ep.ok()) return fail(forward_ep.status().message());
  hydramesh::ImpairmentOptions o;
  o.seed = static_cast<std::uint64_t>(seed);
  // Percentages and milliseconds: one line naming the flag when malformed or out of range.
  double loss_pct = 0, reorder_pct = 0, duplicate_pct = 0;
  struct NumberFlag {
    const std::string& text;
    double max;
    const char* name;
    double* out;
  };
  for (const NumberFlag& f : {NumberFlag{loss, 100, "--loss", &loss_pct},
                              NumberFlag{reorder, 100, "--reorder", &reorder_pct},
                              NumberFlag{duplicate, 100, "--duplicate", &duplicate_pct},
                              NumberFlag{delay, 10000, "--delay-ms", &o.delay_ms},
                              NumberFlag{jitter, 10000, "--jitter-ms", &o.jitter_ms},
                              NumberFlag{reorder_ms, 10000, "--reorder-ms", &o.reorder_ms}}) {
    const auto v = archibald::parse_double(f.text, 0, f.max, f.name);
    if (!v.ok()) return fail(v.status().message());
    *f.out = *v;
  }
  o.loss = loss_pct / 100.0;
  o.reorder = reorder_pct / 100.0;
  o.duplicate = duplicate_pct / 100.0;

  auto relay = hydramesh::ImpairmentRelay::open(*listen_ep, *forward_ep, o);
  if (!relay.ok()) return fail(relay.status().message());
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (auto s = (*relay)->run(g_stop); !s.ok()) return fail(s.message());
  for (const auto& [name, c] : {std::pair{"upstream", (*relay)->upstream()},
                                std::pair{"downstream", (*relay)->downstream()}}) {
    std::printf(
        "hydramesh-relay: %s received %llu forwarded %llu dropped %llu duplicated %llu\n", name,
        static_cast<unsigned long long>(c.received), static_cast<unsigned long long>(c.forwarded),
        static_cast<unsigned long long>(c.dropped), static_cast<unsigned long long>(c.duplicated));
  }
  return 0;
}
