#include <jack/jack.h>
#include <jack/statistics.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "audio_setup/rtl.h"
#include "jack_client.h"

namespace audio_setup {
namespace {

int on_xrun(void* arg) {
  static_cast<std::atomic<std::uint64_t>*>(arg)->fetch_add(1, std::memory_order_relaxed);
  return 0;
}

}  // namespace

archibald::Result<XrunResult> count_xruns(const XrunOptions& o) {
  if (!(o.duration_s > 0)) return archibald::Status::invalid_argument("--for: must be positive");
  archibald::Result<JackClientPtr> client = open_jack_client(o.client_name, o.server);
  if (!client.ok()) return client.status();
  jack_client_t* c = client->get();
  std::atomic<std::uint64_t> xruns{0};
  if (jack_set_xrun_callback(c, on_xrun, &xruns) != 0 || jack_activate(c) != 0) {
    return archibald::Status::io_error("cannot activate the JACK client");
  }
  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
  XrunResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.sample_rate = jack_get_sample_rate(c);
  r.period = jack_get_buffer_size(c);
  r.max_delayed_usecs = jack_get_max_delayed_usecs(c);
  jack_deactivate(c);
  r.xruns = xruns.load();
  return r;
}

std::string xruns_json(const XrunResult& r) {
  nlohmann::ordered_json j = {{"xruns", r.xruns},
                              {"seconds", std::round(r.seconds * 1000) / 1000},
                              {"sample_rate", r.sample_rate},
                              {"period", r.period},
                              {"max_delayed_usecs", r.max_delayed_usecs}};
  return j.dump(2) + "\n";
}

}  // namespace audio_setup
