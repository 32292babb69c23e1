// Test helpers for real JACK: a dummy-driver server with a unique name (stopped on every path)
// and small clients that form the loops and misbehave on purpose.
#pragma once

#include <jack/jack.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "archibald/subprocess.h"

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

// jackd -n NAME -d dummy -r RATE -p PERIOD, with JACK_NO_AUDIO_RESERVATION=1; its output goes
// to a log in the test's temporary directory, and the log's tail is printed when it does not start.
class JackDummyServer {
 public:
  JackDummyServer(const std::string& tag, int rate = 48000, int period = 64) {
    static std::atomic<int> counter{0};
    const std::string id = std::to_string(getpid()) + "-" + std::to_string(counter++);
    name_ = "as-" + tag + "-" + id;
    // jack2 names client sockets without the server name: a probe name shared by tests running
    // at once would collide.
    const std::string probe = "probe-" + id;
    log_ = ::testing::TempDir() + "jackd-" + name_ + ".log";
    // jack2 allows 8 servers per machine; while other tests hold them, wait for a free one.
    for (int attempt = 0; attempt < 20 && !ready_; ++attempt) {
      pid_ = archibald::spawn_logged({"jackd", "-n", name_, "-d", "dummy", "-r",
                                      std::to_string(rate), "-p", std::to_string(period)},
                                     log_, {{"JACK_NO_AUDIO_RESERVATION", "1"}});
      // Ready when a client can connect. Up to 25 s: on a machine loaded with other builds and
      // other test suites' JACK servers, jackd has been seen to need more than 10 s to start.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(25);
      while (!ready_ && pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
        if (jack_client_t* c = open_client(name_, probe)) {
          jack_client_close(c);
          ready_ = true;
        } else if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;  // Exited; nothing left to stop.
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
      if (ready_ || pid_ > 0 || log().find("Too many servers") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (!ready_) std::cerr << "jackd " << name_ << " did not start; its log:\n" << log() << "\n";
  }
  ~JackDummyServer() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    // Generous: a jackd killed before it unregisters keeps one of jack2's 8 server slots.
    for (int i = 0; i < 300; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  JackDummyServer(const JackDummyServer&) = delete;
  JackDummyServer& operator=(const JackDummyServer&) = delete;

  bool ready() const { return ready_; }
  const std::string& name() const { return name_; }

 private:
  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  pid_t pid_ = -1;
  bool ready_ = false;
  std::string name_;
  std::string log_;
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
