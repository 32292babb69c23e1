// apply / rollback: drop-ins and runtime writes with a journal of the previous state.
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "audio_setup/tuning.h"
#include "check_registry.h"

namespace audio_setup {
namespace {

using archibald::Status;

constexpr const char* kSysctlDropIn = "/etc/sysctl.d/90-audio-setup.conf";
constexpr const char* kLimitsDropIn = "/etc/security/limits.d/95-audio-setup.conf";
constexpr const char* kUdevDropIn = "/etc/udev/rules.d/90-audio-setup.rules";
constexpr const char* kHeader = "# Written by audio-setup apply; undo with audio-setup rollback.\n";

bool is_kernel_path(const std::string& p) {
  return p.rfind("/proc/", 0) == 0 || p.rfind("/sys/", 0) == 0;
}

std::string hex_encode(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

bool hex_decode(const std::string& hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  auto value = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  out->clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = value(hex[i]), lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// What to write to a kernel file to bring back `previous`: the bracketed choice of files such
// as "always [madvise] never", else the trimmed value.
std::string restore_value(const std::string& previous) {
  std::size_t open = previous.find('['), close = previous.find(']');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    return previous.substr(open + 1, close - open - 1) + "\n";
  }
  return trim(previous) + "\n";
}

// Parent directories of path that do not exist yet, outermost first.
std::vector<std::string> missing_parents(const SystemRoot& root, const std::string& path) {
  std::vector<std::string> missing;
  for (std::string dir = path.substr(0, path.rfind('/')); !dir.empty() && !root.is_directory(dir);
       dir = dir.substr(0, dir.rfind('/'))) {
    missing.push_back(dir);
  }
  std::reverse(missing.begin(), missing.end());
  return missing;
}

// A drop-in holding `wanted` lines plus every line it already has; empty when unchanged.
void plan_lines(const SystemRoot& root, const std::string& path,
                const std::vector<std::string>& wanted, const std::string& check_id, Plan* plan) {
  if (wanted.empty()) return;
  std::string existing = root.try_read(path).value_or("");
  std::vector<std::string> lines;
  for (const std::string& l : split(existing, '\n')) {
    if (!trim(l).empty() && trim(l)[0] != '#') lines.push_back(l);
  }
  for (const std::string& w : wanted) {
    if (std::find(lines.begin(), lines.end(), w) == lines.end()) lines.push_back(w);
  }
  std::string contents = kHeader;
  for (const std::string& l : lines)
    contents += l + "\n";
  if (contents != existing) {
    plan->changes.push_back({Change::Kind::kDropIn, path, contents, existing, check_id});
  }
}

void plan_runtime(const SystemRoot& root, const std::string& path, const std::string& value,
                  const std::string& check_id, Plan* plan) {
  std::optional<std::string> current = root.try_read(path);
  if (!current) return;  // Nothing to tune on this system.
  if (restore_value(*current) == value + "\n") return;
  plan->changes.push_back({Change::Kind::kRuntime, path, value + "\n", *current, check_id});
}

// "SCHED_FIFO 90" <-> policy and priority, for kSchedule changes and their journal entries.
std::string policy_text(int policy, int priority) {
  const char* name = policy == SCHED_FIFO ? "SCHED_FIFO"
                     : policy == SCHED_RR ? "SCHED_RR"
                                          : "SCHED_OTHER";
  return std::string(name) + " " + std::to_string(priority);
}

bool parse_policy(const std::string& text, int* policy, int* priority) {
  std::vector<std::string> w = split_words(text);
  if (w.size() != 2) return false;
  *policy = w[0] == "SCHED_FIFO" ? SCHED_FIFO : w[0] == "SCHED_RR" ? SCHED_RR : SCHED_OTHER;
  auto [ptr, ec] = std::from_chars(w[1].data(), w[1].data() + w[1].size(), *priority);
  return ec == std::errc{} && ptr == w[1].data() + w[1].size();
}

int pid_of(const std::string& proc_path) {
  int pid = 0;
  std::string digits = proc_path.substr(std::string("/proc/").size());
  std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  return pid;
}

Status set_policy(const std::string& proc_path, const std::string& text) {
  int policy = 0, priority = 0;
  if (!parse_policy(text, &policy, &priority)) {
    return Status::corruption("bad scheduling policy '" + text + "'");
  }
  sched_param param{};
  param.sched_priority = priority;
  if (sched_setscheduler(pid_of(proc_path), policy, &param) != 0) {
    if (errno == ESRCH) return {};  // The thread is gone; nothing left to change.
    return Status::from_errno("sched_setscheduler " + proc_path, errno);
  }
  return {};
}

struct JournalEntry {
  std::string path;
  std::string kind;
  bool existed = false;
  std::string previous;
  std::vector<std::string> created_dirs;
};

struct Journal {
  std::vector<JournalEntry> entries;
  std::vector<std::string> created_dirs;  // Made for the journal itself.
};

archibald::Result<Journal> read_journal(const SystemRoot& root, const std::string& path,
                                        bool* found) {
  archibald::Result<std::string> text = root.read(path);
  *found = text.ok();
  if (!text.ok()) {
    if (text.status().code() == archibald::Code::kNotFound) return Journal{};
    return text.status();
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  Journal journal;
  auto bad = [&path] { return Status::corruption(path + ": not a journal"); };
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != 1 ||
      !j["entries"].is_array()) {
    return bad();
  }
  try {
    journal.created_dirs = j["created_dirs"].get<std::vector<std::string>>();
    for (const auto& e : j["entries"]) {
      JournalEntry entry;
      entry.path = e.at("path").get<std::string>();
      entry.kind = e.at("kind").get<std::string>();
      entry.existed = e.at("existed").get<bool>();
      entry.created_dirs = e.at("created_dirs").get<std::vector<std::string>>();
      if (!hex_decode(e.at("previous_hex").get<std::string>(), &entry.previous)) return bad();
      journal.entries.push_back(std::move(entry));
    }
  } catch (const nlohmann::json::exception&) {
    return bad();
  }
  return journal;
}

std::string journal_json(const Journal& journal) {
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["created_dirs"] = journal.created_dirs;
  j["entries"] = nlohmann::ordered_json::array();
  for (const JournalEntry& e : journal.entries) {
    j["entries"].push_back({{"path", e.path},
                            {"kind", e.kind},
                            {"existed", e.existed},
                            {"previous_hex", hex_encode(e.previous)},
                            {"created_dirs", e.created_dirs}});
  }
  return j.dump(2) + "\n";
}

}  // namespace

bool is_nixos(const SystemRoot& root) {
  std::optional<std::string> text = root.try_read("/etc/os-release");
  if (!text) return false;
  auto kv = parse_key_values(*text);
  return kv["ID"] == "nixos";
}

Plan plan_fixes(const SystemRoot& root, const CheckReport& report) {
  std::map<std::string, const Finding*> by_id;
  for (const Finding& f : report.findings)
    by_id[f.id] = &f;
  auto bad = [&](const std::string& id) {
    auto it = by_id.find(id);
    return it != by_id.end() &&
           (it->second->status == Outcome::kWarn || it->second->status == Outcome::kFail);
  };
  Plan plan;
  std::set<std::string> handled;

  std::vector<std::string> limits;
  for (const char* id : {"rtprio_limit", "sched_fifo_trial"}) {
    if (bad(id)) limits.push_back("@audio - rtprio " + std::to_string(kWantedRtprio));
    handled.insert(id);
  }
  for (const char* id : {"memlock_limit", "mlock_trial"}) {
    if (bad(id)) limits.push_back("@audio - memlock unlimited");
    handled.insert(id);
  }
  std::sort(limits.begin(), limits.end());
  limits.erase(std::unique(limits.begin(), limits.end()), limits.end());
  plan_lines(root, kLimitsDropIn, limits, "rtprio_limit/memlock_limit", &plan);

  const std::pair<const char*, std::pair<const char*, std::string>> sysctls[] = {
      {"swappiness", {"vm.swappiness", std::to_string(kMaxSwappiness)}},
      {"inotify_watches", {"fs.inotify.max_user_watches", std::to_string(kMinInotifyWatches)}},
      {"nmi_watchdog", {"kernel.nmi_watchdog", "0"}},
      {"timer_migration", {"kernel.timer_migration", "0"}},
      {"rt_throttling", {"kernel.sched_rt_runtime_us", "950000"}},
      {"hpet_max_user_freq", {"dev.hpet.max-user-freq", std::to_string(kMinTimerFreq)}},
  };
  std::vector<std::string> sysctl_lines;
  for (const auto& [id, kv] : sysctls) {
    handled.insert(id);
    if (!bad(id)) continue;
    sysctl_lines.push_back(std::string(kv.first) + " = " + kv.second);
    std::string proc = "/proc/sys/" + std::string(kv.first);
    std::replace(proc.begin() + 10, proc.end(), '.', '/');
    plan_runtime(root, proc, kv.second, id, &plan);
  }
  plan_lines(root, kSysctlDropIn, sysctl_lines, "sysctl", &plan);

  std::vector<std::string> udev;
  for (const CheckSpec& spec : check_registry()) {
    if (spec.id != "cpu_dma_latency_access" && spec.id != "rtc_access" &&
        spec.id != "hpet_access") {
      continue;
    }
    handled.insert(spec.id);
    // Only a missing rule is apply's to fix; a user outside the group needs usermod.
    if (bad(spec.id) && by_id[spec.id]->observed.find("no udev rule") != std::string::npos) {
      udev.push_back(spec.nix.at(0).value);
    } else if (bad(spec.id)) {
      handled.erase(spec.id);
    }
  }
  handled.insert("rtc_max_user_freq");
  if (bad("rtc_max_user_freq")) {
    udev.push_back("ACTION==\"add\", SUBSYSTEM==\"rtc\", ATTR{max_user_freq}=\"" +
                   std::to_string(kMinTimerFreq) + "\"");
    plan_runtime(root, "/sys/class/rtc/rtc0/max_user_freq", std::to_string(kMinTimerFreq),
                 "rtc_max_user_freq", &plan);
  }
  plan_lines(root, kUdevDropIn, udev, "device access", &plan);

  handled.insert("cpu_governor");
  if (bad("cpu_governor")) {
    for (const std::string& name : root.list("/sys/devices/system/cpu")) {
      if (name.rfind("cpu", 0) != 0 || name.size() < 4 || name[3] < '0' || name[3] > '9') continue;
      plan_runtime(root, "/sys/devices/system/cpu/" + name + "/cpufreq/scaling_governor",
                   "performance", "cpu_governor", &plan);
    }
  }
  handled.insert("transparent_hugepages");
  if (bad("transparent_hugepages")) {
    plan_runtime(root, "/sys/kernel/mm/transparent_hugepage/enabled", "madvise",
                 "transparent_hugepages", &plan);
  }
  // The affinity fix names each IRQ: "echo CPUS > /proc/irq/N/smp_affinity_list; ...".
  handled.insert("audio_irq_affinity");
  if (bad("audio_irq_affinity")) {
    for (const std::string& part : split(by_id["audio_irq_affinity"]->fix_other, ';')) {
      std::vector<std::string> w = split_words(part);
      if (w.size() == 4 && w[0] == "echo" && w[2] == ">" && w[3].rfind("/proc/irq/", 0) == 0) {
        plan_runtime(root, w[3], w[1], "audio_irq_affinity", &plan);
      }
    }
  }
  // IRQ thread priorities are process state, not files: only on the running system.
  if (bad("irq_thread_priority") && root.is_live()) {
    handled.insert("irq_thread_priority");
    for (const std::string& part : split(by_id["irq_thread_priority"]->fix_other, ';')) {
      std::vector<std::string> w = split_words(part);
      if (w.size() != 5 || w[0] != "chrt" || w[1] != "-f" || w[2] != "-p") continue;
      std::string path = "/proc/" + w[4];
      int pid = pid_of(path);
      int policy = sched_getscheduler(pid);
      sched_param param{};
      if (pid <= 0 || policy < 0 || sched_getparam(pid, &param) != 0) continue;
      plan.changes.push_back({Change::Kind::kSchedule, path, "SCHED_FIFO " + w[3],
                              policy_text(policy, param.sched_priority), "irq_thread_priority"});
    }
  }
  for (const Finding& f : report.findings) {
    if ((f.status == Outcome::kWarn || f.status == Outcome::kFail) && !handled.count(f.id)) {
      plan.manual.push_back(f.id + ": " + f.fix_other);
    }
  }
  return plan;
}

std::string describe_plan(const Plan& plan, bool dry_run) {
  std::string out;
  if (plan.changes.empty()) out += "nothing to change: every fix apply can make is in place\n";
  for (const Change& c : plan.changes) {
    std::string verb = dry_run ? "would " : "";
    if (c.kind == Change::Kind::kDropIn) {
      out += verb + (c.previous.empty() ? "create " : "rewrite ") + c.path + " (" + c.check_id +
             "):\n";
      for (const std::string& l : split(c.contents, '\n')) {
        if (!l.empty()) out += "    " + l + "\n";
      }
    } else if (c.kind == Change::Kind::kSchedule) {
      out += verb + "set the scheduling of " + c.path + ": " + c.previous + " -> " + c.contents +
             " (" + c.check_id + ")\n";
    } else {
      out += verb + "set " + c.path + ": " + trim(c.previous) + " -> " + trim(c.contents) + " (" +
             c.check_id + ")\n";
    }
  }
  if (!plan.manual.empty()) out += "\nnot done by apply (do these by hand):\n";
  for (const std::string& m : plan.manual)
    out += "  " + m + "\n";
  return out;
}

Status apply_changes(const SystemRoot& root, const Plan& plan, const std::string& journal_path) {
  if (plan.changes.empty()) return {};
  bool found = false;
  archibald::Result<Journal> loaded = read_journal(root, journal_path, &found);
  if (!loaded.ok()) return loaded.status();
  Journal journal = std::move(loaded).value();
  if (!found) journal.created_dirs = missing_parents(root, journal_path);
  std::set<std::string> journaled;
  for (const JournalEntry& e : journal.entries)
    journaled.insert(e.path);
  for (const Change& c : plan.changes) {
    if (journaled.count(c.path)) continue;  // The first apply's previous state is the one to keep.
    JournalEntry e;
    e.path = c.path;
    if (c.kind == Change::Kind::kSchedule) {
      e.kind = "schedule";
      e.existed = true;
      e.previous = c.previous;
    } else {
      e.kind = c.kind == Change::Kind::kDropIn ? "drop-in" : "runtime";
      archibald::Result<std::string> current = root.read(c.path);
      e.existed = current.ok();
      if (current.ok()) e.previous = *current;
      e.created_dirs = missing_parents(root, c.path);
    }
    journal.entries.push_back(std::move(e));
    journaled.insert(c.path);
  }
  ARCHIBALD_RETURN_IF_ERROR(
      root.write(journal_path, journal_json(journal)).with_context("journal"));
  for (const Change& c : plan.changes) {
    ARCHIBALD_RETURN_IF_ERROR(c.kind == Change::Kind::kSchedule ? set_policy(c.path, c.contents)
                                                                : root.write(c.path, c.contents));
  }
  return {};
}

Status rollback(const SystemRoot& root, int* restored, const std::string& journal_path) {
  *restored = 0;
  bool found = false;
  archibald::Result<Journal> loaded = read_journal(root, journal_path, &found);
  if (!loaded.ok()) return loaded.status();
  if (!found) return {};
  const Journal& journal = *loaded;
  for (auto it = journal.entries.rbegin(); it != journal.entries.rend(); ++it) {
    if (it->kind == "schedule") {
      ARCHIBALD_RETURN_IF_ERROR(set_policy(it->path, it->previous));
    } else if (it->existed) {
      bool kernel = root.is_live() && is_kernel_path(it->path);
      ARCHIBALD_RETURN_IF_ERROR(
          root.write(it->path, kernel ? restore_value(it->previous) : it->previous));
    } else {
      ARCHIBALD_RETURN_IF_ERROR(root.remove(it->path));
    }
    for (auto d = it->created_dirs.rbegin(); d != it->created_dirs.rend(); ++d) {
      ARCHIBALD_RETURN_IF_ERROR(root.remove_empty_directory(*d));
    }
    ++*restored;
  }
  ARCHIBALD_RETURN_IF_ERROR(root.remove(journal_path));
  for (auto d = journal.created_dirs.rbegin(); d != journal.created_dirs.rend(); ++d) {
    ARCHIBALD_RETURN_IF_ERROR(root.remove_empty_directory(*d));
  }
  return {};
}

}  // namespace audio_setup
