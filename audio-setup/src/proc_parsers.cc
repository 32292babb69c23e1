#include "proc_parsers.h"

#include <charconv>

namespace audio_setup {
namespace {

bool to_int(std::string_view s, std::int64_t* out) {
  std::optional<std::int64_t> v = parse_int(s);
  if (v) *out = *v;
  return v.has_value();
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string trim(std::string_view text) {
  std::size_t b = 0;
  std::size_t e = text.size();
  while (b < e && is_blank(text[b]))
    ++b;
  while (e > b && is_blank(text[e - 1]))
    --e;
  return std::string(text.substr(b, e - b));
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i]))
      ++i;
    std::size_t start = i;
    while (i < text.size() && !is_blank(text[i]))
      ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t pos = text.find(sep, start);
    out.emplace_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::optional<CpuSet> parse_cpu_list(std::string_view text) {
  std::string t = trim(text);
  CpuSet cpus;
  if (t.empty()) return cpus;
  for (const std::string& part : split(t, ',')) {
    std::size_t dash = part.find('-');
    std::int64_t lo = 0;
    std::int64_t hi = 0;
    if (dash == std::string::npos) {
      if (!to_int(part, &lo)) return std::nullopt;
      hi = lo;
    } else if (!to_int(std::string_view(part).substr(0, dash), &lo) ||
               !to_int(std::string_view(part).substr(dash + 1), &hi)) {
      return std::nullopt;
    }
    if (lo < 0 || hi < lo || hi > 65535) return std::nullopt;
    for (std::int64_t c = lo; c <= hi; ++c)
      cpus.insert(static_cast<int>(c));
  }
  return cpus;
}

std::string format_cpu_list(const CpuSet& cpus) {
  if (cpus.empty()) return "none";
  std::string out;
  auto it = cpus.begin();
  while (it != cpus.end()) {
    int lo = *it;
    int hi = lo;
    for (++it; it != cpus.end() && *it == hi + 1; ++it)
      hi = *it;
    if (!out.empty()) out += ',';
    out += std::to_string(lo);
    if (hi != lo) out += "-" + std::to_string(hi);
  }
  return out;
}

std::optional<std::string> kernel_param(const std::string& cmdline, std::string_view name) {
  std::optional<std::string> value;
  for (const std::string& word : split_words(cmdline)) {
    if (word == "--") break;  // Everything after "--" goes to init, not the kernel.
    if (word.size() > name.size() && word.compare(0, name.size(), name) == 0 &&
        word[name.size()] == '=') {
      value = word.substr(name.size() + 1);
    }
  }
  return value;
}

bool has_kernel_flag(const std::string& cmdline, std::string_view name) {
  for (const std::string& word : split_words(cmdline)) {
    if (word == "--") break;
    if (word == name) return true;
  }
  return kernel_param(cmdline, name).has_value();
}

CpuSet isolated_cpus(const std::string& cmdline) {
  CpuSet out;
  for (std::string_view name : {"isolcpus", "nohz_full", "rcu_nocbs"}) {
    std::optional<std::string> value = kernel_param(cmdline, name);
    if (!value) continue;
    // isolcpus=managed_irq,domain,2-3: flags come first; the CPU list is the first part that
    // starts with a digit.
    std::string list = *value;
    std::vector<std::string> parts = split(list, ',');
    std::size_t first_cpu = 0;
    while (first_cpu < parts.size() &&
           (parts[first_cpu].empty() || parts[first_cpu][0] < '0' || parts[first_cpu][0] > '9')) {
      ++first_cpu;
    }
    std::string cpus;
    for (std::size_t i = first_cpu; i < parts.size(); ++i) {
      if (!cpus.empty()) cpus += ',';
      cpus += parts[i];
    }
    if (std::optional<CpuSet> set = parse_cpu_list(cpus)) out.insert(set->begin(), set->end());
  }
  return out;
}

std::optional<Limit> parse_limit(const std::string& limits_text, std::string_view name) {
  for (const std::string& line : split(limits_text, '\n')) {
    if (line.compare(0, name.size(), name) != 0) continue;
    std::vector<std::string> words = split_words(std::string_view(line).substr(name.size()));
    if (words.size() < 2) return std::nullopt;
    Limit limit;
    std::int64_t* fields[2] = {&limit.soft, &limit.hard};
    for (int i = 0; i < 2; ++i) {
      if (words[static_cast<std::size_t>(i)] == "unlimited") {
        *fields[i] = kUnlimited;
      } else if (!to_int(words[static_cast<std::size_t>(i)], fields[i])) {
        return std::nullopt;
      }
    }
    return limit;
  }
  return std::nullopt;
}

std::optional<std::string> status_field(const std::string& status_text, std::string_view name) {
  for (const std::string& line : split(status_text, '\n')) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == ':') {
      return trim(std::string_view(line).substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

std::optional<ProcessIdentity> parse_status_identity(const std::string& status_text) {
  std::optional<std::string> uid = status_field(status_text, "Uid");
  std::optional<std::string> gid = status_field(status_text, "Gid");
  std::optional<std::string> groups = status_field(status_text, "Groups");
  if (!uid || !gid) return std::nullopt;
  std::vector<std::string> uids = split_words(*uid);
  std::vector<std::string> gids = split_words(*gid);
  ProcessIdentity id;
  // Fields are real, effective, saved, filesystem.
  if (uids.size() < 2 || gids.size() < 2 || !to_int(uids[1], &id.uid) ||
      !to_int(gids[1], &id.gid)) {
    return std::nullopt;
  }
  if (groups) {
    for (const std::string& g : split_words(*groups)) {
      std::int64_t v = 0;
      if (!to_int(g, &v)) return std::nullopt;
      id.groups.push_back(v);
    }
  }
  return id;
}

std::map<std::string, GroupEntry> parse_group_file(const std::string& text) {
  std::map<std::string, GroupEntry> out;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = split(line, ':');
    if (f.size() < 4) continue;
    GroupEntry entry;
    if (!to_int(f[2], &entry.gid)) continue;
    for (const std::string& m : split(f[3], ',')) {
      if (!m.empty()) entry.members.push_back(m);
    }
    out[f[0]] = entry;
  }
  return out;
}

std::map<std::int64_t, std::string> parse_passwd_names(const std::string& text) {
  std::map<std::int64_t, std::string> out;
  for (const std::string& line : split(text, '\n')) {
    std::vector<std::string> f = split(line, ':');
    std::int64_t uid = 0;
    if (f.size() >= 3 && to_int(f[2], &uid)) out.emplace(uid, f[0]);
  }
  return out;
}

std::map<std::string, std::string> parse_kernel_config(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const std::string& line : split(text, '\n')) {
    if (line.rfind("CONFIG_", 0) != 0) continue;
    std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = trim(std::string_view(line).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    out[line.substr(0, eq)] = value;
  }
  return out;
}

std::vector<InterruptLine> parse_interrupts(const std::string& text) {
  std::vector<InterruptLine> out;
  std::vector<std::string> lines = split(text, '\n');
  if (lines.empty()) return out;
  std::size_t ncpu = split_words(lines[0]).size();
  for (std::size_t li = 1; li < lines.size(); ++li) {
    const std::string& line = lines[li];
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::int64_t irq = 0;
    if (!to_int(trim(std::string_view(line).substr(0, colon)), &irq)) continue;
    std::vector<std::string> words = split_words(std::string_view(line).substr(colon + 1));
    if (words.size() < ncpu) continue;
    std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(ncpu), words.end());
    // After the counts: chip name, then a trigger type ("16-fasteoi", "512000-edge", or
    // "Level"/"Edge" on ARM), then the comma-separated device names.
    std::size_t type_at = rest.size();
    for (std::size_t i = 0; i < rest.size(); ++i) {
      const std::string& w = rest[i];
      auto ends = [&w](std::string_view suffix) {
        return w.size() >= suffix.size() &&
               w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0;
      };
      if (w == "Level" || w == "Edge" || ends("-edge") || ends("-fasteoi") || ends("-level") ||
          ends("-Edge") || ends("-Level") || ends("-simple")) {
        type_at = i;
        break;
      }
    }
    std::size_t first_device =
        type_at < rest.size() ? type_at + 1 : std::min<std::size_t>(2, rest.size());
    std::string joined;
    for (std::size_t i = first_device; i < rest.size(); ++i) {
      if (!joined.empty()) joined += ' ';
      joined += rest[i];
    }
    InterruptLine entry;
    entry.irq = static_cast<int>(irq);
    entry.raw = trim(line);
    for (const std::string& d : split(joined, ',')) {
      std::string name = trim(d);
      if (!name.empty()) entry.devices.push_back(name);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<TaskStat> parse_task_stat(const std::string& text) {
  std::size_t open = text.find('(');
  std::size_t close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  TaskStat stat;
  stat.comm = text.substr(open + 1, close - open - 1);
  // Fields after the comm start with field 3 (state); rt_priority is field 40, policy 41.
  std::vector<std::string> f = split_words(std::string_view(text).substr(close + 1));
  std::int64_t policy = 0;
  if (f.size() < 39 || !to_int(f[37], &stat.rt_priority) || !to_int(f[38], &policy)) {
    return std::nullopt;
  }
  stat.policy = static_cast<int>(policy);
  return stat;
}

std::map<std::string, std::string> parse_key_values(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const std::string& raw : split(text, '\n')) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(std::string_view(line).substr(0, eq));
    std::string value = trim(std::string_view(line).substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    out[key] = value;
  }
  return out;
}

}  // namespace audio_setup
