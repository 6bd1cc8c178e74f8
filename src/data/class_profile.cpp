#include "astraea/data/class_profile.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "astraea/core/error.hpp"
#include "astraea/core/spec_string.hpp"

namespace astraea {
namespace {

// English letter frequencies (percent), a..z.
constexpr double kLetterFrequency[26] = {8.167, 1.492, 2.782, 4.253, 12.702, 2.228, 2.015, 6.094, 6.966,
                                         0.153, 0.772, 4.025, 2.406, 6.749,  7.507, 1.929, 0.095, 5.987,
                                         6.327, 9.056, 2.758, 0.978, 2.360, 0.150,  1.974, 0.074};

std::vector<double> letters_profile(int classes, const std::string& key) {
  std::vector<double> w;
  if (classes == 26) {
    w.assign(std::begin(kLetterFrequency), std::end(kLetterFrequency));
  } else if (classes == 47) {
    // EMNIST balanced: 0-9 digits, 10-35 'A'-'Z', 36-46 the merged lower case a b d e f g h n q r t.
    const double mean = std::accumulate(std::begin(kLetterFrequency), std::end(kLetterFrequency), 0.0) / 26;
    w.assign(10, mean);
    w.insert(w.end(), std::begin(kLetterFrequency), std::end(kLetterFrequency));
    for (char c : std::string("abdefghnqrt")) w.push_back(kLetterFrequency[c - 'a']);
  } else {
    ASTRAEA_FAIL("{} = \"letters\" needs 26 (EMNIST letters) or 47 (EMNIST balanced) classes, the data set has {}", key,
                 classes);
  }
  return w;
}

}  // namespace

void check_class_profile(const std::string& spec, const std::string& key) {
  const NamedSpec s = parse_named_spec(spec, key);
  if (s.name == "letters") {
    ASTRAEA_REQUIRE(!s.value, "{} = \"{}\": 'letters' takes no parameter", key, spec);
    return;
  }
  class_profile(spec, 2, key);  // the formula's own checks, on a stand-in class count
}

std::vector<double> class_profile(const std::string& spec, int classes, const std::string& key) {
  ASTRAEA_REQUIRE(classes >= 1, "{}: the data set has no classes", key);
  const NamedSpec s = parse_named_spec(spec, key);
  std::vector<double> w(classes, 1.0);
  const double span = std::max(1, classes - 1);
  if (s.name == "balanced") {
    ASTRAEA_REQUIRE(!s.value, "{} = \"{}\": 'balanced' takes no parameter", key, spec);
  } else if (s.name == "zipf") {
    const double a = require_param(s, key, 0.0, true);
    for (int y = 0; y < classes; ++y) w[y] = 1.0 / std::pow(y + 1.0, a);
  } else if (s.name == "halfnormal") {
    const double sigma = require_param(s, key, 0.0);
    for (int y = 0; y < classes; ++y) w[y] = std::exp(-(y / span) * (y / span) / (2 * sigma * sigma));
  } else if (s.name == "linear") {
    const double min_ratio = require_param(s, key, 0.0);
    ASTRAEA_REQUIRE(min_ratio <= 1.0, "{} = \"{}\": min_ratio must be in (0, 1]", key, spec);
    for (int y = 0; y < classes; ++y) w[y] = 1.0 - (1.0 - min_ratio) * (y / span);
  } else if (s.name == "letters") {
    w = letters_profile(classes, key);
  } else {
    ASTRAEA_FAIL("{} = \"{}\": unknown profile '{}' (expected balanced, zipf:s, halfnormal:sigma, linear:min_ratio "
                 "or letters)",
                 key, spec, s.name);
  }
  const double top = *std::max_element(w.begin(), w.end());
  for (double& v : w) v /= top;
  return w;
}

}  // namespace astraea
