#include "archibald/flags.h"

#include <gtest/gtest.h>

namespace archibald {
namespace {

struct Parsed {
  std::string db;
  bool json = false;
  std::int64_t port = 7777;
  std::vector<std::string> peers;
  std::vector<std::string> args;
  Status status;
  bool port_set = false;
};

Parsed parse(std::vector<const char*> argv) {
  Parsed p;
  FlagParser flags("tool");
  flags.add_string("--db", &p.db, "database", "DIR", "-d");
  flags.add_bool("--json", &p.json, "json output");
  flags.add_int("--udp-port", &p.port, "port", 1, 65535);
  flags.add_repeated("--peer", &p.peers, "peer", "HOST:PORT");
  argv.insert(argv.begin(), "tool");
  p.status = flags.parse(static_cast<int>(argv.size()), argv.data(), &p.args);
  p.port_set = flags.is_set("--udp-port");
  return p;
}

TEST(FlagParserTest, ParsesAllForms) {
  Parsed p = parse({"-d", "/tmp/db", "ls", "--json", "--udp-port=9000", "/samples", "--peer",
                    "127.0.0.1:1", "--peer", "127.0.0.1:2"});
  ASSERT_TRUE(p.status.ok()) << p.status.to_string();
  EXPECT_EQ(p.db, "/tmp/db");
  EXPECT_TRUE(p.json);
  EXPECT_EQ(p.port, 9000);
  EXPECT_TRUE(p.port_set);
  EXPECT_EQ(p.peers, (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
  EXPECT_EQ(p.args, (std::vector<std::string>{"ls", "/samples"}));
}

TEST(FlagParserTest, DoubleDashEndsFlagsAndLoneDashIsPositional) {
  Parsed p = parse({"put", "-", "--", "--json"});
  ASSERT_TRUE(p.status.ok());
  EXPECT_FALSE(p.json);
  EXPECT_EQ(p.args, (std::vector<std::string>{"put", "-", "--json"}));
  EXPECT_FALSE(p.port_set);
}

TEST(FlagParserTest, UnknownFlagIsNamed) {
  Parsed p = parse({"--jsn"});
  EXPECT_EQ(p.status.code(), Code::kInvalidArgument);
  EXPECT_EQ(p.status.message(), "unknown option '--jsn' (see tool --help)");
}

TEST(FlagParserTest, MissingValueIsNamed) {
  Parsed p = parse({"--db"});
  EXPECT_EQ(p.status.message(), "--db: missing value DIR");
}

TEST(FlagParserTest, IntegerOutOfRangeOrNotANumberIsRejected) {
  EXPECT_EQ(parse({"--udp-port", "0"}).status.message(),
            "--udp-port: expected an integer in 1..65535, got '0'");
  EXPECT_FALSE(parse({"--udp-port", "77x"}).status.ok());
  EXPECT_FALSE(parse({"--udp-port", ""}).status.ok());
  EXPECT_FALSE(parse({"--udp-port", "99999999999999999999"}).status.ok());
}

TEST(FlagParserTest, BooleanRejectsInlineValue) {
  EXPECT_EQ(parse({"--json=yes"}).status.message(), "--json: takes no value");
}

TEST(FlagParserTest, HelpListsEveryFlag) {
  bool b = false;
  std::string s;
  FlagParser flags("tool");
  flags.add_bool("--json", &b, "json output");
  flags.add_string("--db", &s, "database", "DIR", "-d");
  EXPECT_EQ(flags.help(),
            "      --json    json output\n"
            "  -d, --db DIR  database\n");
}

TEST(ParseDoubleTest, AcceptsWholeNumbersInRangeOnly) {
  EXPECT_DOUBLE_EQ(*parse_double("2.5", 0, 10, "--loss"), 2.5);
  EXPECT_DOUBLE_EQ(*parse_double("0", 0, 10, "--loss"), 0.0);
  for (const char* bad : {"", "1x", "11", "-1", "nan", " 1"})
    EXPECT_FALSE(parse_double(bad, 0, 10, "--loss").ok()) << bad;
  EXPECT_EQ(parse_double("1x", 0, 10, "--loss").status().message(),
            "--loss: expected a number in 0..10, got '1x'");
}

}  // namespace
}  // namespace archibald
