// Parses the "name" / "name:value" strings used by config keys such as partition.global = "zipf:1.2".
#pragma once

#include <optional>
#include <string>

namespace astraea {

struct NamedSpec {
  std::string name;
  std::optional<double> value;
};

// Throws naming `key` when the value after ':' is not a number.
NamedSpec parse_named_spec(const std::string& spec, const std::string& key);

// The numeric parameter of `spec`, which must be present and satisfy lo < v (or lo <= v when
// `inclusive`); throws naming `key` otherwise.
double require_param(const NamedSpec& spec, const std::string& key, double lo, bool inclusive = false);

}  // namespace astraea
