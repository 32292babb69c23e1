// Starting a helper process (a JACK server, a daemon, a peer tool) for tests and benchmarks.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace archibald {

// Forks and execs argv (searched in PATH) with stdout and stderr appended to log_path and the
// given variables added to its environment. The child gets SIGTERM when its parent dies, so a
// crashed test or benchmark leaves no servers behind. Returns the child's pid (-1 if fork
// failed); a child that cannot exec exits 127.
pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log_path,
                   const std::map<std::string, std::string>& env = {});

}  // namespace archibald
