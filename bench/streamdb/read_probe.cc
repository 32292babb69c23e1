// streamdb_read_probe: where a warm random 64 KiB get spends its time, StreamDB beside LMDB, in
// one process and interleaved, so both see the same machine state (workload (b) of
// streamdb_bench runs each store in its own child process, minutes apart).
//
// Part 1 loads the same documents into both stores (batches of 100, each commit durable), reads
// everything once, then repeats rounds of random gets per case and reports the median of the
// rounds' p50s: a whole get (copied out; StreamDB also checks the checksum), the lookup alone,
// and LMDB's lookup plus the first touch of the value. After each lookup-only call a random
// document is copied out untimed, so lookups run with the caches of a real get loop.
//
// Part 2 writes the same records (32-byte header + 64 KiB) to two raw files, once in 256 KiB
// slices as StreamDB's log writes a batch, once with one pwritev per batch as LMDB writes a
// commit, and reports the load rate, how much of each mapping the kernel maps with 2 MiB page
// table entries, and the p50 of a random 64 KiB memcpy from each: the cost of the page layout a
// write pattern leaves in the page cache, apart from any engine.
//
// Exit status 0, 1 when a store or file operation failed, 2 on bad usage.
#include <fcntl.h>
#include <lmdb.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "archibald/flags.h"
#include "stats.h"
#include "streamdb/db.h"
#include "streamdb/write_batch.h"

namespace {

using streamdb_bench::Clock;

constexpr std::size_t kDocBytes = 64 << 10;
constexpr std::size_t kHeaderBytes = 32;
constexpr int kBatch = 100;

struct Flags {
  std::string dir = "/tmp";
  int docs = 10000;
  int rounds = 15;
  int gets = 2000;
  bool help = false;
};

// Parses the command line; help_text receives the usage when --help is given.
archibald::Status parse_flags(int argc, char** argv, Flags* flags, std::string* help_text) {
  archibald::FlagParser parser("streamdb_read_probe");
  std::int64_t docs = flags->docs, rounds = flags->rounds, gets = flags->gets;
  parser.add_string("--dir", &flags->dir,
                    "scratch directory (default /tmp); about 2.6 GB per 10,000 documents", "DIR");
  parser.add_int("--docs", &docs, "documents of 64 KiB, a multiple of 100 (default 10000)", kBatch,
                 10'000'000);
  parser.add_int("--rounds", &rounds,
                 "rounds per case, the median of their p50s shown (default 15)", 1, 1'000'000);
  parser.add_int("--gets", &gets, "timed gets per case and round (default 2000)", 1, 100'000'000);
  parser.add_bool("--help", &flags->help, "print this help", "-h");
  std::vector<std::string> positionals;
  ARCHIBALD_RETURN_IF_ERROR(parser.parse(argc, argv, &positionals));
  if (!positionals.empty()) {
    return archibald::Status::invalid_argument(positionals[0] + ": unexpected argument");
  }
  if (docs % kBatch != 0) {
    return archibald::Status::invalid_argument("--docs: expected a multiple of 100, got " +
                                               std::to_string(docs));
  }
  flags->docs = static_cast<int>(docs);
  flags->rounds = static_cast<int>(rounds);
  flags->gets = static_cast<int>(gets);
  *help_text = "usage: streamdb_read_probe [flags]\n" + parser.help();
  return {};
}

std::filesystem::path g_scratch;  // removed on every exit

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "streamdb_read_probe: %s\n", archibald::one_line(what).c_str());
  std::error_code ec;
  if (!g_scratch.empty()) std::filesystem::remove_all(g_scratch, ec);
  std::exit(1);
}

void check_lmdb(int rc, const char* what) {
  if (rc != MDB_SUCCESS) fail(std::string("lmdb ") + what + ": " + mdb_strerror(rc));
}

