// The streamdb command-line tool, as a function so tests can run it without a process.
//
//   streamdb -d DBDIR COMMAND [ARGS] [--json]
//
// Exit status: 0 success, 1 a path that does not exist, 2 bad usage or damaged data, 3 any
// other failure (I/O error, database locked by another process). Failures print one line on
// stderr.
#pragma once

#include <iosfwd>

namespace streamdb {
class Env;
}  // namespace streamdb

namespace streamdb::cli {

struct Streams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;  // draw progress bars
  Env* env = nullptr;            // the file system the database goes through; null: the real one
};

int run(int argc, const char* const* argv, Streams streams);

}  // namespace streamdb::cli
