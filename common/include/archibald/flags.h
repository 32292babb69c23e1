// FlagParser: the command-line parser every ArchibaldOS executable uses, so that every tool
// rejects bad flags the same way: one line naming the flag and what was expected.
//
//   FlagParser flags("streamdb");
//   std::string db; bool json = false;
//   flags.add_string("--db", &db, "database directory", "DIR", "-d");
//   flags.add_bool("--json", &json, "machine-readable output");
//   std::vector<std::string> args;
//   if (Status s = flags.parse(argc, argv, &args); !s.ok()) { ...print s.message(), exit 2 }
//
// Accepted forms: "--name value", "--name=value", "-n value", and "--flag" for booleans.
// Flags and positional arguments may be interleaved; "--" ends flag parsing.
// Not thread-safe; the pointers given to add_* must outlive parse().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "archibald/status.h"

namespace archibald {

class FlagParser {
 public:
  explicit FlagParser(std::string program) : program_(std::move(program)) {}

  void add_bool(std::string name, bool* out, std::string help, std::string short_name = "");
  void add_string(std::string name, std::string* out, std::string help,
                  std::string value_name = "VALUE", std::string short_name = "");
  // Accepts a decimal integer within [min, max].
  void add_int(std::string name, std::int64_t* out, std::string help, std::int64_t min,
               std::int64_t max, std::string value_name = "N", std::string short_name = "");
  // May be given several times; each value is appended.
  void add_repeated(std::string name, std::vector<std::string>* out, std::string help,
                    std::string value_name = "VALUE", std::string short_name = "");

  // Parses argv[1..argc). Positional arguments are appended to *positionals.
  // Errors (unknown flag, missing value, bad integer) name the flag: "--udp-port: ...".
  Status parse(int argc, const char* const* argv, std::vector<std::string>* positionals);

  // True when the flag (by long name) appeared on the command line.
  bool is_set(std::string_view name) const;

  // One line per flag, aligned, for --help output.
  std::string help() const;

 private:
  enum class Kind { kBool, kString, kInt, kRepeated };
  struct Flag {
    std::string name;
    std::string short_name;
    std::string help;
    std::string value_name;
    Kind kind;
    void* out;
    std::int64_t min = 0;
    std::int64_t max = 0;
    bool set = false;
  };

  Flag* find(std::string_view name);
  Status assign(Flag& flag, std::string_view value);

  std::string program_;
  std::vector<Flag> flags_;
};

// Parses a whole string as a decimal integer in [min, max]; what names the value in errors.
Result<std::int64_t> parse_int(std::string_view text, std::int64_t min, std::int64_t max,
                               std::string_view what);

// Parses a whole string as a decimal number in [min, max]; what names the value in errors.
Result<double> parse_double(std::string_view text, double min, double max, std::string_view what);

}  // namespace archibald
