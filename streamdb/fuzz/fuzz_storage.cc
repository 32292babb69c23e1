#include "fuzz_storage.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "config.h"
#include "index.h"
#include "record.h"
#include "streamdb/db.h"
#include "streamdb/env.h"

namespace streamdb::fuzz {
namespace {

constexpr char kDir[] = "/fuzzdb";

struct Template {
  std::string config;
  std::string segment_name;
  std::string segment;
  std::string committed;  // empty: none
  std::map<std::string, std::string> docs;
};

Options fuzz_options(Env* env) {
  Options o;
  o.env = env;
  o.block_size = 4096;
  o.async_threads = 1;
  return o;
}

Template make_template(bool checkpointed) {
  Template out;
  std::unique_ptr<Env> env = new_memory_env();
  {
    auto db = DB::open(kDir, fuzz_options(env.get()));
    if (!db.ok()) std::abort();
    for (int i = 0; i < 6; ++i) {
      std::string path = "/t/doc" + std::to_string(i) + ".wav";
      std::string data(static_cast<std::size_t>(i * 1500), static_cast<char>('a' + i));
      WriteBatch batch;
      batch.put(path, data);
      if (i == 3) batch.bind("/t/doc1.wav", "/alias.wav");
      if (!(*db)->write({}, batch).ok()) std::abort();
      out.docs[path] = data;
    }
    out.docs["/alias.wav"] = out.docs["/t/doc1.wav"];
    // A compaction moves everything into segment 2 behind a checkpoint that the clean close
    // names in COMMITTED; then a few more commits follow it.
    if (checkpointed && !(*db)->compact().ok()) std::abort();
    for (int i = 0; checkpointed && i < 4; ++i) {
      std::string path = "/t/late" + std::to_string(i) + ".wav";
      std::string data(static_cast<std::size_t>(i * 700), static_cast<char>('p' + i));
      if (!(*db)->put({}, path, data).ok()) std::abort();
      out.docs[path] = data;
    }
    if (checkpointed && !(*db)->remove({}, "/t/doc2.wav").ok()) std::abort();
    if (checkpointed) out.docs.erase("/t/doc2.wav");
  }
  auto read = [&](const std::string& name) {
    auto f = env->open_file(std::string(kDir) + "/" + name, OpenMode::kRead);
    if (!f.ok()) std::abort();
    std::string bytes(static_cast<std::size_t>(*(*f)->size()), '\0');
    std::span<std::byte> part(reinterpret_cast<std::byte*>(bytes.data()), bytes.size());
    if (!(*f)->read_at(0, std::span(&part, 1)).ok()) std::abort();
    return bytes;
  };
  out.config = read(internal::kConfigFileName);
  out.segment_name = checkpointed ? "00000002.seg" : "00000001.seg";
  out.segment = read(out.segment_name);
  if (checkpointed) {
    out.committed = read("COMMITTED");
    // COMMITTED names a checkpoint: its scan position (bytes 24..31) is set.
    if (out.committed.size() != 48 || out.committed.substr(24, 8) == std::string(8, '\0'))
      std::abort();
  }
  return out;
}

const Template& the_template(bool checkpointed = false) {
  static const Template plain = make_template(false);
  static const Template with_checkpoint = make_template(true);
  return checkpointed ? with_checkpoint : plain;
}

void decoders(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  internal::RecordHeader h;
  for (std::size_t i = 0; i + internal::kRecordHeaderSize <= size; i += 7) {
    (void)internal::decode_header(reinterpret_cast<const std::byte*>(data + i), &h);
  }
  std::vector<internal::IndexOp> ops;
  if (size >= 1) (void)internal::decode_ops(in.substr(1), data[0] % 8, &ops);
  (void)internal::decode_config(in, "fuzz");
  (void)internal::check_path(in);
}

void open_and_read(const Template& t, const std::string& segment, bool check_contents) {
  std::unique_ptr<Env> env = new_memory_env();
  auto put = [&](const std::string& name, const std::string& bytes) {
    auto f = env->open_file(std::string(kDir) + "/" + name, OpenMode::kCreate);
    std::span<const std::byte> part(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size());
    if (!f.ok() || !write_fully(**f, 0, std::span(&part, 1)).ok()) std::abort();
  };
  (void)env->create_dir(kDir);
  put(internal::kConfigFileName, t.config);
  put(t.segment_name, segment);
  if (!t.committed.empty()) put("COMMITTED", t.committed);
  auto db = DB::open(kDir, fuzz_options(env.get()));
  if (!db.ok()) return;
  std::vector<std::string> paths;
  (void)(*db)->list({}, "", [&](const DocumentInfo& info) {
    paths.push_back(info.path);
    return true;
  });
  for (const std::string& p : paths) {
    auto got = (*db)->get({}, p);
    if (!got.ok() || !check_contents) continue;
    auto it = t.docs.find(p);
    if (it == t.docs.end() || *got != it->second) {
      std::fprintf(stderr, "fuzz: %s returned data that was never written there\n", p.c_str());
      std::abort();
    }
  }
  (void)(*db)->find_suffix({}, ".wav", [](const DocumentInfo&) { return true; });
  (void)(*db)->verify();
  (void)(*db)->put({}, "/after", "x");
  (void)(*db)->compact();
}

}  // namespace

int storage_one_input(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0] % 4;
  ++data;
  --size;
  if (mode == 0) {
    decoders(data, size);
  } else if (mode == 1 || mode == 3) {
    const Template& t = the_template(mode == 3);
    std::string segment = t.segment;
    for (std::size_t i = 0; i + 3 <= size; i += 3) {
      std::size_t offset =
          (static_cast<std::size_t>(data[i]) << 8 | data[i + 1]) * segment.size() / 65536;
      if (data[i + 2] == 0) {
        segment.resize(offset);  // truncation
      } else if (offset < segment.size()) {
        segment[offset] = static_cast<char>(segment[offset] ^ data[i + 2]);
      }
    }
    open_and_read(t, segment, true);
  } else {
    const Template& t = the_template();
    std::string segment = t.segment.substr(0, internal::kRecordHeaderSize + 24);
    segment.append(reinterpret_cast<const char*>(data), size);
    open_and_read(t, segment, false);
  }
  return 0;
}

}  // namespace streamdb::fuzz