// FilePmdMapped of the mapping that starts at addr, in KiB (from /proc/self/smaps).
long pmd_mapped_kib(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  char start[32];
  std::snprintf(start, sizeof start, "%lx-", reinterpret_cast<unsigned long>(addr));
  bool in_vma = false;
  for (std::string line; std::getline(smaps, line);) {
    if (line.find('-') < line.find(' ')) {  // a mapping's first line: "start-end perms ..."
      in_vma = line.starts_with(start);
    } else if (in_vma && line.starts_with("FilePmdMapped:")) {
      return std::stol(line.substr(14));
    }
  }
  return -1;
}

// Runs every case once per round, timing `gets` calls each; returns each case's p50 per round.
struct Case {
  const char* name;
  std::function<void(int doc)> call;
  bool lookup_only;
};

std::vector<std::vector<double>> run_rounds(const std::vector<Case>& cases, const Flags& flags,
                                            std::mt19937_64& rng,
                                            const std::function<void(int doc)>& pollute) {
  std::vector<std::vector<double>> p50s(cases.size());
  std::vector<double> latencies;
  for (int round = 0; round < flags.rounds; ++round) {
    for (std::size_t c = 0; c < cases.size(); ++c) {
      latencies.clear();
      for (int g = 0; g < flags.gets; ++g) {
        int doc = static_cast<int>(rng() % static_cast<std::uint64_t>(flags.docs));
        Clock::time_point t0 = Clock::now();
        cases[c].call(doc);
        latencies.push_back(streamdb_bench::seconds_between(t0, Clock::now()) * 1e6);
        if (cases[c].lookup_only) pollute(static_cast<int>(rng() % flags.docs));
      }
      p50s[c].push_back(streamdb_bench::percentile(latencies, 50));
    }
  }
  return p50s;
}

void print_row(const char* name, const std::vector<double>& p50s) {
  std::printf("  %-44s %8.2f us  (rounds %.2f-%.2f)\n", name, streamdb_bench::median(p50s),
              *std::min_element(p50s.begin(), p50s.end()),
              *std::max_element(p50s.begin(), p50s.end()));
}

