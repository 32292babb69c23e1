// streamdb_open_probe: how long opening a large sample library takes. The library (GIB
// gibibytes of 5 MiB documents in 1 MiB blocks, written like `streamdb import`: streaming
// writers, one sync at the end) is opened read-only, which changes no file, in two ways:
//   - from the checkpoint: COMMITTED as the clean close wrote it, naming the checkpoint that
//     close left, so the open reads that checkpoint and what follows it;
//   - whole log: COMMITTED rewritten without the checkpoint (its durable mark kept), so the
//     open walks every record header, as every open did before checkpoints at close.
// Each is timed cold (page cache dropped; needs root, skipped otherwise) and warm, several
// rounds; the medians are printed.
//
// Exit status 0, 1 when a database operation failed, 2 on bad usage.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "archibald/flags.h"
#include "recovery.h"
#include "stats.h"
#include "streamdb/db.h"

namespace {

using streamdb_bench::Clock;

constexpr std::size_t kDocBytes = 5 << 20;
constexpr std::size_t kChunk = 1 << 20;

struct Flags {
  std::string dir = "/tmp";
  std::int64_t gib = 10;
  std::int64_t rounds = 5;
  bool help = false;
};

std::string g_scratch;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "streamdb_open_probe: %s\n", archibald::one_line(what).c_str());
  std::error_code ec;
  if (!g_scratch.empty()) std::filesystem::remove_all(g_scratch, ec);
  std::exit(1);
}

void check(const archibald::Status& s, const std::string& what) {
  if (!s.ok()) fail(what + ": " + s.message());
}

// Writes the library and closes the database cleanly; returns the number of documents.
int write_library(const std::string& db_dir, std::int64_t gib) {
  auto db = streamdb::DB::open(db_dir, {});
  check(db.status(), "open " + db_dir);
  std::vector<std::byte> chunk(kChunk);
  std::mt19937_64 rng(5);
  for (auto& b : chunk)
    b = static_cast<std::byte>(rng());
  int docs = static_cast<int>(gib * 1024 / 5);
  for (int i = 0; i < docs; ++i) {
    std::string path =
        "/lib/kit" + std::to_string(i / 100) + "/sample" + std::to_string(i) + ".wav";
    auto w = (*db)->new_writer({.sync = false}, path);
    check(w.status(), path);
    std::memcpy(chunk.data(), &i, sizeof i);
    for (std::size_t done = 0; done < kDocBytes; done += kChunk)
      check((*w)->append(chunk), path);
    check((*w)->commit(), path);
  }
  check((*db)->flush(), "flush");
  return docs;
}

void drop_page_cache() {
  ::sync();
  std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
}

// Milliseconds to open db_dir read-only; checks the document count.
double time_open(const std::string& db_dir, int docs) {
  streamdb::Options o;
  o.read_only = true;
  Clock::time_point t0 = Clock::now();
  auto db = streamdb::DB::open(db_dir, o);
  double ms = streamdb_bench::seconds_between(t0, Clock::now()) * 1e3;
  check(db.status(), "open " + db_dir);
  if ((*db)->stats().documents != static_cast<std::uint64_t>(docs))
    fail("open " + db_dir + ": wrong number of documents");
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  archibald::FlagParser parser("streamdb_open_probe");
  parser.add_string("--dir", &flags.dir, "scratch directory (default /tmp); needs GIB of space",
                    "DIR");
  parser.add_int("--gib", &flags.gib, "size of the library in GiB (default 10)", 1, 4096);
  parser.add_int("--rounds", &flags.rounds, "rounds, medians shown (default 5)", 1, 1000);
  parser.add_bool("--help", &flags.help, "print this help", "-h");
  std::vector<std::string> positionals;
  archibald::Status s = parser.parse(argc, argv, &positionals);
  if (s.ok() && !positionals.empty())
    s = archibald::Status::invalid_argument(positionals[0] + ": unexpected argument");
  if (!s.ok()) {
    std::fprintf(stderr, "streamdb_open_probe: %s (see --help)\n",
                 archibald::one_line(s.message()).c_str());
    return 2;
  }
  if (flags.help) {
    std::printf("usage: streamdb_open_probe [flags]\n%s", parser.help().c_str());
    return 0;
  }
  std::string pattern = (std::filesystem::path(flags.dir) / "streamdb_open_probe.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    fail("--dir " + flags.dir + ": " + std::strerror(errno));
  g_scratch = pattern;
  std::string db_dir = g_scratch + "/db";

  std::fprintf(stderr, "writing %lld GiB ...\n", static_cast<long long>(flags.gib));
  int docs = write_library(db_dir, flags.gib);
  streamdb::Env* env = streamdb::Env::posix();
  auto mark = streamdb::internal::read_committed(env, db_dir);
  check(mark.status(), "read COMMITTED");
  if (mark->scan_from == 0) fail("the clean close named no checkpoint in COMMITTED");
  streamdb::internal::CommittedMark whole = *mark;
  whole.scan_from = 0;
  whole.checkpoint = 0;

  bool cold = ::geteuid() == 0;
  if (!cold) std::fprintf(stderr, "streamdb_open_probe: not root: cold opens skipped\n");
  struct Case {
    const char* name;
    streamdb::internal::CommittedMark mark;
    std::vector<double> cold_ms, warm_ms;
  } cases[] = {{"from the checkpoint", *mark, {}, {}}, {"whole log", whole, {}, {}}};
  for (std::int64_t round = 0; round < flags.rounds; ++round) {
    for (Case& c : cases) {
      check(streamdb::internal::write_committed(env, db_dir, c.mark), "write COMMITTED");
      if (cold) {
        drop_page_cache();
        c.cold_ms.push_back(time_open(db_dir, docs));
      }
      c.warm_ms.push_back(time_open(db_dir, docs));
    }
  }
  std::printf("open of %d documents of 5 MiB (%lld GiB), read-only: median of %lld rounds, ms\n",
              docs, static_cast<long long>(flags.gib), static_cast<long long>(flags.rounds));
  std::printf("%-22s %10s %10s\n", "", "cold", "warm");
  for (const Case& c : cases) {
    char cold_ms[32] = "-";
    if (cold) std::snprintf(cold_ms, sizeof cold_ms, "%.2f", streamdb_bench::median(c.cold_ms));
    std::printf("%-22s %10s %10.2f\n", c.name, cold_ms, streamdb_bench::median(c.warm_ms));
  }
  std::error_code ec;
  std::filesystem::remove_all(g_scratch, ec);
  return 0;
}
