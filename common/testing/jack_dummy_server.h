// A JACK dummy-driver server for tests: started, waited for and always stopped.
#pragma once

#include <sys/types.h>

#include <string>

namespace archibald::testing {

// `jackd -n NAME -d dummy -r RATE -p PERIOD` with JACK_NO_AUDIO_RESERVATION=1, its output
// appended to LOG_DIR/jackd-NAME.log. Ready when a client can connect, within 25 s (jackd has been
// seen to need more than 10 s on a loaded machine). While jack2's 8 machine-wide server slots are
// all taken, waits for a free one. When the server does not start, its log goes to stderr. The
// destructor sends SIGTERM and SIGKILL only after 15 s: a jackd killed before it unregisters
// keeps its slot.
class JackDummyServer {
 public:
  JackDummyServer(std::string name, const std::string& log_dir, int rate = 48000, int period = 64);
  ~JackDummyServer();
  JackDummyServer(const JackDummyServer&) = delete;
  JackDummyServer& operator=(const JackDummyServer&) = delete;

  bool ready() const { return ready_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace archibald::testing
