// audio-setup check: run every readiness check against a SystemRoot and report.
//
//   audio_setup::SystemRoot root("/");
//   audio_setup::CheckReport report = audio_setup::run_checks(root);
//   std::cout << audio_setup::report_json(report);
//   return audio_setup::exit_code(report.worst);
#pragma once

#include <string>
#include <vector>

#include "audio_setup/finding.h"
#include "audio_setup/sound_cards.h"
#include "audio_setup/system_root.h"

namespace audio_setup {

struct CheckReport {
  std::vector<Finding> findings;  // One per check, in registry order.
  std::vector<SoundCard> sound_cards;
  Outcome worst = Outcome::kNa;  // By outcome_severity.
};

// Runs every check. Checks that act on the machine (SCHED_FIFO, mlock trials) run only when
// root.is_live(); otherwise they report na. Never fails: an unreadable source is a finding.
// REQUIRES: root.validate().ok().
CheckReport run_checks(const SystemRoot& root);

// Ids of all checks, in report order.
std::vector<std::string> check_ids();

// JSON contract: {"tool": "audio-setup", "worst": "...", "summary": {"ok": n, ...},
// "checks": [{"id", "title", "status", "source", "observed", "why", "fix_nixos", "fix_other"}],
// "sound_cards": [{"card", "id", "bus", "device", "irq_device", "irq_source", "irqs"}]}.
// fix_nixos/fix_other are empty strings for ok and na findings. Ends with a newline.
std::string report_json(const CheckReport& report);

// Human table; with colour, outcome words are ANSI-coloured. Fixes are listed below the table
// for every warn/fail finding.
std::string report_table(const CheckReport& report, bool colour);

// Process exit status for the worst finding: 0 for ok/na, 1 for warn, 3 for fail. (2 is a usage
// error, 4 an operational error, for every audio-setup command.)
int exit_code(Outcome worst);

inline constexpr int kExitUsage = 2;
inline constexpr int kExitError = 4;

}  // namespace audio_setup
