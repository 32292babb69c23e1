// Parsers for the text formats of /proc, /sys and /etc that the checks read. Pure functions
// over strings: no I/O, so each is tested on literal text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace audio_setup {

using CpuSet = std::set<int>;

// The whole of text as a decimal integer; nullopt when empty or anything else is in it.
std::optional<std::int64_t> parse_int(std::string_view text);

// "0-3,6,8-9" -> {0,1,2,3,6,8,9}. std::nullopt on malformed input. Accepts a trailing newline.
std::optional<CpuSet> parse_cpu_list(std::string_view text);
// Inverse of parse_cpu_list, with ranges collapsed: {0,1,2,5} -> "0-2,5"; {} -> "none".
std::string format_cpu_list(const CpuSet& cpus);

// Whitespace-separated tokens.
std::vector<std::string> split_words(std::string_view text);
std::vector<std::string> split(std::string_view text, char sep);
std::string trim(std::string_view text);

// /proc/cmdline: value of "name=value" (last occurrence wins, as the kernel does), or
// std::nullopt. has_kernel_flag: a bare word ("threadirqs") or name=... present.
std::optional<std::string> kernel_param(const std::string& cmdline, std::string_view name);
bool has_kernel_flag(const std::string& cmdline, std::string_view name);
// CPUs named by isolcpus= (ignoring its flags such as "managed_irq,domain,"), nohz_full= and
// rcu_nocbs=, as one set.
CpuSet isolated_cpus(const std::string& cmdline);

// /proc/<pid>/limits row. kUnlimited for "unlimited".
inline constexpr std::int64_t kUnlimited = -1;
struct Limit {
  std::int64_t soft = 0;
  std::int64_t hard = 0;
};
// Looks up a row by its name ("Max realtime priority"). std::nullopt when absent or malformed.
std::optional<Limit> parse_limit(const std::string& limits_text, std::string_view name);

// /proc/<pid>/status fields.
struct ProcessIdentity {
  std::int64_t uid = -1;  // Effective uid.
  std::vector<std::int64_t> groups;
  std::int64_t gid = -1;  // Effective gid.
};
std::optional<ProcessIdentity> parse_status_identity(const std::string& status_text);
// "Name:\tjackd" style field of /proc/<pid>/status, trimmed.
std::optional<std::string> status_field(const std::string& status_text, std::string_view name);

// /etc/group: name -> gid and members.
struct GroupEntry {
  std::int64_t gid = -1;
  std::vector<std::string> members;
};
std::map<std::string, GroupEntry> parse_group_file(const std::string& text);
// /etc/passwd: uid -> user name.
std::map<std::int64_t, std::string> parse_passwd_names(const std::string& text);

// Kernel .config: CONFIG_X -> "y"/"m"/value. "# CONFIG_X is not set" is left out.
std::map<std::string, std::string> parse_kernel_config(const std::string& text);

// /proc/interrupts, numbered lines only.
struct InterruptLine {
  int irq = -1;
  std::vector<std::string> devices;  // Device names after the chip/type columns.
  std::string raw;
};
std::vector<InterruptLine> parse_interrupts(const std::string& text);

// /proc/<pid>/stat: the fields a check needs. comm may contain spaces and parentheses.
struct TaskStat {
  std::string comm;
  std::int64_t rt_priority = 0;
  int policy = 0;  // SCHED_OTHER 0, SCHED_FIFO 1, SCHED_RR 2, SCHED_BATCH 3, SCHED_IDLE 5.
};
std::optional<TaskStat> parse_task_stat(const std::string& text);

// key=value per line (os-release, sysctl.conf); quotes around values are removed.
std::map<std::string, std::string> parse_key_values(const std::string& text);

}  // namespace audio_setup
