#include "cli.h"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "archibald/flags.h"
#include "streamdb/db.h"

namespace streamdb::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitMissing = 1;
constexpr int kExitUsage = 2;
constexpr int kExitFailure = 3;
constexpr std::size_t kChunk = 1 << 20;

const char kUsage[] =
    "usage: streamdb -d DBDIR COMMAND [ARGS]\n"
    "commands:\n"
    "  put PATH [FILE|-]      store FILE (default: stdin) at PATH\n"
    "  get PATH [-o FILE]     write the document to stdout or FILE\n"
    "  ls [PREFIX]            list paths starting with PREFIX, one per line\n"
    "  find SUFFIX            list paths ending with SUFFIX ('.wav', 'kick.wav')\n"
    "  stat PATH              size, GUID, checksum, modification time, path count\n"
    "  rm PATH                unbind PATH (the document goes with its last path)\n"
    "  mv OLD NEW             rename atomically\n"
    "  bind PATH NEWPATH      bind PATH's document also to NEWPATH (a hard link)\n"
    "  import DIR [PREFIX]    store every file under DIR at PREFIX/relative/path\n"
    "  export PREFIX DIR      write every document under PREFIX into DIR\n"
    "  verify                 read every byte and check every checksum\n"
    "  compact                reclaim the space of deleted and overwritten data\n"
    "  stats                  counts and sizes\n"
    "exit status: 0 ok, 1 missing path, 2 bad usage or damaged data, 3 other failure\n";

