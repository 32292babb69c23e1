// hydramesh_bench: audio round trip A -> B -> A and CPU, side by side in one run, for
// hydrameshd, JackTrip 1.7 (-q 2 and default) and zita-njbridge (--buff 2), on the same two
// JACK dummy servers per period (48 kHz; periods 32, 64, 128). B loops the audio back through
// its own JACK graph (receive port -> jack_thru -> send port) for every tool alike; jack_iodelay
// on A measures the round trip. hydrameshd --loopback (echo at the network layer) is reported
// separately as the floor of the network path. Medians of --rounds rounds; for HydraMesh also
// the periods its two ends concealed per minute meanwhile, so a latency comes with its price.
//
// Optional long runs, by hand: --clean-glitch-seconds N (every tool: a sine looped back through
// B and recorded at A, discontinuities counted, with both servers' xruns meanwhile, and
// JackTrip's own underrun and overflow counts),
// --soak-seconds N (the same for HydraMesh alone, with its concealed and skipped periods) and
// --glitch-seconds N (the same through hydramesh-relay with --loss/--net-jitter-ms, for
// HydraMesh and JackTrip alike).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>
#include <sstream>

#include "archibald/flags.h"
#include "bench_process.h"
#include "hydramesh/peer_stats.h"
#include "hydramesh/probe_times.h"

