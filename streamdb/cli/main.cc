// streamdb: command-line access to a StreamDB database. See cli.h.
#include <unistd.h>

#include <iostream>

#include "cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return streamdb::cli::run(argc, argv,
                            {std::cin, std::cout, std::cerr, ::isatty(STDERR_FILENO) == 1});
}
