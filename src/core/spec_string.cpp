#include "astraea/core/spec_string.hpp"

#include <cmath>
#include <cstdlib>

#include "astraea/core/error.hpp"

namespace astraea {

NamedSpec parse_named_spec(const std::string& spec, const std::string& key) {
  NamedSpec out;
  const auto colon = spec.find(':');
  out.name = spec.substr(0, colon);
  if (out.name.empty()) ASTRAEA_FAIL("{} = \"{}\": missing a name before ':'", key, spec);
  if (colon == std::string::npos) return out;
  const std::string text = spec.substr(colon + 1);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    ASTRAEA_FAIL("{} = \"{}\": '{}' after ':' is not a number", key, spec, text);
  }
  out.value = v;
  return out;
}

double require_param(const NamedSpec& spec, const std::string& key, double lo, bool inclusive) {
  if (!spec.value) ASTRAEA_FAIL("{} = \"{}\" needs a parameter, e.g. \"{}:{}\"", key, spec.name, spec.name, lo + 1);
  const double v = *spec.value;
  if (!std::isfinite(v) || std::fabs(v) > 1e6) {
    ASTRAEA_FAIL("{} = \"{}:{}\": the parameter must be a finite number of at most 1e6", key, spec.name, v);
  }
  if (inclusive ? v < lo : v <= lo) {
    ASTRAEA_FAIL("{} = \"{}:{}\": the parameter must be {} {}", key, spec.name, v, inclusive ? ">=" : ">", lo);
  }
  return v;
}

}  // namespace astraea
