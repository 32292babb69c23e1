// Rendering of a latency run: JSON (the contract), a table, and an SVG histogram.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "audio_setup/latency.h"

namespace audio_setup {
namespace {

double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

nlohmann::ordered_json stats_json(const LatencyStats& s) {
  nlohmann::ordered_json j;
  if (s.cpu >= 0) j["cpu"] = s.cpu;
  j["min_us"] = round2(s.min_us);
  j["avg_us"] = round2(s.avg_us);
  j["p50_us"] = round2(s.p50_us);
  j["p99_us"] = round2(s.p99_us);
  j["p999_us"] = round2(s.p999_us);
  j["max_us"] = round2(s.max_us);
  j["samples"] = s.samples;
  j["overflows"] = s.overflows;
  return j;
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A round step so that range/step gives about `ticks` ticks: 1, 2 or 5 times a power of ten.
double nice_step(double range, int ticks) {
  double raw = range / ticks;
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

}  // namespace

std::string latency_json(const LatencyResult& r) {
  nlohmann::ordered_json j = stats_json(r.overall);
  j["interval_us"] = r.options.interval_us;
  j["priority"] = r.options.priority;
  j["duration_s"] = r.options.duration_s;
  j["policy"] = r.realtime ? "SCHED_FIFO" : "SCHED_OTHER";
  j["memory_locked"] = r.memory_locked;
  j["cpu_dma_latency"] = r.dma_latency;
  j["load"] = r.options.load;
  j["notes"] = r.notes;
  nlohmann::ordered_json per_cpu = nlohmann::ordered_json::array();
  for (const LatencyStats& s : r.per_cpu)
    per_cpu.push_back(stats_json(s));
  j["per_cpu"] = per_cpu;
  // 1 us buckets of the overall histogram, non-zero only: [[us, count], ...].
  nlohmann::ordered_json hist = nlohmann::ordered_json::array();
  const std::size_t per_us = static_cast<std::size_t>(1000 / kBinNs);
  for (std::size_t us = 0; us * per_us < r.overall.histogram.size(); ++us) {
    std::uint64_t count = 0;
    for (std::size_t b = us * per_us; b < (us + 1) * per_us; ++b)
      count += r.overall.histogram[b];
    if (count > 0) hist.push_back({us, count});
  }
  j["histogram_us"] = hist;
  return j.dump(2) + "\n";
}

std::string latency_table(const LatencyResult& r) {
  std::string out = "CPU       samples   min_us   avg_us   p50_us   p99_us  p999_us   max_us\n";
  auto row = [&out](const std::string& name, const LatencyStats& s) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-8s %8llu %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f\n", name.c_str(),
                  static_cast<unsigned long long>(s.samples), s.min_us, s.avg_us, s.p50_us,
                  s.p99_us, s.p999_us, s.max_us);
    out += buf;
  };
  for (const LatencyStats& s : r.per_cpu)
    row(std::to_string(s.cpu), s);
  row("all", r.overall);
  out += "policy " + std::string(r.realtime ? "SCHED_FIFO" : "SCHED_OTHER") + " priority " +
         std::to_string(r.options.priority) + ", interval " +
         std::to_string(r.options.interval_us) + " us, memory " +
         (r.memory_locked ? "locked" : "not locked") + ", /dev/cpu_dma_latency " + r.dma_latency +
         (r.options.load ? ", with load" : "") + "\n";
  for (const std::string& n : r.notes)
    out += "note: " + n + "\n";
  return out;
}

std::string latency_svg(const LatencyResult& r) {
  const double width = 860, height = 460, left = 80, right = 150, top = 60, bottom = 60;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const LatencyStats& all = r.overall;
  // X range: up to the largest wake-up that fits the histogram, rounded up to a tick.
  double x_max = std::max(1.0, std::min(all.max_us, static_cast<double>(kHistogramNs) / 1000.0));
  double x_step = nice_step(x_max, 8);
  x_max = std::ceil(x_max / x_step) * x_step;
  const int columns = 200;
  const double col_us = x_max / columns;
  auto bucket = [&](const std::vector<std::uint64_t>& h) {
    std::vector<std::uint64_t> cols(columns, 0);
    for (std::size_t b = 0; b < h.size(); ++b) {
      if (h[b] == 0) continue;
      double us = static_cast<double>(b) * static_cast<double>(kBinNs) / 1000.0;
      auto c = static_cast<std::size_t>(us / col_us);
      if (c < cols.size()) cols[c] += h[b];
    }
    return cols;
  };
  std::vector<std::uint64_t> all_cols = bucket(all.histogram);
  std::uint64_t peak =
      std::max<std::uint64_t>(1, *std::max_element(all_cols.begin(), all_cols.end()));
  double y_decades = std::ceil(std::log10(static_cast<double>(peak) + 1));
  y_decades = std::max(1.0, y_decades);
  auto x_of = [&](double us) { return left + plot_w * us / x_max; };
  auto y_of = [&](double count) {
    return top + plot_h - plot_h * std::log10(count + 1) / y_decades;
  };

  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt("%.0f", width) + "\" height=\"" +
       fmt("%.0f", height) + "\" viewBox=\"0 0 " + fmt("%.0f", width) + " " + fmt("%.0f", height) +
       "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + fmt("%.0f", left) + "\" y=\"24\" font-size=\"16\">" +
       xml_escape("Scheduling latency: " + std::to_string(all.samples) + " wake-ups, " +
                  std::to_string(r.options.interval_us) + " us interval, " +
                  (r.realtime ? "SCHED_FIFO " + std::to_string(r.options.priority)
                              : std::string("SCHED_OTHER")) +
                  (r.options.load ? ", with load" : "")) +
       "</text>\n";
  s += "<text x=\"" + fmt("%.0f", left) + "\" y=\"44\">" +
       xml_escape("min " + fmt("%.1f", all.min_us) + "  avg " + fmt("%.1f", all.avg_us) + "  p50 " +
                  fmt("%.1f", all.p50_us) + "  p99 " + fmt("%.1f", all.p99_us) + "  p99.9 " +
                  fmt("%.1f", all.p999_us) + "  max " + fmt("%.1f", all.max_us) + " us") +
       "</text>\n";
  // Axes, grid and ticks.
  // Horizontal grid at 1, 10, 100, ... wake-ups; the bottom edge is zero.
  s += "<g stroke=\"#ccc\" stroke-width=\"1\">\n";
  for (double d = 0; std::pow(10.0, d) <= std::pow(10.0, y_decades) - 1; ++d) {
    double y = y_of(std::pow(10.0, d));
    s += "<line x1=\"" + fmt("%.1f", left) + "\" y1=\"" + fmt("%.1f", y) + "\" x2=\"" +
         fmt("%.1f", left + plot_w) + "\" y2=\"" + fmt("%.1f", y) + "\"/>\n";
  }
  s += "</g>\n<g fill=\"#333\" text-anchor=\"end\">\n";
  s += "<text x=\"" + fmt("%.1f", left - 6) + "\" y=\"" + fmt("%.1f", top + plot_h + 4) +
       "\">0</text>\n";
  for (double d = 0; std::pow(10.0, d) <= std::pow(10.0, y_decades) - 1; ++d) {
    double y = y_of(std::pow(10.0, d));
    s += "<text x=\"" + fmt("%.1f", left - 6) + "\" y=\"" + fmt("%.1f", y + 4) + "\">" +
         fmt("%.0f", std::pow(10.0, d)) + "</text>\n";
  }
  s += "</g>\n<g fill=\"#333\" text-anchor=\"middle\">\n";
  for (double us = 0; us <= x_max + x_step / 2; us += x_step) {
    s += "<text x=\"" + fmt("%.1f", x_of(us)) + "\" y=\"" + fmt("%.1f", top + plot_h + 18) + "\">" +
         fmt(x_step < 1 ? "%.1f" : "%.0f", us) + "</text>\n";
  }
  s += "</g>\n";
  s += "<text x=\"" + fmt("%.1f", left + plot_w / 2) + "\" y=\"" + fmt("%.1f", height - 16) +
       "\" text-anchor=\"middle\">wake-up latency (us)</text>\n";
  s += "<text x=\"18\" y=\"" + fmt("%.1f", top + plot_h / 2) +
       "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " + fmt("%.1f", top + plot_h / 2) +
       ")\">wake-ups (log scale)</text>\n";
  // Overall histogram as bars.
  s += "<g fill=\"#9ab\">\n";
  for (int c = 0; c < columns; ++c) {
    if (all_cols[static_cast<std::size_t>(c)] == 0) continue;
    double y = y_of(static_cast<double>(all_cols[static_cast<std::size_t>(c)]));
    s += "<rect x=\"" + fmt("%.2f", x_of(c * col_us)) + "\" y=\"" + fmt("%.2f", y) + "\" width=\"" +
         fmt("%.2f", plot_w / columns) + "\" height=\"" + fmt("%.2f", top + plot_h - y) + "\"/>\n";
  }
  s += "</g>\n";
  // One line per CPU.
  const char* colours[] = {"#d62728", "#2ca02c", "#1f77b4", "#ff7f0e",
                           "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  double legend_y = top + 10;
  for (std::size_t i = 0; i < r.per_cpu.size(); ++i) {
    const char* colour = colours[i % 8];
    std::vector<std::uint64_t> cols = bucket(r.per_cpu[i].histogram);
    std::string points;
    for (int c = 0; c < columns; ++c) {
      points += fmt("%.2f", x_of((c + 0.5) * col_us)) + "," +
                fmt("%.2f", y_of(static_cast<double>(cols[static_cast<std::size_t>(c)]))) + " ";
    }
    s += "<polyline fill=\"none\" stroke=\"" + std::string(colour) +
         "\" stroke-width=\"1.2\" points=\"" + points + "\"/>\n";
    if (i < 16) {
      s += "<rect x=\"" + fmt("%.1f", left + plot_w + 14) + "\" y=\"" + fmt("%.1f", legend_y - 9) +
           "\" width=\"12\" height=\"3\" fill=\"" + colour + "\"/>\n";
      s += "<text x=\"" + fmt("%.1f", left + plot_w + 32) + "\" y=\"" + fmt("%.1f", legend_y - 4) +
           "\">" +
           xml_escape("CPU " + std::to_string(r.per_cpu[i].cpu) + " p99 " +
                      fmt("%.1f", r.per_cpu[i].p99_us)) +
           "</text>\n";
      legend_y += 18;
    }
  }
  // p99 and max markers.
  for (const auto& [label, us] :
       {std::pair<const char*, double>{"p99", all.p99_us}, {"max", std::min(all.max_us, x_max)}}) {
    double x = x_of(us);
    s += "<line x1=\"" + fmt("%.1f", x) + "\" y1=\"" + fmt("%.1f", top) + "\" x2=\"" +
         fmt("%.1f", x) + "\" y2=\"" + fmt("%.1f", top + plot_h) +
         "\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>\n";
    s += "<text x=\"" + fmt("%.1f", x + 3) + "\" y=\"" + fmt("%.1f", top + 12) + "\">" + label +
         "</text>\n";
  }
  s += "<rect x=\"" + fmt("%.1f", left) + "\" y=\"" + fmt("%.1f", top) + "\" width=\"" +
       fmt("%.1f", plot_w) + "\" height=\"" + fmt("%.1f", plot_h) +
       "\" fill=\"none\" stroke=\"#333\"/>\n";
  s += "</svg>\n";
  return s;
}

}  // namespace audio_setup
