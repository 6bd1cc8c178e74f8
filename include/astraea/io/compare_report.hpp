// The tables and files of `astraea compare`, from typed results: one seed's table (compare.md,
// compare.json under the seed's directory) and the table over seeds (mean ± sample standard
// deviation of every figure).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "astraea/fl/run_summary.hpp"

namespace astraea {

struct MethodResult {
  std::string method;       // as given to --methods ("astraea+fedlc")
  std::string description;  // for tables
  RunSummary summary;
};

// Every method on one seed's partition.
struct Comparison {
  uint64_t seed = 0;
  std::vector<int> rarest;            // the three rarest classes of the partition
  std::vector<int64_t> class_sizes;   // the partition's global class sizes
  std::vector<std::string> class_names;  // classes.file's (empty: indices)
  std::vector<MethodResult> methods;
};

// One seed: best and final accuracy, macro F1, F1 of the rarest classes, rounds and MB to the
// target, mean mediator and client KL, total MB.
std::string comparison_markdown(const Comparison& c, double target_accuracy);
nlohmann::ordered_json comparison_json(const Comparison& c, const nlohmann::json& config);
// Back from comparison_json (a seed written by another rank); throws naming `source`.
Comparison comparison_from_json(const nlohmann::json& j, const std::string& source);

// Over seeds (rare classes: the first seed's): mean ± sd per method; rounds and MB to the target
// over the seeds that reached it (k/n).
std::string seeds_markdown(const std::vector<Comparison>& runs, double target_accuracy);
nlohmann::ordered_json seeds_json(const std::vector<Comparison>& runs, const nlohmann::json& config);

// Mean and sample standard deviation.
struct Spread {
  double mean = 0, sd = 0;
  size_t n = 0;
};
Spread spread(const std::vector<double>& values);

// Writes `text` to DIR/name, creating DIR; a failure names the file.
void write_text_file(const std::string& dir, const std::string& name, const std::string& text);

}  // namespace astraea
