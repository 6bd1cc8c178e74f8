#include "astraea/data/class_profile.hpp"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>

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

std::vector<double> class_distribution(const std::string& spec, int classes, const std::string& key) {
  std::vector<double> w(size_t(classes), 0.0);
  if (spec == "uniform") {
    std::fill(w.begin(), w.end(), 1.0);
  } else if (std::filesystem::is_regular_file(spec)) {
    std::ifstream in(spec);
    std::string line;
    for (int lineno = 1; std::getline(in, line); ++lineno) {
      if (line.empty() || (lineno == 1 && !std::isdigit(static_cast<unsigned char>(line[0])))) continue;
      const size_t comma = line.find(',');
      try {
        size_t used = 0;
        const int y = std::stoi(line.substr(0, comma), &used);
        const double v = std::stod(line.substr(comma + 1));
        if (comma == std::string::npos || y < 0 || y >= classes || !(v >= 0) || !std::isfinite(v)) throw 0;
        w[size_t(y)] = v;
      } catch (...) {
        ASTRAEA_FAIL("{} = \"{}\": line {}: expected class,weight with 0 <= class < {} and a weight >= 0", key, spec,
                     lineno, classes);
      }
    }
  } else if (spec.find(',') != std::string::npos) {
    size_t at = 0;
    std::vector<double> list;
    while (at <= spec.size()) {
      const size_t comma = std::min(spec.find(',', at), spec.size());
      try {
        list.push_back(std::stod(spec.substr(at, comma - at)));
      } catch (const std::exception&) {
        ASTRAEA_FAIL("{} = \"{}\": \"{}\" is not a number", key, spec, spec.substr(at, comma - at));
      }
      at = comma + 1;
    }
    ASTRAEA_REQUIRE(int(list.size()) == classes, "{} = \"{}\": {} weights for {} classes", key, spec, list.size(),
                    classes);
    w = list;
  } else {
    w = class_profile(spec, classes, key);
  }
  double sum = 0;
  for (double v : w) {
    ASTRAEA_REQUIRE(v >= 0 && std::isfinite(v), "{} = \"{}\": weights must be finite and >= 0", key, spec);
    sum += v;
  }
  ASTRAEA_REQUIRE(sum > 0, "{} = \"{}\": the weights sum to 0", key, spec);
  for (double& v : w) v /= sum;
  return w;
}

}  // namespace astraea
