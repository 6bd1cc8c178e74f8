#include "astraea/core/error.hpp"

namespace astraea {

void throw_check_failure(const char* file, int line, const char* cond, const std::string& msg) {
  throw Error(fmt::format("internal check failed: {} ({}) at {}:{}", msg, cond, file, line));
}

}  // namespace astraea
