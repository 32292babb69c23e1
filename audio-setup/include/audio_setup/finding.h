// Finding: the result of one readiness check, as users and scripts see it.
#pragma once

#include <string>
#include <string_view>

namespace audio_setup {

// Four outcomes, never a pass by default: a check whose data source is missing says kNa and
// what it could not read.
enum class Outcome { kOk, kWarn, kFail, kNa };

// "ok", "warn", "fail", "na" — the JSON contract.
std::string_view outcome_name(Outcome outcome);

// Severity order for the exit code: na < ok < warn < fail.
int outcome_severity(Outcome outcome);

struct Finding {
  std::string id;     // Stable identifier, e.g. "rtprio_limit".
  std::string title;  // One line for the table.
  Outcome status = Outcome::kNa;
  std::string source;     // What was read: paths, or "sched_setscheduler on a test thread".
  std::string observed;   // The values read, as a person would quote them.
  std::string why;        // Why it matters for real-time audio.
  std::string fix_nixos;  // The NixOS option(s) that fix it; empty when status is ok/na.
  std::string fix_other;  // A drop-in file or command for other distributions.
};

}  // namespace audio_setup