void probe_engines(const Flags& flags, const std::filesystem::path& dir, std::mt19937_64& rng) {
  std::vector<std::string> paths(flags.docs);
  for (int i = 0; i < flags.docs; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "/samples/kit%03d/hit%05d.wav", i % 97, i);
    paths[i] = name;
  }
  std::filesystem::create_directories(dir / "streamdb");
  std::filesystem::create_directories(dir / "lmdb");
  auto opened = streamdb::DB::open((dir / "streamdb").string(), streamdb::Options());
  if (!opened.ok()) fail("streamdb open: " + opened.status().message());
  std::unique_ptr<streamdb::DB> db = std::move(opened).value();
  MDB_env* env = nullptr;
  check_lmdb(mdb_env_create(&env), "env create");
  check_lmdb(mdb_env_set_mapsize(env, std::size_t{64} << 30), "set mapsize");
  check_lmdb(mdb_env_open(env, (dir / "lmdb").c_str(), MDB_NOTLS, 0644), "open");
  MDB_dbi dbi = 0;
  MDB_txn* txn = nullptr;
  check_lmdb(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
  check_lmdb(mdb_dbi_open(txn, nullptr, 0, &dbi), "dbi open");
  check_lmdb(mdb_txn_commit(txn), "commit");

  std::vector<std::string> batch_docs(kBatch, std::string(kDocBytes, '\0'));
  streamdb::WriteOptions durable;
  durable.sync = true;
  for (int b = 0; b < flags.docs / kBatch; ++b) {
    for (std::string& doc : batch_docs) {
      for (std::size_t k = 0; k < doc.size(); k += 8) {
        std::uint64_t r = rng();
        std::memcpy(doc.data() + k, &r, 8);
      }
    }
    streamdb::WriteBatch batch;
    check_lmdb(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
    for (int i = 0; i < kBatch; ++i) {
      const std::string& path = paths[b * kBatch + i];
      batch.put(path, batch_docs[i]);
      MDB_val key{path.size(), const_cast<char*>(path.data())};
      MDB_val val{kDocBytes, batch_docs[i].data()};
      check_lmdb(mdb_put(txn, dbi, &key, &val, 0), "put");
    }
    if (streamdb::Status s = db->write(durable, batch); !s.ok())
      fail("streamdb write: " + s.message());
    check_lmdb(mdb_txn_commit(txn), "commit");
  }

  MDB_txn* read_txn = nullptr;
  check_lmdb(mdb_txn_begin(env, nullptr, MDB_RDONLY, &read_txn), "begin read");
  mdb_txn_reset(read_txn);
  std::string value;
  auto lmdb_lookup = [&](int doc) {
    check_lmdb(mdb_txn_renew(read_txn), "renew");
    MDB_val key{paths[doc].size(), const_cast<char*>(paths[doc].data())};
    MDB_val val;
    check_lmdb(mdb_get(read_txn, dbi, &key, &val), "get");
    mdb_txn_reset(read_txn);
    return val;  // the map stays valid: nothing writes while the probe reads
  };
  auto lmdb_get = [&](int doc) {
    MDB_val val = lmdb_lookup(doc);
    value.assign(static_cast<const char*>(val.mv_data), val.mv_size);
  };
  auto streamdb_get = [&](int doc) {
    if (streamdb::Status s = db->get(streamdb::ReadOptions(), paths[doc], &value); !s.ok()) {
      fail("streamdb get: " + s.message());
    }
  };
  for (int i = 0; i < flags.docs; ++i) {
    streamdb_get(i);
    std::string from_streamdb = value;
    lmdb_get(i);
    if (value != from_streamdb) fail(paths[i] + ": the two stores returned different bytes");
  }

  volatile char sink = 0;
  std::vector<Case> cases = {
      {"StreamDB get (copied out, checked)", streamdb_get, false},
      {"LMDB get (mdb_get + copy)", lmdb_get, false},
      {"StreamDB lookup (stat)",
       [&](int doc) {
         auto info = db->stat(streamdb::ReadOptions(), paths[doc]);
         if (!info.ok()) fail("streamdb stat: " + info.status().message());
         sink = static_cast<char>(info->size);
       },
       true},
      {"LMDB lookup (mdb_get)",
       [&](int doc) { sink = static_cast<char>(lmdb_lookup(doc).mv_size); }, true},
      {"LMDB lookup + first touch of the value",
       [&](int doc) { sink = *static_cast<volatile const char*>(lmdb_lookup(doc).mv_data); }, true},
  };
  std::string scratch;
  auto pollute = [&](int doc) {
    MDB_val val = lmdb_lookup(doc);
    scratch.assign(static_cast<const char*>(val.mv_data), val.mv_size);
  };
  std::vector<std::vector<double>> p50s = run_rounds(cases, flags, rng, pollute);
  std::printf(
      "Engines: %d documents of 64 KiB, %d rounds of %d random gets per case, "
      "median of the rounds' p50s\n",
      flags.docs, flags.rounds, flags.gets);
  for (std::size_t c = 0; c < cases.size(); ++c)
    print_row(cases[c].name, p50s[c]);
  std::printf("  StreamDB get / LMDB get: %.2fx the time\n",
              streamdb_bench::median(p50s[0]) / streamdb_bench::median(p50s[1]));
  (void)sink;
  mdb_txn_abort(read_txn);
  mdb_env_close(env);
}

struct LayoutFile {
  const char* name;
  bool one_write_per_batch;
  int fd = -1;
  const char* map = nullptr;
  std::size_t size = 0;
  double load_mib_s = 0;
};

void write_layout_file(const Flags& flags, const std::filesystem::path& path, LayoutFile* file,
                       std::mt19937_64& rng) {
  const std::size_t record = kHeaderBytes + kDocBytes;
  std::vector<char> batch(record * kBatch);
  for (char& c : batch)
    c = static_cast<char>(rng());
  file->fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (file->fd < 0) fail(path.string() + ": " + std::strerror(errno));
  std::size_t at = 0, kicked = 0;
  Clock::time_point start = Clock::now();
  for (int b = 0; b < flags.docs / kBatch; ++b) {
    // StreamDB's log: 4 records (about 256 KiB) per pwritev, writeback started as pages fill;
    // LMDB's commit: the whole batch in one call.
    std::size_t per_write = file->one_write_per_batch ? batch.size() : 4 * record;
    for (std::size_t done = 0; done < batch.size();) {
      std::size_t len = std::min(per_write, batch.size() - done);
      if (::pwrite(file->fd, batch.data() + done, len, static_cast<off_t>(at)) !=
          static_cast<ssize_t>(len)) {
        fail(path.string() + ": write failed");
      }
      at += len;
      done += len;
      std::size_t complete = at & ~std::size_t{4095};
      if (!file->one_write_per_batch && complete >= kicked + (256 << 10)) {
        ::sync_file_range(file->fd, static_cast<off_t>(kicked),
                          static_cast<off_t>(complete - kicked), SYNC_FILE_RANGE_WRITE);
        kicked = complete;
      }
    }
    if (::fdatasync(file->fd) != 0) fail(path.string() + ": fdatasync failed");
  }
  file->load_mib_s =
      static_cast<double>(at) / (1 << 20) / streamdb_bench::seconds_between(start, Clock::now());
  file->size = at;
  void* map = ::mmap(nullptr, at, PROT_READ, MAP_SHARED, file->fd, 0);
  if (map == MAP_FAILED) fail(path.string() + ": mmap failed");
  file->map = static_cast<const char*>(map);
}

void probe_layout(const Flags& flags, const std::filesystem::path& dir, std::mt19937_64& rng) {
  LayoutFile files[] = {{"256 KiB slices (StreamDB's log)", false},
                        {"one pwritev per batch (LMDB's commit)", true}};
  for (LayoutFile& file : files)
    write_layout_file(flags, dir / (file.one_write_per_batch ? "batch.raw" : "slices.raw"), &file,
                      rng);
  std::vector<char> dst(kDocBytes);
  const std::size_t record = kHeaderBytes + kDocBytes;
  for (const LayoutFile& file : files) {  // read once, as the engines' (b) does
    for (int i = 0; i < flags.docs; ++i)
      std::memcpy(dst.data(), file.map + i * record + kHeaderBytes, kDocBytes);
  }
  std::vector<Case> cases;
  for (const LayoutFile& file : files) {
    cases.push_back({file.name,
                     [&, map = file.map](int doc) {
                       std::memcpy(dst.data(), map + doc * record + kHeaderBytes, kDocBytes);
                     },
                     false});
  }
  std::vector<std::vector<double>> p50s = run_rounds(cases, flags, rng, [](int) {});
  std::printf(
      "\nPage layout: the same records written two ways (fdatasync per batch of 100), "
      "then random 64 KiB memcpy\n");
  for (std::size_t c = 0; c < cases.size(); ++c) {
    print_row(files[c].name, p50s[c]);
    std::printf("  %-44s %8.0f MiB/s loading, %ld of %zu MiB mapped with 2 MiB entries\n", "",
                files[c].load_mib_s, pmd_mapped_kib(files[c].map) / 1024, files[c].size >> 20);
  }
  for (LayoutFile& file : files) {
    ::munmap(const_cast<char*>(file.map), file.size);
    ::close(file.fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  std::string help_text;
  if (archibald::Status s = parse_flags(argc, argv, &flags, &help_text); !s.ok()) {
    std::fprintf(stderr, "streamdb_read_probe: %s (see --help)\n",
                 archibald::one_line(s.message()).c_str());
    return 2;
  }
  if (flags.help) {
    std::fputs(help_text.c_str(), stdout);
    return 0;
  }
  std::string pattern = (std::filesystem::path(flags.dir) / "streamdb_read_probe.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    fail("--dir " + flags.dir + ": " + std::strerror(errno));
  g_scratch = pattern;
  std::mt19937_64 rng(7);
  probe_engines(flags, g_scratch, rng);
  probe_layout(flags, g_scratch, rng);
  std::error_code ec;
  std::filesystem::remove_all(g_scratch, ec);
  return 0;
}
