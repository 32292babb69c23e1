#include "jack_dummy_server.h"

#include <jack/jack.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>

#include "archibald/subprocess.h"

namespace archibald::testing {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool reaped(pid_t pid) {
  return waitpid(pid, nullptr, WNOHANG) == pid;
}

}  // namespace

JackDummyServer::JackDummyServer(std::string name, const std::string& log_dir, int rate, int period)
    : name_(std::move(name)), log_path_(log_dir + "/jackd-" + name_ + ".log") {
  jack_set_error_function([](const char*) {});
  jack_set_info_function([](const char*) {});
  // jack2 names client sockets without the server name: the probe's name is this server's own.
  const std::string probe = "ready-" + name_;
  for (int attempt = 0; attempt < 20 && !ready_; ++attempt) {
    pid_ = spawn_logged({"jackd", "-n", name_, "-d", "dummy", "-r", std::to_string(rate), "-p",
                         std::to_string(period)},
                        log_path_, {{"JACK_NO_AUDIO_RESERVATION", "1"}});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(25);
    while (!ready_ && pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      jack_client_t* client = jack_client_open(
          probe.c_str(), static_cast<jack_options_t>(JackNoStartServer | JackServerName), nullptr,
          name_.c_str());
      if (client != nullptr) {
        jack_client_close(client);
        ready_ = true;
      } else if (reaped(pid_)) {
        pid_ = -1;  // exited; nothing left to stop
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    if (ready_ || pid_ > 0 || read_all(log_path_).find("Too many servers") == std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (!ready_) {
    std::cerr << "jackd " << name_ << " did not start; " << log_path_ << ":\n"
              << read_all(log_path_) << "\n";
  }
}

JackDummyServer::~JackDummyServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 300; ++i) {
    if (reaped(pid_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

}  // namespace archibald::testing
