// Smoke test of streamdb_bench: a --quick run over every store compiled in must finish, emit
// valid JSON holding every store x workload with positive medians and every bar, leave nothing
// behind in --dir, and bad flags must give one error line and exit status 2. The same for
// streamdb_read_probe, when StreamDB is built. They check the programs run and report; they
// measure nothing.
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;

struct ProgramRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    items.push_back(item);
  return items;
}

class StreamdbBenchSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "streamdb_bench_smoke.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the benchmark program (or another) with args, capturing stdout and stderr.
  ProgramRun run(const std::vector<std::string>& args,
                 const std::string& program = STREAMDB_BENCH_PROGRAM) {
    std::vector<std::string> argv_storage{program};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : argv_storage)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    fs::path out = dir_ / "stdout.txt";
    fs::path err = dir_ / "stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    ProgramRun result;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "cannot start " << argv[0];
      return result;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out);
    result.err = read_file(err);
    return result;
  }

  fs::path dir_;
};

TEST_F(StreamdbBenchSmoke, QuickRunReportsEveryStoreAndWorkload) {
  fs::path scratch = dir_ / "scratch";
  fs::path json_path = dir_ / "results.json";
  ProgramRun r = run({"--quick", "--rounds", "2", "--stores", STREAMDB_BENCH_STORES, "--dir",
                      scratch.string(), "--json", json_path.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  nlohmann::json j = nlohmann::json::parse(read_file(json_path), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "results.json is not valid JSON";
  EXPECT_EQ(j["rounds"], 2);
  EXPECT_EQ(j["quick"], true);

  const std::vector<std::string> stores = split(STREAMDB_BENCH_STORES);
  ASSERT_EQ(j["stores"].size(), stores.size());
  // Every metric the table shows, per workload.
  const std::vector<std::pair<std::string, std::vector<std::string>>> workloads = {
      {"a", {"mib_per_s", "docs_per_s"}},
      {"b", {"gets_per_s", "mib_per_s", "p50_us", "p99_us"}},
      {"c", {"names_per_s", "names_ms", "contents_mib_per_s", "contents_ms"}},
      {"d", {"p50_us", "p99_us", "writes_per_s"}},
      {"e", {"write_mib_per_s", "read_mib_per_s", "peak_rss_mib"}},
  };
  for (std::size_t i = 0; i < stores.size(); ++i) {
    const std::string& store = stores[i];
    EXPECT_EQ(j["stores"][i]["name"], store);
    EXPECT_FALSE(j["stores"][i]["durability"].get<std::string>().empty()) << store;
    for (const auto& [letter, metrics] : workloads) {
      SCOPED_TRACE(store + " (" + letter + ")");
      ASSERT_TRUE(j["results"].contains(store) && j["results"][store].contains(letter));
      const nlohmann::json& cell = j["results"][store][letter];
      if (store == "raw" && letter == "c") {
        EXPECT_TRUE(cell.contains("skipped"));  // the baseline has no index to list
        continue;
      }
      EXPECT_TRUE(cell["errors"].empty()) << cell["errors"].dump();
      EXPECT_EQ(cell["rounds"].size(), 2u);
      for (const std::string& metric : metrics) {
        ASSERT_TRUE(cell["medians"].contains(metric)) << metric;
        const nlohmann::json& value = cell["medians"][metric];
        ASSERT_TRUE(value.is_number()) << metric;
        if (metric == "peak_rss_mib") {
          EXPECT_GE(value.get<double>(), 0.0) << metric;  // may be ~0 for tiny streams
        } else {
          EXPECT_GT(value.get<double>(), 0.0) << metric;
        }
      }
    }
  }

  ASSERT_EQ(j["bars"].size(), 7u);
  bool have_streamdb = std::find(stores.begin(), stores.end(), "streamdb") != stores.end();
  for (const nlohmann::json& bar : j["bars"]) {
    std::string status = bar["status"].get<std::string>();
    if (have_streamdb) {
      EXPECT_TRUE(status == "PASS" || status == "FAIL") << bar.dump();
      EXPECT_TRUE(bar["value"].is_number()) << bar.dump();
      EXPECT_EQ(bar["round_values"].size(), 2u) << bar.dump();
    } else {
      EXPECT_EQ(status, "n/a: streamdb not in this run") << bar.dump();
    }
  }

  // The table names every store and every bar; the scratch directory is left empty.
  for (const std::string& store : stores)
    EXPECT_NE(r.out.find(store), std::string::npos);
  EXPECT_NE(r.out.find("(e) stream peak memory <= 64 MiB"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_empty(scratch)) << "leftover files in " << scratch;
}

TEST_F(StreamdbBenchSmoke, SelectsStoresAndWorkloads) {
  fs::path json_path = dir_ / "subset.json";
  ProgramRun r = run({"--quick", "--rounds", "1", "--dir", dir_.string(), "--stores", "sqlite,raw",
                      "--workloads", "d,small_write,c", "--json", json_path.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(read_file(json_path), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["workloads"].size(), 2u);  // c and d, once each, in issue order
  EXPECT_EQ(j["workloads"][0]["id"], "c");
  EXPECT_TRUE(j["results"]["sqlite"].contains("d"));
  EXPECT_FALSE(j["results"]["sqlite"].contains("a"));
  EXPECT_TRUE(j["results"]["raw"]["c"].contains("skipped"));
}

TEST_F(StreamdbBenchSmoke, BadFlagsGiveOneLineAndExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {"--rounds", "0"},    {"--rounds", "many"}, {"--stores", "lmdb,oracle"},
      {"--workloads", "z"}, {"--no-such-flag"},   {"stray"},
  };
  for (const auto& args : bad) {
    ProgramRun r = run(args);
    SCOPED_TRACE(args[0]);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}

#ifdef STREAMDB_READ_PROBE_PROGRAM
TEST_F(StreamdbBenchSmoke, ReadProbeReportsEveryCaseAndCleansUp) {
  ProgramRun r = run({"--docs", "100", "--rounds", "2", "--gets", "20", "--dir", dir_.string()},
                     STREAMDB_READ_PROBE_PROGRAM);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const char* line :
       {"StreamDB get (copied out, checked)", "LMDB get (mdb_get + copy)", "StreamDB lookup (stat)",
        "LMDB lookup (mdb_get)", "256 KiB slices (StreamDB's log)",
        "one pwritev per batch (LMDB's commit)", "MiB/s loading"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_)) {
    EXPECT_FALSE(entry.path().filename().string().starts_with("streamdb_read_probe."))
        << "the probe left " << entry.path() << " behind";
  }
}

TEST_F(StreamdbBenchSmoke, ReadProbeBadFlagsGiveOneLineAndExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {"--docs", "150"}, {"--docs", "0"}, {"--rounds", "x"}, {"--gets"}, {"--verbose", "1"}};
  for (const auto& args : bad) {
    ProgramRun r = run(args, STREAMDB_READ_PROBE_PROGRAM);
    SCOPED_TRACE(args[0]);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}
#endif

#ifdef STREAMDB_OPEN_PROBE_PROGRAM
TEST_F(StreamdbBenchSmoke, OpenProbeReportsBothOpensAndCleansUp) {
  ProgramRun r =
      run({"--gib", "1", "--rounds", "1", "--dir", dir_.string()}, STREAMDB_OPEN_PROBE_PROGRAM);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const char* line : {"204 documents", "from the checkpoint", "whole log"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_)) {
    EXPECT_FALSE(entry.path().filename().string().starts_with("streamdb_open_probe."))
        << "the probe left " << entry.path() << " behind";
  }
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--gib", "0"}, {"--rounds", "x"}, {"--dir"}, {"extra"}}) {
    ProgramRun bad = run(args, STREAMDB_OPEN_PROBE_PROGRAM);
    SCOPED_TRACE(args[0]);
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  }
}
#endif

}  // namespace
