#include "jack_client.h"

#include <cstdio>

namespace audio_setup {
namespace {

void silent(const char*) {}

}  // namespace

std::string server_label(const std::string& server) {
  return server.empty() ? "default" : server;
}

archibald::Result<JackClientPtr> open_jack_client(const std::string& client_name,
                                                  const std::string& server) {
  // libjack prints its own diagnostics to stderr; our one-line errors replace them.
  jack_set_error_function(silent);
  jack_set_info_function(silent);
  jack_status_t status{};
  int options = JackNoStartServer | JackUseExactName;
  jack_client_t* c = nullptr;
  if (server.empty()) {
    c = jack_client_open(client_name.c_str(), static_cast<jack_options_t>(options), &status);
  } else {
    c = jack_client_open(client_name.c_str(), static_cast<jack_options_t>(options | JackServerName),
                         &status, server.c_str());
  }
  if (c == nullptr) {
    if (status & JackNameNotUnique) {
      return archibald::Status::busy("JACK client name '" + client_name + "' is taken on server '" +
                                     server_label(server) + "'");
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", static_cast<unsigned>(status));
    return archibald::Status::unavailable("JACK server '" + server_label(server) +
                                          "' is not running (jack_client_open status " + hex +
                                          "); start it or pass --server NAME");
  }
  return JackClientPtr(c);
}

}  // namespace audio_setup
