// Fixing what `audio-setup check` finds, reversibly.
//
// plan_fixes() turns warn/fail findings into changes of two kinds only: drop-in files
// (/etc/sysctl.d/90-audio-setup.conf, /etc/security/limits.d/95-audio-setup.conf,
// /etc/udev/rules.d/90-audio-setup.rules) and runtime writes (/proc/sys, cpufreq governors,
// transparent huge pages, RTC frequency, IRQ affinity). Drop-ins keep every setting they
// already hold, so applying twice plans nothing the second time.
//
// apply_changes() records the previous bytes of every path it touches, and every directory it
// creates, in a journal (/var/lib/audio-setup/journal.json inside the root) before writing;
// rollback() restores them exactly and removes the journal. On the live system a /proc or /sys
// file is restored by writing back its previous value (the bracketed choice for files such as
// transparent_hugepage/enabled); in any other root it is restored byte for byte.
//
// NixOS keeps /etc immutable: is_nixos() roots get nix_snippet() instead.
#pragma once

#include <string>
#include <vector>

#include "archibald/status.h"
#include "audio_setup/checks.h"
#include "audio_setup/system_root.h"

namespace audio_setup {

inline constexpr const char* kJournalPath = "/var/lib/audio-setup/journal.json";

struct Change {
  // kSchedule (live system only): path is "/proc/<pid>", contents and previous are
  // "<policy> <priority>" ("SCHED_FIFO 90"), set with sched_setscheduler.
  enum class Kind { kDropIn, kRuntime, kSchedule };
  Kind kind = Kind::kDropIn;
  std::string path;      // Target-system path.
  std::string contents;  // What will be written.
  std::string previous;  // What is there now ("" when absent), for --dry-run output.
  std::string check_id;  // The finding it fixes.
};

struct Plan {
  std::vector<Change> changes;
  // Findings apply cannot fix (kernel parameters, group membership, ...): "id: advice".
  std::vector<std::string> manual;
};

bool is_nixos(const SystemRoot& root);

Plan plan_fixes(const SystemRoot& root, const CheckReport& report);

// Human description of a plan, one line per change plus the manual advice.
std::string describe_plan(const Plan& plan, bool dry_run);

// Writes the journal first, then every change. Stops at the first failed write (the journal
// already covers it, so rollback restores a partial apply too).
// journal_path is a target-system path (tests put it elsewhere).
archibald::Status apply_changes(const SystemRoot& root, const Plan& plan,
                                const std::string& journal_path = kJournalPath);

// Restores everything the journal records, newest first, then removes the journal. OK and
// *restored = 0 when there is no journal.
archibald::Status rollback(const SystemRoot& root, int* restored,
                           const std::string& journal_path = kJournalPath);

// A NixOS module snippet that fixes the report's warn/fail findings; parses with
// `nix-instantiate --parse`. PipeWire keys are quoted dotted strings.
std::string nix_snippet(const SystemRoot& root, const CheckReport& report);

}  // namespace audio_setup
