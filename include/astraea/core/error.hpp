// Errors and checks. Every failure is an astraea::Error whose message names what is wrong (the
// file, config key or call) so that the CLI can print it as is.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace astraea {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Internal invariant failed: the message carries the source location.
[[noreturn]] void throw_check_failure(const char* file, int line, const char* cond, const std::string& msg);

}  // namespace astraea

// User-facing error: the message must say what input is wrong (file, key, value).
#define ASTRAEA_FAIL(...) throw ::astraea::Error(fmt::format(__VA_ARGS__))
#define ASTRAEA_REQUIRE(cond, ...) \
  do {                             \
    if (!(cond)) ASTRAEA_FAIL(__VA_ARGS__); \
  } while (0)
// Internal invariant: evaluated once, throws with file and line.
#define ASTRAEA_CHECK(cond, ...)                                                          \
  do {                                                                                    \
    if (!(cond)) ::astraea::throw_check_failure(__FILE__, __LINE__, #cond, fmt::format(__VA_ARGS__)); \
  } while (0)
