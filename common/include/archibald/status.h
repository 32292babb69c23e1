// Status and Result<T>: errors as values at every API boundary.
//
// A default-constructed Status is OK. A failed Status carries a Code and a one-line message
// written for the person who will read it ("open /x/db: lock held by pid 123").
// Status and Result are cheap to move and never throw.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace archibald {

enum class Code {
  kOk = 0,
  kNotFound,         // A named thing (path, peer, port) does not exist.
  kInvalidArgument,  // The caller's input is wrong: bad flag, bad config key, bad value.
  kCorruption,       // Stored or received bytes fail validation.
  kIoError,          // The operating system refused or failed.
  kBusy,             // Held by someone else (lock file, port in use).
  kNotSupported,
  kPermissionDenied,
  kUnavailable,  // A required service (JACK server, peer) is not reachable.
  kAborted,      // Gave up: timeout, cancelled, handle poisoned by an earlier failure.
};

// Stable lower-case name of a code ("not_found"), for JSON output and logs.
std::string_view code_name(Code code);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status not_found(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status invalid_argument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status io_error(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  // io_error with strerror(errno_value) appended: "what: No space left on device".
  static Status from_errno(std::string_view what, int errno_value);
  static Status busy(std::string msg) { return {Code::kBusy, std::move(msg)}; }
  static Status not_supported(std::string msg) { return {Code::kNotSupported, std::move(msg)}; }
  static Status permission_denied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "ok", or "<code name>: <message>".
  std::string to_string() const;

  // Returns a copy whose message is prefixed with context: "open db: <message>".
  Status with_context(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a failed Status. REQUIRES: a Result is never built from an OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  // The error; an OK Status when the Result holds a value.
  Status status() const { return ok() ? Status{} : std::get<Status>(state_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

// A message made safe to print as one line: control bytes (newlines, NUL, escape sequences
// from a file or a flag echoed back) are written as \n, \t, \r or \xNN.
std::string one_line(std::string_view message);

}  // namespace archibald

// Returns early from a function returning Status (or Result) when expr fails.
#define ARCHIBALD_RETURN_IF_ERROR(expr)                    \
  do {                                                     \
    ::archibald::Status archibald_status_ = (expr);        \
    if (!archibald_status_.ok()) return archibald_status_; \
  } while (0)
