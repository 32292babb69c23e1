// Test helpers for real JACK: a dummy-driver server with a unique name (stopped on every path)
// and small clients that form the loops and misbehave on purpose.
#pragma once

#include <jack/jack.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "jack_dummy_server.h"

namespace audio_setup::testing {

inline void quiet_jack() {
  jack_set_error_function([](const char*) {});
  jack_set_info_function([](const char*) {});
}

inline jack_client_t* open_client(const std::string& server, const std::string& name) {
  quiet_jack();
  jack_status_t status{};
  return jack_client_open(name.c_str(),
                          static_cast<jack_options_t>(JackNoStartServer | JackServerName), &status,
                          server.c_str());
}

// A dummy-driver server named "as-TAG-PID-N", its log in the test's temporary directory.
class JackDummyServer : public archibald::testing::JackDummyServer {
 public:
  explicit JackDummyServer(const std::string& tag, int rate = 48000, int period = 64)
      : archibald::testing::JackDummyServer(unique_name(tag), ::testing::TempDir(), rate, period) {}

 private:
  static std::string unique_name(const std::string& tag) {
    static std::atomic<int> counter{0};
    return "as-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  }
};

// A client "NAME" with ports in/out that copies in to out delayed by `delay` frames — the
// loop a cable or a network path would be.
class DelayLoopClient {
 public:
  DelayLoopClient(const std::string& server, const std::string& name, std::size_t delay)
      : ring_(delay + 1, 0.0f) {
    client_ = open_client(server, name);
    if (client_ == nullptr) return;
    in_ = jack_port_register(client_, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    out_ = jack_port_register(client_, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(client_, process, this);
    ok_ = in_ && out_ && jack_activate(client_) == 0;
  }
  ~DelayLoopClient() {
    if (client_ != nullptr) jack_client_close(client_);
  }
  bool ok() const { return ok_; }

 private:
  static int process(jack_nframes_t n, void* arg) {
    auto* self = static_cast<DelayLoopClient*>(arg);
    auto* in = static_cast<float*>(jack_port_get_buffer(self->in_, n));
    auto* out = static_cast<float*>(jack_port_get_buffer(self->out_, n));
    for (jack_nframes_t i = 0; i < n; ++i) {
      self->ring_[self->pos_] = in[i];
      self->pos_ = (self->pos_ + 1) % self->ring_.size();
      out[i] = self->ring_[self->pos_];  // Written `delay` frames ago.
    }
    return 0;
  }
  jack_client_t* client_ = nullptr;
  jack_port_t* in_ = nullptr;
  jack_port_t* out_ = nullptr;
  std::vector<float> ring_;
  std::size_t pos_ = 0;
  bool ok_ = false;
};

// A client that overruns its period every `every` cycles, forcing xruns.
class SlowClient {
 public:
  SlowClient(const std::string& server, int every) : every_(every) {
    client_ = open_client(server, "slow");
    if (client_ == nullptr) return;
    jack_set_process_callback(client_, process, this);
    ok_ = jack_activate(client_) == 0;
  }
  ~SlowClient() {
    if (client_ != nullptr) jack_client_close(client_);
  }
  bool ok() const { return ok_; }

 private:
  static int process(jack_nframes_t, void* arg) {
    auto* self = static_cast<SlowClient*>(arg);
    if (++self->cycle_ % self->every_ == 0) {
      // Deliberately blocking on the audio thread: this client exists to cause xruns.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return 0;
  }
  jack_client_t* client_ = nullptr;
  int every_;
  int cycle_ = 0;
  bool ok_ = false;
};

}  // namespace audio_setup::testing
