// Checks about the audio server itself: does JACK or PipeWire run with real-time threads, and
// what period (quantum) and rate is it configured for.

#include "check_registry.h"

namespace audio_setup {
namespace {

// Value of a jackd option in argv: "-p 64", "-p64", "--period 64", "--period=64". The driver's
// own options come after "-d <driver>", which is where -p and -r live.
std::optional<std::int64_t> jackd_option(const std::vector<std::string>& argv, char short_name,
                                         const std::string& long_name) {
  std::optional<std::int64_t> value;
  const std::string s = std::string("-") + short_name;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if ((a == s || a == "--" + long_name) && i + 1 < argv.size()) {
      if (auto v = parse_int(argv[i + 1])) value = v;
    } else if (a.size() > 2 && a.rfind(s, 0) == 0 && a[2] != '-') {
      if (auto v = parse_int(a.substr(2))) value = v;
    } else if (a.rfind("--" + long_name + "=", 0) == 0) {
      if (auto v = parse_int(a.substr(long_name.size() + 3))) value = v;
    }
  }
  return value;
}

// Last value of a SPA-JSON key ("default.clock.quantum = 64", "\"default.clock.rate\": 48000")
// outside comments.
std::optional<std::int64_t> spa_value(const std::string& text, const std::string& key) {
  std::optional<std::int64_t> value;
  for (const std::string& raw : split(text, '\n')) {
    std::string line = raw.substr(0, raw.find('#'));
    std::size_t at = line.find(key);
    if (at == std::string::npos) continue;
    std::size_t i = at + key.size();
    if (i < line.size() && line[i] == '"') ++i;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    if (i >= line.size() || (line[i] != '=' && line[i] != ':')) continue;
    ++i;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    std::size_t end = i;
    while (end < line.size() && line[end] >= '0' && line[end] <= '9')
      ++end;
    if (auto v = parse_int(line.substr(i, end - i))) value = v;
  }
  return value;
}

// The user configuration directory of the first running PipeWire ($XDG_CONFIG_HOME, else
// $HOME/.config, from its environment), or "" when none runs or its environment is unreadable.
std::string pipewire_user_config_dir(const CheckContext& ctx) {
  for (const ProcessInfo* p : ctx.audio_servers()) {
    if (p->comm != "pipewire") continue;
    std::optional<std::string> environ =
        ctx.root().try_read("/proc/" + std::to_string(p->pid) + "/environ");
    if (!environ) return "";
    std::string xdg, home;
    for (const std::string& entry : split(*environ, '\0')) {
      if (entry.rfind("XDG_CONFIG_HOME=/", 0) == 0) xdg = entry.substr(16);
      if (entry.rfind("HOME=/", 0) == 0) home = entry.substr(5);
    }
    if (!xdg.empty()) return xdg;
    return home.empty() ? "" : home + "/.config";
  }
  return "";
}

// The files PipeWire reads for its context, in the order it applies them (later values win):
// the first pipewire.conf found in the user's directory, /etc/pipewire, /usr/share/pipewire;
// then the *.conf drop-ins of pipewire.conf.d in /usr/share, /etc and the user's directory, each
// directory in name order.
std::vector<std::string> pipewire_config_files(const CheckContext& ctx) {
  const std::string user = pipewire_user_config_dir(ctx);
  std::vector<std::string> dirs = {"/usr/share/pipewire", "/etc/pipewire"};
  if (!user.empty()) dirs.push_back(user + "/pipewire");
  std::vector<std::string> files;
  for (auto dir = dirs.rbegin(); dir != dirs.rend(); ++dir) {
    if (ctx.root().exists(*dir + "/pipewire.conf")) {
      files.push_back(*dir + "/pipewire.conf");
      break;
    }
  }
  for (const std::string& dir : dirs) {
    for (const std::string& name : ctx.root().list(dir + "/pipewire.conf.d")) {
      if (name.size() > 5 && name.ends_with(".conf")) {
        files.push_back(dir + "/pipewire.conf.d/" + name);
      }
    }
  }
  return files;
}

std::string latency_text(std::int64_t quantum, std::int64_t rate) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f ms",
                1000.0 * static_cast<double>(quantum) / static_cast<double>(rate));
  return buf;
}

}  // namespace

Evaluation check_audio_server_rt(const CheckContext& ctx) {
  std::vector<const ProcessInfo*> servers = ctx.audio_servers();
  if (servers.empty()) return na("no jackd, jackdbus or pipewire process in /proc");
  std::string obs;
  std::string without;
  for (const ProcessInfo* p : servers) {
    std::string base = "/proc/" + std::to_string(p->pid) + "/task";
    std::string best;
    std::int64_t best_prio = -1;
    for (const std::string& tid : ctx.root().list(base)) {
      std::optional<std::string> stat = ctx.root().try_read(base + "/" + tid + "/stat");
      std::optional<TaskStat> ts = stat ? parse_task_stat(*stat) : std::nullopt;
      if (ts && (ts->policy == 1 || ts->policy == 2) && ts->rt_priority > best_prio) {
        best_prio = ts->rt_priority;
        best = ts->comm;
      }
    }
    std::string who = p->comm + " (pid " + std::to_string(p->pid) + ")";
    if (best_prio > 0) {
      obs += (obs.empty() ? "" : "; ") + who + " thread '" + best + "' SCHED_FIFO/RR priority " +
             std::to_string(best_prio);
    } else {
      without += (without.empty() ? "" : ", ") + who;
    }
  }
  if (without.empty()) return ok(obs);
  return fail((obs.empty() ? "" : obs + "; ") + without + " has no real-time thread");
}

Evaluation check_audio_server_quantum(const CheckContext& ctx) {
  for (const ProcessInfo* p : ctx.audio_servers()) {
    if (p->comm != "jackd") continue;
    std::optional<std::int64_t> period = jackd_option(p->argv, 'p', "period");
    std::int64_t rate = jackd_option(p->argv, 'r', "rate").value_or(48000);
    if (!period || rate <= 0) continue;
    std::string obs = "jackd (pid " + std::to_string(p->pid) + ") -p " + std::to_string(*period) +
                      " -r " + std::to_string(rate) + " = " + latency_text(*period, rate) +
                      " per period";
    if (*period <= kMaxQuantum) return ok(obs);
    return warn(obs + ": above " + std::to_string(kMaxQuantum) + " frames");
  }
  std::vector<std::string> files = pipewire_config_files(ctx);
  std::optional<std::int64_t> quantum;
  std::optional<std::int64_t> rate;
  std::string read;
  for (const std::string& file : files) {
    std::optional<std::string> text = ctx.root().try_read(file);
    if (!text) continue;
    read += (read.empty() ? "" : ", ") + file;
    if (auto q = spa_value(*text, "default.clock.quantum")) quantum = q;
    if (auto r = spa_value(*text, "default.clock.rate")) rate = r;
  }
  if (read.empty()) return na("no running jackd with -p and no PipeWire configuration");
  // PipeWire's built-in defaults when no file sets them.
  std::int64_t q = quantum.value_or(1024);
  std::int64_t r = rate.value_or(48000);
  if (r <= 0) return na("PipeWire default.clock.rate = " + std::to_string(r));
  std::string obs = "PipeWire default.clock.quantum = " + std::to_string(q) +
                    (quantum ? "" : " (built-in default)") +
                    ", default.clock.rate = " + std::to_string(r) + " = " + latency_text(q, r) +
                    " per quantum (from " + read + ")";
  if (q <= kMaxQuantum) return ok(obs);
  return warn(obs + ": above " + std::to_string(kMaxQuantum) + " frames");
}

}  // namespace audio_setup