int exit_code(const Status& s) {
  switch (s.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kNotFound:
      return kExitMissing;
    case Code::kInvalidArgument:
    case Code::kCorruption:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string iso_time(std::int64_t ns) {
  std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>((ns / 1000000) % 1000));
  return out;
}

std::string human_bytes(std::uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

json info_json(const DocumentInfo& i) {
  return {{"path", i.path},
          {"guid", i.guid.to_string()},
          {"size", i.size},
          {"checksum", hex64(i.checksum)},
          {"mtime_ns", i.mtime_ns},
          {"modified", iso_time(i.mtime_ns)},
          {"path_count", i.path_count}};
}

class Tool {
 public:
  explicit Tool(Streams s) : s_(s) {}

  int main(int argc, const char* const* argv) {
    archibald::FlagParser flags("streamdb");
    bool help = false;
    flags.add_string("--db", &dir_, "database directory", "DIR", "-d");
    flags.add_bool("--json", &json_, "machine-readable output (ls, find, stat, stats, verify)");
    flags.add_string("--output", &output_, "get: write to FILE instead of stdout", "FILE", "-o");
    flags.add_bool("--compress", &compress_, "new database: compress blocks with zstd");
    flags.add_string("--passphrase-file", &passphrase_file_,
                     "encrypted database: read the passphrase from FILE "
                     "(or set STREAMDB_PASSPHRASE)",
                     "FILE");
    flags.add_bool("--salvage", &salvage_,
                   "open a database whose log lost commit records: skip them, keep the rest");
    flags.add_bool("--help", &help, "show this help", "-h");
    std::vector<std::string> args;
    if (Status st = flags.parse(argc, argv, &args); !st.ok()) return usage_error(st.message());
    if (help) {
      s_.out << kUsage << "options:\n" << flags.help();
      return kExitOk;
    }
    if (args.empty()) return usage_error("missing COMMAND (see streamdb --help)");
    if (dir_.empty()) return usage_error("missing -d DBDIR (see streamdb --help)");
    std::string cmd = args[0];
    args.erase(args.begin());
    if (json_ && cmd != "ls" && cmd != "find" && cmd != "stat" && cmd != "stats" &&
        cmd != "verify") {
      return usage_error("--json is not available for '" + cmd + "'");
    }
    if (!output_.empty() && cmd != "get") return usage_error("-o is only for 'get'");
    struct Command {
      const char* name;
      std::size_t min_args;
      std::size_t max_args;
      int (Tool::*run)(const std::vector<std::string>&);
    };
    static const Command kCommands[] = {
        {"put", 1, 2, &Tool::put},       {"get", 1, 1, &Tool::get},
        {"ls", 0, 1, &Tool::ls},         {"find", 1, 1, &Tool::find},
        {"stat", 1, 1, &Tool::stat},     {"rm", 1, 1, &Tool::rm},
        {"mv", 2, 2, &Tool::mv},         {"bind", 2, 2, &Tool::bind},
        {"import", 1, 2, &Tool::import}, {"export", 2, 2, &Tool::export_tree},
        {"verify", 0, 0, &Tool::verify}, {"compact", 0, 0, &Tool::compact},
        {"stats", 0, 0, &Tool::stats},
    };
    for (const Command& c : kCommands) {
      if (cmd != c.name) continue;
      if (args.size() < c.min_args || args.size() > c.max_args) {
        return usage_error("'" + cmd + "' takes " +
                           (c.min_args == c.max_args ? std::to_string(c.min_args)
                                                     : std::to_string(c.min_args) + " to " +
                                                           std::to_string(c.max_args)) +
                           " argument(s) (see streamdb --help)");
      }
      return (this->*c.run)(args);
    }
    return usage_error("unknown command '" + cmd + "' (see streamdb --help)");
  }

 private:
  int usage_error(const std::string& message) {
    s_.err << "streamdb: " << archibald::one_line(message) << "\n";
    return kExitUsage;
  }
  int fail(const Status& st) {
    s_.err << "streamdb: " << archibald::one_line(st.message()) << "\n";
    return exit_code(st);
  }

  // Opens the database; only writing commands create it.
  // A writing command creates a database only in a missing or empty directory (or one that
  // already holds a database): `streamdb -d ~/Samples import ~/Samples` must not scatter segment
  // files among the user's own.
  Status check_new_database_dir() const {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec) || fs::exists(fs::path(dir_) / "STREAMDB", ec)) return {};
    for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
      if (e.path().filename() != "LOCK") {
        return Status::invalid_argument(dir_ + " holds other files and no database; create one " +
                                        "in a new or empty directory");
      }
    }
    return {};
  }

  // Commands that only read open the database read-only (unless --salvage, which repairs): they
  // work beside a running writer, and on read-only media.
  enum class Access { kRead, kWrite, kCreate };
  Status open(Access access) {
    const bool create = access == Access::kCreate;
    if (create) ARCHIBALD_RETURN_IF_ERROR(check_new_database_dir());
    Options o;
    if (s_.env != nullptr) o.env = s_.env;
    o.create_if_missing = create;
    o.read_only = access == Access::kRead && !salvage_;
    if (compress_) o.compression = Compression::kZstd;
    o.salvage = salvage_;
    if (!passphrase_file_.empty()) {
      std::ifstream f(passphrase_file_);
      if (!f) return Status::invalid_argument("cannot read passphrase file " + passphrase_file_);
      std::getline(f, o.passphrase);
    } else if (const char* p = std::getenv("STREAMDB_PASSPHRASE")) {
      o.passphrase = p;
    }
    auto db = DB::open(dir_, o);
    if (!db.ok()) {
      if (db.status().code() == Code::kNotFound && !create) {
        return Status::invalid_argument("no database at " + dir_);
      }
      return db.status();
    }
    db_ = std::move(*db);
    return {};
  }

  int put(const std::vector<std::string>& a) {
    std::string source = a.size() > 1 ? a[1] : "-";
    std::ifstream file;
    std::istream* in = &s_.in;
    if (source != "-") {
      std::error_code ec;
      if (fs::is_directory(source, ec)) {
        return usage_error(source + ": is a directory (to store a tree, use import)");
      }
      file.open(source, std::ios::binary);
      if (!file) return fail(Status::not_found(source + ": cannot open file"));
      in = &file;
    }
    if (Status st = open(Access::kCreate); !st.ok()) return fail(st);
    Status st =
        store(*in, source == "-" ? "standard input" : source, a[0], WriteOptions{}, nullptr);
    return st.ok() ? kExitOk : fail(st);
  }

  // Stores what `in` (named source in errors) holds at path, streaming.
  Status store(std::istream& in, const std::string& source, const std::string& path,
               const WriteOptions& wo, std::uint64_t* bytes) {
    auto w = db_->new_writer(wo, path);
    if (!w.ok()) return w.status();
    std::vector<char> buf(kChunk);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      std::size_t n = static_cast<std::size_t>(in.gcount());
      if (n == 0) break;
      ARCHIBALD_RETURN_IF_ERROR((*w)->append(std::as_bytes(std::span(buf.data(), n))));
      if (bytes != nullptr) *bytes += n;
    }
    if (in.bad()) return Status::io_error(source + ": reading failed; nothing stored at " + path);
    return (*w)->commit();
  }

  Status fetch(const std::string& path, std::ostream& out) {
    auto r = db_->new_reader({}, path);
    if (!r.ok()) return r.status();
    std::vector<std::byte> buf(kChunk);
    while (true) {
      auto n = (*r)->read(buf);
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(*n));
      if (!out) return Status::io_error("writing the output failed");
    }
    return {};
  }

  // Writes the document at path to the file target through a temporary file beside it, renamed
  // into place only when every byte was read and checked: a failure leaves no partial file.
  Status fetch_to_file(const std::string& path, const fs::path& target) {
    fs::path tmp = target;
    tmp += ".streamdb-tmp";
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::io_error(target.string() + ": cannot create file");
    Status st = fetch(path, out);
    out.close();
    std::error_code ec;
    if (st.ok() && !out) st = Status::io_error(target.string() + ": write failed");
    if (st.ok()) fs::rename(tmp, target, ec);
    if (st.ok() && ec) st = Status::io_error(target.string() + ": " + ec.message());
    if (!st.ok()) fs::remove(tmp, ec);
    return st;
  }

  int get(const std::vector<std::string>& a) {
    if (Status st = open(Access::kRead); !st.ok()) return fail(st);
    if (output_.empty()) {
      Status st = fetch(a[0], s_.out);
      s_.out.flush();
      return st.ok() ? kExitOk : fail(st);
    }
    if (auto info = db_->stat({}, a[0]); !info.ok()) return fail(info.status());
    Status st = fetch_to_file(a[0], output_);
    return st.ok() ? kExitOk : fail(st);
  }

  int print_infos(const std::vector<DocumentInfo>& infos) {
    if (json_) {
      json arr = json::array();
      for (const auto& i : infos)
        arr.push_back(info_json(i));
      s_.out << arr.dump(2) << "\n";
    } else {
      for (const auto& i : infos)
        s_.out << i.path << "\n";
    }
    return kExitOk;
  }

  int ls(const std::vector<std::string>& a) {
    if (Status st = open(Access::kRead); !st.ok()) return fail(st);
    std::vector<DocumentInfo> infos;
    Status st = db_->list({}, a.empty() ? "" : a[0], [&](const DocumentInfo& i) {
      infos.push_back(i);
      return true;
    });
    return st.ok() ? print_infos(infos) : fail(st);
  }

  int find(const std::vector<std::string>& a) {
    if (Status st = open(Access::kRead); !st.ok()) return fail(st);
    std::vector<DocumentInfo> infos;
    Status st = db_->find_suffix({}, a[0], [&](const DocumentInfo& i) {
      infos.push_back(i);
      return true;
    });
    return st.ok() ? print_infos(infos) : fail(st);
  }

  int stat(const std::vector<std::string>& a) {
    if (Status st = open(Access::kRead); !st.ok()) return fail(st);
    auto info = db_->stat({}, a[0]);
    if (!info.ok()) return fail(info.status());
    if (json_) {
      s_.out << info_json(*info).dump(2) << "\n";
    } else {
      s_.out << "path      " << info->path << "\n"
             << "guid      " << info->guid.to_string() << "\n"
             << "size      " << info->size << " (" << human_bytes(info->size) << ")\n"
             << "checksum  xxh3:" << hex64(info->checksum) << "\n"
             << "modified  " << iso_time(info->mtime_ns) << "\n"
             << "paths     " << info->path_count << "\n";
    }
    return kExitOk;
  }

  int rm(const std::vector<std::string>& a) {
    if (Status st = open(Access::kWrite); !st.ok()) return fail(st);
    Status st = db_->remove({}, a[0]);
    return st.ok() ? kExitOk : fail(st);
  }

  int mv(const std::vector<std::string>& a) {
    if (Status st = open(Access::kWrite); !st.ok()) return fail(st);
    Status st = db_->rename({}, a[0], a[1]);
    return st.ok() ? kExitOk : fail(st);
  }

  int bind(const std::vector<std::string>& a) {
    if (Status st = open(Access::kWrite); !st.ok()) return fail(st);
    Status st = db_->bind({}, a[0], a[1]);
    return st.ok() ? kExitOk : fail(st);
  }

  void progress(std::size_t done, std::size_t total, std::uint64_t bytes, bool final) {
    if (!s_.err_is_terminal) return;
    constexpr int kWidth = 30;
    int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
    s_.err << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
           << std::string(static_cast<std::size_t>(kWidth - filled), ' ') << "] " << done << "/"
           << total << " files, " << human_bytes(bytes) << (final ? "\n" : "") << std::flush;
  }

  int import(const std::vector<std::string>& a) {
    fs::path root = a[0];
    std::string prefix = a.size() > 1 ? a[1] : "/";
    while (prefix.size() > 1 && prefix.back() == '/')
      prefix.pop_back();
    if (prefix.empty() || prefix[0] != '/') return usage_error("PREFIX must start with '/'");
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return fail(Status::not_found(a[0] + ": not a directory"));
    // Regular files, and symbolic links to them under the link's own name; symbolic links to
    // directories are not followed (no loops). Anything else is skipped and reported.
    std::vector<fs::path> files;
    std::vector<fs::path> skipped;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code type_ec;
      if (it->is_regular_file(type_ec)) {
        files.push_back(it->path());
      } else if (!it->is_directory(type_ec) || it->is_symlink(type_ec)) {
        skipped.push_back(it->path());
      }
    }
    if (ec) return fail(Status::io_error(a[0] + ": " + ec.message()));
    std::sort(files.begin(), files.end());
    if (Status st = open(Access::kCreate); !st.ok()) return fail(st);
    // Not every file is synced on its own, but the whole import is synced every
    // kImportSyncBytes: a power loss midway keeps what came before the last sync, and the next
    // open checks (reads back) only what came after it, at most that much plus one file.
    constexpr std::uint64_t kImportSyncBytes = 64 << 20;
    WriteOptions wo;
    wo.sync = false;
    std::uint64_t bytes = 0;
    std::uint64_t synced = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::string rel = files[i].lexically_relative(root).generic_string();
      std::string path = (prefix == "/" ? "" : prefix) + "/" + rel;
      std::ifstream in(files[i], std::ios::binary);
      if (!in) return fail(Status::io_error(files[i].string() + ": cannot open file"));
      Status st = store(in, files[i].string(), path, wo, &bytes);
      if (!st.ok()) return fail(st);
      progress(i + 1, files.size(), bytes, false);
      if (bytes - synced >= kImportSyncBytes) {
        if (Status f = db_->flush(); !f.ok()) return fail(f);
        synced = bytes;
      }
    }
    Status st = db_->flush();
    if (!st.ok()) return fail(st);
    progress(files.size(), files.size(), bytes, true);
    s_.out << "imported " << files.size() << " files (" << human_bytes(bytes) << ") into "
           << prefix;
    if (!skipped.empty()) {
      std::sort(skipped.begin(), skipped.end());
      s_.out << "; skipped " << skipped.size() << " that are not regular files (";
      for (std::size_t i = 0; i < std::min<std::size_t>(skipped.size(), 3); ++i)
        s_.out << (i == 0 ? "" : ", ") << skipped[i].string();
      s_.out << (skipped.size() > 3 ? ", ...)" : ")");
    }
    s_.out << "\n";
    return kExitOk;
  }

  int export_tree(const std::vector<std::string>& a) {
    const std::string& prefix = a[0];
    fs::path root = a[1];
    if (Status st = open(Access::kRead); !st.ok()) return fail(st);
    std::vector<std::string> paths;
    Status st = db_->list({}, prefix, [&](const DocumentInfo& i) {
      paths.push_back(i.path);
      return true;
    });
    if (!st.ok()) return fail(st);
    if (paths.empty()) return fail(Status::not_found("no paths start with " + prefix));
    std::size_t cut = prefix.rfind('/') + 1;  // keep the last, partial component
    std::uint64_t bytes = 0;
    for (const std::string& p : paths) {
      fs::path target = root / p.substr(cut);
      std::error_code ec;
      fs::create_directories(target.parent_path(), ec);
      if (ec) return fail(Status::io_error(target.parent_path().string() + ": " + ec.message()));
      st = fetch_to_file(p, target);
      if (!st.ok()) return fail(st);
      bytes += fs::file_size(target, ec);
    }
    s_.out << "exported " << paths.size() << " files (" << human_bytes(bytes) << ") to "
           << root.string() << "\n";
    return kExitOk;
  }

  int verify(const std::vector<std::string>&) {
    if (Status st = open(Access::kRead); !st.ok()) return fail(st);
    auto report = db_->verify();
    if (!report.ok()) return fail(report.status());
    if (json_) {
      json damaged = json::array();
      for (const auto& d : report->damaged)
        damaged.push_back({{"path", d.path}, {"problem", d.problem}});
      s_.out << json{{"clean", report->clean()},
                     {"documents_checked", report->documents_checked},
                     {"bytes_checked", report->bytes_checked},
                     {"damaged", damaged},
                     {"notes", report->notes}}
                    .dump(2)
             << "\n";
    } else {
      for (const auto& d : report->damaged)
        s_.out << "damaged: " << d.problem << "\n";
      for (const auto& n : report->notes)
        s_.out << "note: damaged unused space: " << n << "\n";
      s_.out << "checked " << report->documents_checked << " documents ("
             << human_bytes(report->bytes_checked) << "): "
             << (report->clean() ? "clean" : std::to_string(report->damaged.size()) + " damaged")
             << "\n";
    }
    if (!report->clean()) {
      s_.err << "streamdb: " << report->damaged.size()
             << " damaged document(s), first: " << report->damaged.front().path << "\n";
      return kExitUsage;
    }
    return kExitOk;
  }

  int compact(const std::vector<std::string>&) {
    if (Status st = open(Access::kWrite); !st.ok()) return fail(st);
    std::uint64_t before = db_->stats().file_bytes;
    Status st = db_->compact();
    if (!st.ok()) return fail(st);
    s_.out << "compacted: " << human_bytes(before) << " -> " << human_bytes(db_->stats().file_bytes)
           << "\n";
    return kExitOk;
  }

  int stats(const std::vector<std::string>&) {
    if (Status st = open(Access::kRead); !st.ok()) return fail(st);
    Stats s = db_->stats();
    if (json_) {
      s_.out << json{{"documents", s.documents},
                     {"paths", s.paths},
                     {"live_bytes", s.live_bytes},
                     {"file_bytes", s.file_bytes}}
                    .dump(2)
             << "\n";
    } else {
      s_.out << "documents   " << s.documents << "\n"
             << "paths       " << s.paths << "\n"
             << "live bytes  " << s.live_bytes << " (" << human_bytes(s.live_bytes) << ")\n"
             << "file bytes  " << s.file_bytes << " (" << human_bytes(s.file_bytes) << ")\n";
    }
    return kExitOk;
  }

  Streams s_;
  std::string dir_;
  bool json_ = false;
  std::string output_;
  bool compress_ = false;
  bool salvage_ = false;
  std::string passphrase_file_;
  std::unique_ptr<DB> db_;
};

}  // namespace

int run(int argc, const char* const* argv, Streams streams) {
  try {
    Tool tool(streams);
    return tool.main(argc, argv);
  } catch (const std::exception& e) {
    streams.err << "streamdb: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace streamdb::cli
