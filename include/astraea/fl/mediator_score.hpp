// The host schedulers' view of the one KL score (kernels/kl_score.hpp) for integer counts: f(v) =
// v log v and log T come from tables for the counts that occur (the same expressions compute the
// rest), so the exact greedy, its reference and the device's KldScores give bit-identical scores.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "astraea/kernels/kl_score.hpp"

namespace astraea {

class MediatorScore {
 public:
  MediatorScore(int classes, int64_t table_size) : classes_(classes), log_n_(std::log(double(classes))) {
    table_.resize(static_cast<size_t>(table_size) + 1);
    logs_.resize(table_.size());
    for (size_t v = 0; v < table_.size(); ++v) {
      table_[v] = v_log_v(double(v));
      logs_[v] = std::log(double(v));
    }
  }

  double f(int64_t v) const { return v < static_cast<int64_t>(table_.size()) ? table_[v] : v_log_v(double(v)); }
  double log_of(int64_t v) const { return v < static_cast<int64_t>(logs_.size()) ? logs_[v] : std::log(double(v)); }

  // Score of m + x (m may be null: an empty mediator); x's counts `stride` apart.
  template <typename Count>
  double score(const int64_t* m, const Count* x, int stride = 1) const {
    int64_t total = 0;
    double g = 0;
    for (int y = 0; y < classes_; ++y) {
      const int64_t v = (m ? m[y] : 0) + x[y * stride];
      total += v;
      g += f(v);
    }
    return kl_from_sums(log_n_, double(total), total > 0 ? log_of(total) : 0.0, g);
  }

  // The tables behind f and log_of: exact for 0 <= v < table_size().
  const double* f_table() const { return table_.data(); }
  const double* log_table() const { return logs_.data(); }
  int64_t table_size() const { return static_cast<int64_t>(table_.size()); }

  int classes() const { return classes_; }
  double log_classes() const { return log_n_; }

 private:
  int classes_;
  double log_n_;
  std::vector<double> table_;  // v log v
  std::vector<double> logs_;   // log v
};

}  // namespace astraea
