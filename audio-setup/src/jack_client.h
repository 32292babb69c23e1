// A JACK client handle that is always closed: opens without starting a server, names the
// server in every error.
#pragma once

#include <jack/jack.h>

#include <memory>
#include <string>

#include "archibald/status.h"

namespace audio_setup {

struct JackClientCloser {
  void operator()(jack_client_t* c) const {
    if (c != nullptr) jack_client_close(c);
  }
};
using JackClientPtr = std::unique_ptr<jack_client_t, JackClientCloser>;

// kUnavailable with "JACK server 'name' is not running" when the server cannot be reached.
archibald::Result<JackClientPtr> open_jack_client(const std::string& client_name,
                                                  const std::string& server);

// "default" for an empty server name, for messages.
std::string server_label(const std::string& server);

}  // namespace audio_setup
