#include "audio_setup/checks.h"

#include <nlohmann/json.hpp>

#include "check_registry.h"

namespace audio_setup {

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kWarn:
      return "warn";
    case Outcome::kFail:
      return "fail";
    case Outcome::kNa:
      return "na";
  }
  return "na";
}

int outcome_severity(Outcome outcome) {
  switch (outcome) {
    case Outcome::kNa:
      return 0;
    case Outcome::kOk:
      return 1;
    case Outcome::kWarn:
      return 2;
    case Outcome::kFail:
      return 3;
  }
  return 0;
}

int exit_code(Outcome worst) {
  switch (worst) {
    case Outcome::kWarn:
      return 1;
    case Outcome::kFail:
      return 3;
    default:
      return 0;
  }
}

CheckReport run_checks(const SystemRoot& root) {
  CheckContext ctx(root);
  CheckReport report;
  for (const CheckSpec& spec : check_registry()) {
    Evaluation e = spec.live_only && !root.is_live()
                       ? na("not tried: checking a tree given by --root, not this running "
                            "system")
                       : spec.evaluate(ctx);
    Finding f;
    f.id = spec.id;
    f.title = spec.title;
    f.status = e.status;
    f.source = spec.source;
    f.observed = e.observed;
    f.why = spec.why;
    if (e.status == Outcome::kWarn || e.status == Outcome::kFail) {
      f.fix_nixos = spec.fix_nixos;
      f.fix_other = e.fix_other.empty() ? spec.fix_other : e.fix_other;
    }
    if (outcome_severity(f.status) > outcome_severity(report.worst)) report.worst = f.status;
    report.findings.push_back(std::move(f));
  }
  report.sound_cards = ctx.sound_cards();
  return report;
}

std::vector<std::string> check_ids() {
  std::vector<std::string> ids;
  for (const CheckSpec& spec : check_registry())
    ids.push_back(spec.id);
  return ids;
}

std::string report_json(const CheckReport& report) {
  nlohmann::ordered_json out;
  out["tool"] = "audio-setup";
  out["worst"] = outcome_name(report.worst);
  nlohmann::ordered_json summary = {{"ok", 0}, {"warn", 0}, {"fail", 0}, {"na", 0}};
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const Finding& f : report.findings) {
    summary[std::string(outcome_name(f.status))] =
        summary[std::string(outcome_name(f.status))].get<int>() + 1;
    checks.push_back({{"id", f.id},
                      {"title", f.title},
                      {"status", outcome_name(f.status)},
                      {"source", f.source},
                      {"observed", f.observed},
                      {"why", f.why},
                      {"fix_nixos", f.fix_nixos},
                      {"fix_other", f.fix_other}});
  }
  out["summary"] = summary;
  out["checks"] = checks;
  nlohmann::ordered_json cards = nlohmann::ordered_json::array();
  for (const SoundCard& c : report.sound_cards) {
    cards.push_back({{"card", c.index},
                     {"id", c.id},
                     {"bus", c.bus},
                     {"device", c.device_path},
                     {"irq_device", c.irq_device_path},
                     {"irq_source", c.irq_source},
                     {"irqs", c.irqs}});
  }
  out["sound_cards"] = cards;
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string report_table(const CheckReport& report, bool colour) {
  auto paint = [colour](Outcome o) {
    std::string word(outcome_name(o));
    word.resize(4, ' ');
    if (!colour) return word;
    const char* code = o == Outcome::kOk     ? "\033[32m"
                       : o == Outcome::kWarn ? "\033[33m"
                       : o == Outcome::kFail ? "\033[31m"
                                             : "\033[90m";
    return std::string(code) + word + "\033[0m";
  };
  std::size_t width = 5;
  for (const Finding& f : report.findings)
    width = std::max(width, f.id.size());
  std::string out =
      "STATUS  " + std::string("CHECK") + std::string(width - 5 + 2, ' ') + "OBSERVED\n";
  for (const Finding& f : report.findings) {
    out += paint(f.status) + "    " + f.id + std::string(width - f.id.size() + 2, ' ') +
           f.observed + "\n";
  }
  out += "\nSound cards (sysfs):\n";
  if (report.sound_cards.empty()) out += "  none in /sys/class/sound\n";
  for (const SoundCard& c : report.sound_cards) {
    std::string irqs;
    for (int irq : c.irqs)
      irqs += (irqs.empty() ? "" : ",") + std::to_string(irq);
    out += "  card" + std::to_string(c.index) + " " + c.id + " (" + c.bus + ") " +
           (irqs.empty() ? "no IRQ found" : "IRQ " + irqs + " via " + c.irq_device_path) + "\n";
  }
  bool any_fix = false;
  for (const Finding& f : report.findings) {
    if (f.status != Outcome::kWarn && f.status != Outcome::kFail) continue;
    if (!any_fix) out += "\nFixes:\n";
    any_fix = true;
    out += "\n" + paint(f.status) + " " + f.id + ": " + f.why + "\n";
    out += "  read:   " + f.source + "\n";
    out += "  NixOS:  " + f.fix_nixos + "\n";
    out += "  other:  " + f.fix_other + "\n";
  }
  int counts[4] = {0, 0, 0, 0};
  for (const Finding& f : report.findings)
    ++counts[static_cast<int>(f.status)];
  out += "\n" + std::to_string(counts[0]) + " ok, " + std::to_string(counts[1]) + " warn, " +
         std::to_string(counts[2]) + " fail, " + std::to_string(counts[3]) +
         " not applicable; worst: " + std::string(outcome_name(report.worst)) + "\n";
  return out;
}

}  // namespace audio_setup
