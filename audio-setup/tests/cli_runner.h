// Runs the audio-setup binary (built by CMake, path given at compile time) and captures its
// output and exit status, for tests of the command-line contract.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace audio_setup::testing {

struct RunResult {
  int exit_status = -1;
  std::string out;  // stdout, or stdout+stderr when merged
};

// args is appended to the binary path as-is (shell syntax). stderr is merged into out when
// merge_stderr, otherwise discarded.
inline RunResult run_cli(const std::string& args, bool merge_stderr = false) {
  std::string cmd =
      std::string(AUDIO_SETUP_BINARY) + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  RunResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
    r.out.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace audio_setup::testing