namespace hydramesh::bench {
namespace {

struct Options {
  std::vector<int> periods = {32, 64, 128};
  std::vector<std::string> tools = {"hydramesh", "jacktrip-q2", "jacktrip", "zita",
                                    "hydramesh-loopback"};
  int rounds = 3;
  double seconds = 10;
  std::string jitter_ms = "1";  // hydrameshd jitter target: milliseconds or "auto"
  std::string json_path;
  double soak_seconds = 0;
  double glitch_seconds = 0;
  double clean_glitch_seconds = 0;
  double loss_percent = 2;
  double net_jitter_ms = 2;
  std::string dir;
};

// UDP ports of this run: a block of 520 chosen by our pid, so two benchmarks (say, the smoke
// tests of two checkouts) running at once do not collide. Round r uses base + 10 r + 0..6; the
// relay base + 510.
int port_base() {
  static const int base = 20000 + static_cast<int>(getpid() % 80) * 520;
  return base;
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Two JACK dummy servers at one period; jack_thru runs on B for the whole pair's life.
class ServerPair {
 public:
  ServerPair(const Options& o, int period)
      : a_("hbA" + std::to_string(getpid()) + "p" + std::to_string(period)),
        b_("hbB" + std::to_string(getpid()) + "p" + std::to_string(period)) {
    for (const std::string& s : {a_, b_}) {
      servers_.emplace_back(std::vector<std::string>{"jackd", "-n", s, "-d", "dummy", "-r", "48000",
                                                     "-p", std::to_string(period)},
                            o.dir + "/jackd-" + s + ".log");
      sleep_seconds(0.5);
      run({"jack_wait", "-s", s, "-w", "-t", "15"}, o.dir + "/jack_wait.log", 20);
    }
    thru_ =
        std::make_unique<Process>(std::vector<std::string>{"jack_thru"}, o.dir + "/thru.log",
                                  std::map<std::string, std::string>{{"JACK_DEFAULT_SERVER", b_}});
    sleep_seconds(0.5);
  }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }
  ~ServerPair() {
    thru_.reset();
    for (auto it = servers_.rbegin(); it != servers_.rend(); ++it)
      it->stop();
  }

 private:
  std::string a_, b_;
  std::vector<Process> servers_;
  std::unique_ptr<Process> thru_;
};

bool connect(const std::string& server, const std::string& from, const std::string& to,
             const std::string& log) {
  for (int i = 0; i < 50; ++i) {
    if (run({"jack_connect", "-s", server, from, to}, log, 5) == 0) return true;
    sleep_seconds(0.1);
  }
  return false;
}

// One tool running between the two servers: its processes and its four port names.
struct ToolRun {
  std::vector<Process> processes;
  std::string a_send, a_receive, b_send, b_receive;  // b_* empty: loops back by itself
  std::vector<std::string> status_files;
  std::vector<std::string> dropout_logs;  // hydrameshd's, both ends
  std::vector<std::string> iostat_logs;   // JackTrip's -I 1 -G logs, both ends
};

ToolRun start_tool(const std::string& tool, const ServerPair& s, const Options& o, int round,
                   int relay_port = 0) {
  ToolRun t;
  const std::string log = o.dir + "/" + tool + "-r" + std::to_string(round) + ".log";
  const int pa = port_base() + round * 10, pb = pa + 1;
  if (tool == "hydramesh" || tool == "hydramesh-loopback") {
    const std::string secret = o.dir + "/secret";
    std::ofstream(secret) << "benchmark-secret-1234\n";
    chmod(secret.c_str(), 0600);
    const std::string& jitter = o.jitter_ms;
    t.dropout_logs = {o.dir + "/a-dropouts.log", o.dir + "/b-dropouts.log"};
    t.status_files = {o.dir + "/a.json", o.dir + "/b.json"};
    // The daemons append to their logs, and the last round's status files must not pass for
    // this round's stream being up (the wait below).
    for (const auto* files : {&t.dropout_logs, &t.status_files}) {
      for (const std::string& f : *files)
        std::remove(f.c_str());
    }
    const std::string a_peer = "127.0.0.1:" + std::to_string(relay_port ? relay_port : pb);
    t.processes.emplace_back(std::vector<std::string>{HYDRAMESHD_PATH,
                                                      "--node-id",
                                                      "a",
                                                      "--udp-address",
                                                      "127.0.0.1",
                                                      "--udp-port",
                                                      std::to_string(pa),
                                                      "--peer",
                                                      a_peer,
                                                      "--secret-file",
                                                      secret,
                                                      "--jack-server",
                                                      s.a(),
                                                      "--client-name",
                                                      "hm-a",
                                                      "--channels",
                                                      "1",
                                                      "--jitter-ms",
                                                      jitter,
                                                      "--status-file",
                                                      o.dir + "/a.json",
                                                      "--dropout-log",
                                                      t.dropout_logs[0]},
                             log);
    std::vector<std::string> b = {HYDRAMESHD_PATH,
                                  "--node-id",
                                  "b",
                                  "--udp-address",
                                  "127.0.0.1",
                                  "--udp-port",
                                  std::to_string(pb),
                                  "--secret-file",
                                  secret,
                                  "--jack-server",
                                  s.b(),
                                  "--client-name",
                                  "hm-b",
                                  "--channels",
                                  "1",
                                  "--jitter-ms",
                                  jitter,
                                  "--status-file",
                                  o.dir + "/b.json",
                                  "--dropout-log",
                                  t.dropout_logs[1]};
    if (!relay_port) b.insert(b.end(), {"--peer", "127.0.0.1:" + std::to_string(pa)});
    if (tool == "hydramesh-loopback") b.push_back("--loopback");
    t.processes.emplace_back(b, log);
    t.a_send = "hm-a-send:send_1";
    t.a_receive = "hm-a:b_1";
    if (tool == "hydramesh") {
      t.b_send = "hm-b-send:send_1";
      t.b_receive = "hm-b:a_1";
    }
    // Ready when a has b's stream playing.
    for (int i = 0; i < 100; ++i) {
      auto st = stats_from_json(read_text(t.status_files[0]));
      if (st.ok() && !st->peers.empty() && st->peers[0].played > 50) break;
      sleep_seconds(0.1);
    }
  } else if (tool == "jacktrip" || tool == "jacktrip-q2") {
    std::vector<std::string> q;
    if (tool == "jacktrip-q2") q = {"-q", "2"};
    std::vector<std::string> a = {"jacktrip",        "-s", "-n", "1", "-D", "-J", "jt-a", "-B",
                                  std::to_string(pa)};
    std::vector<std::string> b = {"jacktrip",  "-c",
                                  "127.0.0.1", "-n",
                                  "1",         "-D",
                                  "-J",        "jt-b",
                                  "-B",        std::to_string(pb),
                                  "-P",        std::to_string(relay_port ? relay_port : pa)};
    a.insert(a.end(), q.begin(), q.end());
    b.insert(b.end(), q.begin(), q.end());
    // Its own counts once a second: receive underruns and overflows, in packets, since start.
    t.iostat_logs = {o.dir + "/jt-a.iostat", o.dir + "/jt-b.iostat"};
    for (const std::string& f : t.iostat_logs)
      std::remove(f.c_str());
    a.insert(a.end(), {"-I", "1", "-G", t.iostat_logs[0]});
    b.insert(b.end(), {"-I", "1", "-G", t.iostat_logs[1]});
    t.processes.emplace_back(a, log,
                             std::map<std::string, std::string>{{"JACK_DEFAULT_SERVER", s.a()}});
    sleep_seconds(0.5);
    t.processes.emplace_back(b, log,
                             std::map<std::string, std::string>{{"JACK_DEFAULT_SERVER", s.b()}});
    t.a_send = "jt-a:send_1";
    t.a_receive = "jt-a:receive_1";
    t.b_send = "jt-b:send_1";
    t.b_receive = "jt-b:receive_1";
    sleep_seconds(2.5);
  } else if (tool == "zita") {
    // One direction: zita-j2n on the sending server, zita-n2j (2 ms buffer) on the receiving.
    auto link = [&](const std::string& from, const std::string& sender, const std::string& to,
                    const std::string& receiver, const std::string& port) {
      t.processes.emplace_back(std::vector<std::string>{"zita-j2n", "--jserv", from, "--jname",
                                                        sender, "--chan", "1", "127.0.0.1", port},
                               log);
      t.processes.emplace_back(
          std::vector<std::string>{"zita-n2j", "--jserv", to, "--jname", receiver, "--chan", "1",
                                   "--buff", "2", "127.0.0.1", port},
          log);
    };
    link(s.a(), "zj-a", s.b(), "zn-b", std::to_string(pa + 5));
    link(s.b(), "zj-b", s.a(), "zn-a", std::to_string(pa + 6));
    t.a_send = "zj-a:in_1";
    t.a_receive = "zn-a:out_1";
    t.b_send = "zj-b:in_1";
    t.b_receive = "zn-b:out_1";
    sleep_seconds(3.0);  // zita-n2j locks its resampler loop first
  }
  if (!t.b_send.empty()) {
    connect(s.b(), t.b_receive, "jack_thru:input_1", log);
    connect(s.b(), "jack_thru:output_1", t.b_send, log);
  }
  return t;
}

struct Measurement {
  double rtt_ms = std::nan("");
  double cpu_percent = 0;                      // all the tool's processes together, % of one core
  double max_process_cpu = 0;                  // the busiest one
  double concealed_per_minute = std::nan("");  // HydraMesh only: both ends' concealed periods
};

// Concealed periods so far, summed over both ends' peers (HydraMesh's status files; NaN for
// tools without them).
double concealed_so_far(const ToolRun& t) {
  if (t.status_files.empty()) return std::nan("");
  double total = 0;
  for (const std::string& f : t.status_files) {
    auto st = stats_from_json(read_text(f));
    if (!st.ok()) return std::nan("");
    for (const PeerStatsSnapshot& p : st->peers)
      total += static_cast<double>(p.concealed);
  }
  return total;
}

Measurement measure_round_trip(const ToolRun& t, const ServerPair& s, const Options& o,
                               const std::string& tag) {
  const std::string out = o.dir + "/iodelay-" + tag + ".txt";
  std::remove(out.c_str());
  Process iodelay({"stdbuf", "-oL", "jack_iodelay"}, out, {{"JACK_DEFAULT_SERVER", s.a()}});
  sleep_seconds(0.5);
  connect(s.a(), "jack_delay:out", t.a_send, out + ".log");
  connect(s.a(), t.a_receive, "jack_delay:in", out + ".log");
  const double warmup = std::min(2.0, o.seconds / 3);
  sleep_seconds(warmup);
  std::vector<double> cpu0;
  for (const Process& p : t.processes)
    cpu0.push_back(cpu_seconds(p.pid()));
  const double concealed0 = concealed_so_far(t);
  const double t0 = now_seconds();
  sleep_seconds(o.seconds - warmup);
  Measurement m;
  const double elapsed = now_seconds() - t0;
  m.concealed_per_minute = (concealed_so_far(t) - concealed0) * 60.0 / elapsed;
  for (std::size_t i = 0; i < t.processes.size(); ++i) {
    const double pct = 100.0 * (cpu_seconds(t.processes[i].pid()) - cpu0[i]) / elapsed;
    m.cpu_percent += pct;
    m.max_process_cpu = std::max(m.max_process_cpu, pct);
  }
  iodelay.stop();
  // "    64.000 frames      1.333 ms total roundtrip latency", then two detail lines; the last
  // ends in "??" and/or "Inv" when jack_iodelay itself distrusts the reading: those are dropped.
  // The result is the median of the last half of the trusted readings.
  std::vector<double> values;
  std::vector<std::string> lines;
  {
    std::istringstream text(read_text(out));
    for (std::string line; std::getline(text, line);)
      lines.push_back(line);
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    double frames = 0, ms = 0;
    if (lines[i].find("total roundtrip latency") == std::string::npos ||
        std::sscanf(lines[i].c_str(), " %lf frames %lf ms", &frames, &ms) != 2) {
      continue;
    }
    const bool flagged = i + 2 < lines.size() && (lines[i + 2].find("??") != std::string::npos ||
                                                  lines[i + 2].find("Inv") != std::string::npos);
    if (!flagged && ms > 0) values.push_back(ms);
  }
  if (!values.empty()) {
    values.erase(values.begin(), values.begin() + static_cast<long>(values.size() / 2));
    m.rtt_ms = median(values);
  }
  return m;
}

// Discontinuities of a sine (second-order predictor residual spikes), as in the tests, and the
// silence within the recording (runs of 64 or more zero samples after the signal first
// appeared): a tool that drops out to silence shows there, not as clicks.
struct GlitchCount {
  int glitches = 0;
  std::vector<std::size_t> at;  // sample index of each
  double silent_seconds = 0;
  bool had_signal = false;
};

GlitchCount count_glitches(const std::vector<float>& x, double hz) {
  const double c = 2.0 * std::cos(2.0 * std::numbers::pi * hz / 48000.0);
  std::size_t n = 0;
  while (n < x.size() && x[n] == 0.0f)
    ++n;
  GlitchCount g;
  g.had_signal = n + 4800 < x.size();
  std::size_t last = 0, zero_run = 0, silent = 0;
  for (n += 4800; n < x.size(); ++n) {
    if (std::fabs(x[n] - c * x[n - 1] + x[n - 2]) > 0.02) {
      if (g.glitches == 0 || n - last > 64) {
        ++g.glitches;
        g.at.push_back(n);
      }
      last = n;
    }
    zero_run = x[n] == 0.0f ? zero_run + 1 : 0;
    if (zero_run == 64) silent += 64;
    if (zero_run > 64) ++silent;
  }
  g.silent_seconds = static_cast<double>(silent) / 48000.0;
  return g;
}

// What hydrameshd's dropout logs (both ends) record from `from_us` to `to_us`: packets
// concealed and skipped, those of them away from every xrun (near_xrun's window), and the skips
// that follow a concealment at the same end closely enough to be a bridge's trim.
nlohmann::json dropouts_in(const ToolRun& t, const std::vector<XrunSpan>& xruns, double from_us,
                           double to_us) {
  std::uint64_t concealed = 0, skipped = 0, concealed_away = 0, skipped_away = 0, overflows = 0;
  std::uint64_t skipped_after_concealing = 0;  // within kTrimAfterUs of a concealment, same end
  // The trim comes at the end of a 0.25-s slack window after the bridge, so within two windows;
  // in the 10-minute runs of 2026-12-07, 97-99 % of all skips came that soon.
  constexpr double kTrimAfterUs = 600'000;
  for (const std::string& f : t.dropout_logs) {
    double last_concealed_us = -1e18;
    std::istringstream text(read_text(f));
    for (std::string line; std::getline(text, line);) {
      std::istringstream words(line);
      std::string what, peer, concealed_word, skipped_word;
      double us = 0;
      std::uint64_t c = 0, k = 0;
      words >> what;
      if (what == "overflow" && words >> c) overflows += c;
      if (what != "dropout" || !(words >> us >> peer >> concealed_word >> c >> skipped_word >> k)) {
        continue;
      }
      const double since_concealing = us - last_concealed_us;
      if (c > 0) last_concealed_us = us;
      if (us < from_us || us > to_us) continue;
      concealed += c;
      skipped += k;
      if (since_concealing <= kTrimAfterUs) skipped_after_concealing += k;
      if (!near_xrun(xruns, us, us)) {
        concealed_away += c;
        skipped_away += k;
      }
    }
  }
  return {{"concealed", concealed},
          {"skipped", skipped},
          {"concealed-away-from-xruns", concealed_away},
          {"skipped-away-from-xruns", skipped_away},
          {"skipped-within-0.6-s-after-a-concealment", skipped_after_concealing},
          {"log-overflows", overflows}};
}

// JackTrip's own dropout counts, both ends together: the receive underruns and overflows (in
// packets, counted from its start) of the last line of its -I logs so far. JackTrip 1.7 writes
// "... recv: UNDERRUNS/OVERFLOWS prot: ..." once a second.
struct JackTripCounts {
  std::uint64_t underruns = 0, overflows = 0;
};
JackTripCounts jacktrip_counts(const ToolRun& t) {
  JackTripCounts total;
  for (const std::string& f : t.iostat_logs) {
    unsigned long long underruns = 0, overflows = 0;
    std::istringstream text(read_text(f));
    for (std::string line; std::getline(text, line);) {
      const std::size_t at = line.find(" recv: ");
      unsigned long long u = 0, o = 0;
      if (at != std::string::npos &&
          std::sscanf(line.c_str() + at, " recv: %llu/%llu", &u, &o) == 2) {
        underruns = u;
        overflows = o;
      }
    }
    total.underruns += underruns;
    total.overflows += overflows;
  }
  return total;
}

// A 440 Hz sine from A through B's graph and back, recorded at A for `seconds`; its
// discontinuities counted, with both servers' xruns meanwhile and, for HydraMesh, what its two
// ends concealed and skipped. Impaired: through hydramesh-relay with --loss and --net-jitter-ms.
// A glitch near an xrun of either server (see near_xrun) is the machine's; the rest are the
// tool's own.
nlohmann::json run_glitch(const std::string& tool, const Options& o, bool impaired,
                          double seconds) {
  ServerPair s(o, 64);
  int relay_port = 0;
  std::optional<Process> relay;
  if (impaired) {
    relay_port = port_base() + 510;
    // b (hydramesh) or a (jacktrip -s), of round 0
    const int forward = tool == "hydramesh" ? port_base() + 1 : port_base();
    relay.emplace(std::vector<std::string>{HYDRAMESH_RELAY_PATH, "--listen",
                                           "127.0.0.1:" + std::to_string(relay_port), "--forward",
                                           "127.0.0.1:" + std::to_string(forward), "--loss",
                                           std::to_string(o.loss_percent), "--jitter-ms",
                                           std::to_string(o.net_jitter_ms), "--seed", "11"},
                  o.dir + "/relay-" + tool + ".log");
  }
  ToolRun t = start_tool(tool, s, o, 0, relay_port);
  const std::string tag = tool + (impaired ? "-impaired-" : "-clean-") +
                          std::to_string(static_cast<int>(seconds)) + "s";
  const std::string rec = o.dir + "/glitch-" + tag + ".raw";
  const int ms = static_cast<int>(seconds * 1000);
  const std::string times_a = o.dir + "/times-" + tag + "-a.txt";
  const std::string times_b = o.dir + "/times-" + tag + "-b.txt";
  for (const std::string& f : {times_a, times_b})
    std::remove(f.c_str());
  // B's xruns over the same stretch, by an idle probe started before A's recording and stopped
  // after it (SIGTERM: it still writes its times), however much time the servers lose.
  Process xruns_b({HYDRAMESH_PROBE_PATH, "--server", s.b(), "--name", "xruns", "--times-out",
                   times_b, "--milliseconds", "3600000"},
                  o.dir + "/probe-b.log");
  sleep_seconds(0.5);
  const JackTripCounts jacktrip_before = jacktrip_counts(t);
  run({HYDRAMESH_PROBE_PATH, "--server", s.a(), "--name", "glitch", "--play", t.a_send, "--signal",
       "sine:440", "--record", t.a_receive, "--out", rec, "--milliseconds", std::to_string(ms),
       "--times-out", times_a},
      o.dir + "/probe.log", seconds + 30);
  sleep_seconds(0.1);  // past the 50 ms an xrun reaches after it
  xruns_b.stop();
  const JackTripCounts jacktrip_after = jacktrip_counts(t);
  const ProbeTimes ta = read_probe_times(times_a), tb = read_probe_times(times_b);
  nlohmann::json out = {{"tool", tool},
                        {"seconds", seconds},
                        {"loss-percent", impaired ? o.loss_percent : 0.0},
                        {"jitter-ms", impaired ? o.net_jitter_ms : 0.0},
                        {"server-xruns", {ta.xruns_us.size(), tb.xruns_us.size()}}};
  if (!ta.ok() || !tb.ok()) out["server-xruns"] = nullptr;  // a probe failed
  std::uint64_t dropouts = 0;
  for (const std::string& f : t.status_files) {
    auto st = stats_from_json(read_text(f));
    if (!st.ok()) continue;
    for (const PeerStatsSnapshot& p : st->peers) {
      dropouts += p.concealed + p.skipped;
      out[st->node_id + "-from-" + p.node_id] = {{"lost", p.lost},
                                                 {"late", p.late},
                                                 {"concealed", p.concealed},
                                                 {"rebuffers", p.rebuffers},
                                                 {"skipped", p.skipped}};
    }
  }
  // HydraMesh's own dropouts: periods it played that were not the received stream.
  if (!t.status_files.empty()) out["dropouts"] = dropouts;
  // JackTrip's, by its own count (to within its logs' second at either end of the recording).
  if (!t.iostat_logs.empty()) {
    const auto since = [](std::uint64_t now, std::uint64_t then) {
      return now > then ? now - then : 0;
    };
    out["jacktrip-recv"] = {
        {"underruns", since(jacktrip_after.underruns, jacktrip_before.underruns)},
        {"overflows", since(jacktrip_after.overflows, jacktrip_before.overflows)}};
  }
  std::ifstream in(rec, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> x(bytes.size() / 4);
  std::copy_n(reinterpret_cast<const float*>(bytes.data()), x.size(), x.data());
  const GlitchCount g = count_glitches(x, 440);
  if (!g.had_signal) {
    std::fprintf(stderr, "hydramesh_bench: %s: no signal came back (see %s)\n", tool.c_str(),
                 o.dir.c_str());
    out["error"] = "no signal came back";
    return out;
  }
  if (ta.ok() && tb.ok()) {
    const std::vector<XrunSpan> xruns = merged_xruns({ta, tb});
    int near = 0;
    for (std::size_t at : g.at) {
      const double t_us = ta.usecs_at(static_cast<double>(at));
      near += near_xrun(xruns, t_us, t_us);
    }
    // How much of the recording those windows cover: the share of glitches that would fall
    // near an xrun by chance.
    const double first_us = ta.start_us(), last_us = ta.usecs_at(static_cast<double>(x.size()));
    double covered = 0, end = first_us;
    for (const XrunSpan& xrun : xruns) {
      const double from = std::max(xrun.begin_us - kNearBeforeXrunUs, end);
      const double to = std::min(xrun.end_us + kNearAfterXrunUs, last_us);
      if (to > from) covered += to - from;
      end = std::max(end, to);
    }
    out["glitches-away-from-xruns"] = g.glitches - near;
    out["xrun-windows-share"] = covered / (last_us - first_us);
    if (!t.dropout_logs.empty())
      out["dropouts-in-recording"] = dropouts_in(t, xruns, first_us, last_us);
  }
  out["glitches"] = g.glitches;
  out["glitches-per-minute"] = g.glitches * 60.0 / seconds;
  out["silent-seconds"] = g.silent_seconds;
  return out;
}

// Everything after the flag parser: comma lists and numbers, checked before any server starts.
archibald::Status parse_options(const std::string& periods, const std::string& tools,
                                const std::string& jitter, const std::string& loss,
                                const std::string& net_jitter, Options* o) {
  o->periods.clear();
  std::stringstream ps(periods);
  for (std::string p; std::getline(ps, p, ',');) {
    auto v = archibald::parse_int(p, 16, 4096, "--periods");
    if (!v.ok()) return v.status();
    o->periods.push_back(static_cast<int>(*v));
  }
  if (o->periods.empty()) return archibald::Status::invalid_argument("--periods: empty list");
  if (!tools.empty()) {
    const std::vector<std::string> known = o->tools;
    o->tools.clear();
    std::stringstream ts(tools);
    for (std::string t; std::getline(ts, t, ',');) {
      if (std::find(known.begin(), known.end(), t) == known.end()) {
        return archibald::Status::invalid_argument("--tools: unknown tool '" + t + "'");
      }
      o->tools.push_back(t);
    }
  }
  auto j = jitter == "auto" ? archibald::Result<double>(0.0)
                            : archibald::parse_double(jitter, 0, 1000, "--jitter-ms");
  auto l = archibald::parse_double(loss, 0, 100, "--loss");
  auto n = archibald::parse_double(net_jitter, 0, 1000, "--net-jitter-ms");
  for (const auto* r : {&j, &l, &n})
    if (!r->ok()) return r->status();
  o->jitter_ms = jitter;
  o->loss_percent = *l;
  o->net_jitter_ms = *n;
  return {};
}

int bench_main(int argc, char** argv) {
  Options o;
  archibald::FlagParser flags("hydramesh_bench");
  std::string periods = "32,64,128", tools, json_path, dir;
  std::int64_t rounds = 3, seconds = 10, soak = 0, glitch = 0, clean_glitch = 0;
  std::string jitter = "1", loss = "2", net_jitter = "2";
  bool check_json = false, help = false;
  flags.add_bool("--help", &help, "print this help", "-h");
  flags.add_string("--periods", &periods, "comma-separated JACK periods", "LIST");
  flags.add_string("--tools", &tools,
                   "subset of hydramesh,jacktrip-q2,jacktrip,zita,hydramesh-loopback", "LIST");
  flags.add_int("--rounds", &rounds, "rounds per configuration (median)", 1, 50);
  flags.add_int("--seconds", &seconds, "seconds per round", 2, 600);
  flags.add_string("--jitter-ms", &jitter, "hydrameshd jitter target, or auto", "MS");
  flags.add_string("--json", &json_path, "write results here", "FILE");
  flags.add_string("--dir", &dir, "scratch directory (logs)", "DIR");
  flags.add_int("--soak-seconds", &soak, "clean HydraMesh run counting dropouts", 0, 86400);
  flags.add_int("--glitch-seconds", &glitch, "impaired run counting glitches", 0, 86400);
  flags.add_int("--clean-glitch-seconds", &clean_glitch,
                "per tool, a run without impairments counting glitches", 0, 86400);
  flags.add_string("--loss", &loss, "relay loss percent for --glitch-seconds", "PCT");
  flags.add_string("--net-jitter-ms", &net_jitter, "relay jitter for --glitch-seconds", "MS");
  flags.add_bool("--check-json", &check_json, "re-read the JSON file and fail if invalid");
  std::vector<std::string> rest;
  archibald::Status st = flags.parse(argc, argv, &rest);
  if (st.ok() && help) {
    std::printf(
        "Usage: hydramesh_bench [flags]\n"
        "Round trip A -> B -> A of HydraMesh, JackTrip and zita-njbridge on JACK dummy servers,\n"
        "CPU per tool, and optional soak and impairment runs (see hydramesh/README.md).\n\n%s",
        flags.help().c_str());
    return 0;
  }
  if (st.ok() && !rest.empty())
    st = archibald::Status::invalid_argument("unexpected '" + rest[0] + "'");
  if (st.ok()) st = parse_options(periods, tools, jitter, loss, net_jitter, &o);
  if (!st.ok()) {
    std::fprintf(stderr, "hydramesh_bench: %s\n", st.message().c_str());
    return 2;
  }
  o.rounds = static_cast<int>(rounds);
  o.seconds = static_cast<double>(seconds);
  o.json_path = json_path;
  o.soak_seconds = static_cast<double>(soak);
  o.glitch_seconds = static_cast<double>(glitch);
  o.clean_glitch_seconds = static_cast<double>(clean_glitch);
  o.dir = dir.empty() ? "/tmp/hydramesh-bench-" + std::to_string(getpid()) : dir;
  run({"mkdir", "-p", o.dir}, "/dev/null");

  nlohmann::json results = nlohmann::json::array();
  std::printf("%-20s %6s %12s %10s %12s %14s\n", "tool", "period", "rtt-ms", "cpu-%", "max-proc-%",
              "concealed/min");
  for (int period : o.periods) {
    ServerPair servers(o, period);
    for (const std::string& tool : o.tools) {
      std::vector<double> rtt, cpu, maxcpu, concealed;
      for (int r = 0; r < o.rounds; ++r) {
        ToolRun t = start_tool(tool, servers, o, r);
        const Measurement m = measure_round_trip(
            t, servers, o, tool + "-p" + std::to_string(period) + "-r" + std::to_string(r));
        if (!std::isnan(m.rtt_ms)) rtt.push_back(m.rtt_ms);
        cpu.push_back(m.cpu_percent);
        maxcpu.push_back(m.max_process_cpu);
        if (!std::isnan(m.concealed_per_minute)) concealed.push_back(m.concealed_per_minute);
      }
      const double med_rtt = median(rtt);
      char conceal_text[32] = "-";
      if (!concealed.empty())
        std::snprintf(conceal_text, sizeof conceal_text, "%.0f", median(concealed));
      std::printf("%-20s %6d %12.3f %10.2f %12.2f %14s\n", tool.c_str(), period, med_rtt,
                  median(cpu), median(maxcpu), conceal_text);
      std::fflush(stdout);
      results.push_back(
          {{"tool", tool},
           {"period", period},
           {"rtt-ms", rtt.empty() ? nlohmann::json() : nlohmann::json(med_rtt)},
           {"rtt-frames", rtt.empty() ? nlohmann::json() : nlohmann::json(med_rtt * 48.0)},
           {"rtt-ms-rounds", rtt},
           {"cpu-percent", median(cpu)},
           {"cpu-percent-rounds", cpu},
           {"max-process-cpu-percent", median(maxcpu)},
           {"concealed-per-minute",
            concealed.empty() ? nlohmann::json() : nlohmann::json(median(concealed))},
           {"rounds", o.rounds}});
    }
  }
  nlohmann::json doc = {{"benchmark", "hydramesh round trip"},
                        {"sample-rate", 48000},
                        {"hydramesh-jitter-ms", o.jitter_ms},
                        {"round-trip", results}};
  if (o.soak_seconds > 0) {
    doc["soak"] = run_glitch("hydramesh", o, false, o.soak_seconds);
    std::printf("soak %.0f s: %s\n", o.soak_seconds, doc["soak"].dump().c_str());
  }
  if (o.clean_glitch_seconds > 0) {
    doc["clean-glitches"] = nlohmann::json::array();
    for (const std::string& tool : o.tools) {
      if (tool == "hydramesh-loopback") continue;
      doc["clean-glitches"].push_back(run_glitch(tool, o, false, o.clean_glitch_seconds));
      std::printf("clean glitches %s\n", doc["clean-glitches"].back().dump().c_str());
      std::fflush(stdout);
    }
  }
  if (o.glitch_seconds > 0) {
    doc["glitches"] = nlohmann::json::array();
    for (const std::string tool : {"hydramesh", "jacktrip-q2"}) {
      doc["glitches"].push_back(run_glitch(tool, o, true, o.glitch_seconds));
      std::printf("glitches %s\n", doc["glitches"].back().dump().c_str());
    }
  }
  if (!o.json_path.empty()) {
    std::ofstream(o.json_path) << doc.dump(2) << "\n";
    if (check_json) {
      const auto back = nlohmann::json::parse(read_text(o.json_path), nullptr, false);
      if (back.is_discarded() || back["round-trip"].empty() ||
          back["round-trip"][0]["rtt-ms"].is_null()) {
        std::fprintf(stderr, "hydramesh_bench: no round trip measured (see %s)\n", o.dir.c_str());
        return 1;
      }
      for (const auto& g : back.value("clean-glitches", nlohmann::json::array())) {
        if (!g.contains("glitches") || g["server-xruns"].is_null() ||
            !g.contains("glitches-away-from-xruns")) {
          std::fprintf(stderr, "hydramesh_bench: a sine run gave no glitch count (see %s)\n",
                       o.dir.c_str());
          return 1;
        }
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace hydramesh::bench

int main(int argc, char** argv) {
  return hydramesh::bench::bench_main(argc, argv);
}
