#include "archibald/flags.h"

#include <algorithm>
#include <charconv>

namespace archibald {

Result<std::int64_t> parse_int(std::string_view text, std::int64_t min, std::int64_t max,
                               std::string_view what) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value < min || value > max) {
    return Status::invalid_argument(std::string(what) + ": expected an integer in " +
                                    std::to_string(min) + ".." + std::to_string(max) + ", got '" +
                                    std::string(text) + "'");
  }
  return value;
}

Result<double> parse_double(std::string_view text, double min, double max, std::string_view what) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || !(value >= min && value <= max)) {
    char lo[32], hi[32];
    const std::string low(lo, std::to_chars(lo, lo + sizeof lo, min).ptr);
    const std::string high(hi, std::to_chars(hi, hi + sizeof hi, max).ptr);
    return Status::invalid_argument(std::string(what) + ": expected a number in " + low + ".." +
                                    high + ", got '" + std::string(text) + "'");
  }
  return value;
}

void FlagParser::add_bool(std::string name, bool* out, std::string help, std::string short_name) {
  flags_.push_back({std::move(name), std::move(short_name), std::move(help), "", Kind::kBool, out});
}

void FlagParser::add_string(std::string name, std::string* out, std::string help,
                            std::string value_name, std::string short_name) {
  flags_.push_back({std::move(name), std::move(short_name), std::move(help), std::move(value_name),
                    Kind::kString, out});
}

void FlagParser::add_int(std::string name, std::int64_t* out, std::string help, std::int64_t min,
                         std::int64_t max, std::string value_name, std::string short_name) {
  flags_.push_back({std::move(name), std::move(short_name), std::move(help), std::move(value_name),
                    Kind::kInt, out, min, max});
}

void FlagParser::add_repeated(std::string name, std::vector<std::string>* out, std::string help,
                              std::string value_name, std::string short_name) {
  flags_.push_back({std::move(name), std::move(short_name), std::move(help), std::move(value_name),
                    Kind::kRepeated, out});
}

FlagParser::Flag* FlagParser::find(std::string_view name) {
  for (Flag& f : flags_) {
    if (f.name == name || (!f.short_name.empty() && f.short_name == name)) return &f;
  }
  return nullptr;
}

bool FlagParser::is_set(std::string_view name) const {
  return std::any_of(flags_.begin(), flags_.end(),
                     [&](const Flag& f) { return f.name == name && f.set; });
}

Status FlagParser::assign(Flag& flag, std::string_view value) {
  switch (flag.kind) {
    case Kind::kBool:
      *static_cast<bool*>(flag.out) = true;
      break;
    case Kind::kString:
      *static_cast<std::string*>(flag.out) = std::string(value);
      break;
    case Kind::kInt: {
      Result<std::int64_t> v = parse_int(value, flag.min, flag.max, flag.name);
      if (!v.ok()) return v.status();
      *static_cast<std::int64_t*>(flag.out) = *v;
      break;
    }
    case Kind::kRepeated:
      static_cast<std::vector<std::string>*>(flag.out)->emplace_back(value);
      break;
  }
  flag.set = true;
  return {};
}

Status FlagParser::parse(int argc, const char* const* argv, std::vector<std::string>* positionals) {
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      positionals->emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string_view name = arg;
    std::string_view inline_value;
    bool has_inline = false;
    if (std::size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
      has_inline = true;
    }
    Flag* flag = find(name);
    if (flag == nullptr) {
      return Status::invalid_argument("unknown option '" + std::string(name) + "' (see " +
                                      program_ + " --help)");
    }
    if (flag->kind == Kind::kBool) {
      if (has_inline) {
        return Status::invalid_argument(flag->name + ": takes no value");
      }
      ARCHIBALD_RETURN_IF_ERROR(assign(*flag, ""));
      continue;
    }
    if (!has_inline) {
      if (i + 1 >= argc) {
        return Status::invalid_argument(flag->name + ": missing value " + flag->value_name);
      }
      inline_value = argv[++i];
    }
    ARCHIBALD_RETURN_IF_ERROR(assign(*flag, inline_value));
  }
  return {};
}

std::string FlagParser::help() const {
  std::vector<std::string> left;
  std::size_t width = 0;
  for (const Flag& f : flags_) {
    std::string l = f.short_name.empty() ? "    " : f.short_name + ", ";
    l += f.name;
    if (f.kind != Kind::kBool) l += " " + f.value_name;
    width = std::max(width, l.size());
    left.push_back(std::move(l));
  }
  std::string out;
  for (std::size_t i = 0; i < flags_.size(); ++i) {
    out += "  " + left[i] + std::string(width - left[i].size() + 2, ' ') + flags_[i].help + "\n";
  }
  return out;
}

}  // namespace archibald
