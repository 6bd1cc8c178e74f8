// The scheduler's score, KL(normalize(m + x) || uniform) = log N - log T + sum_y f(m_y + x_y) / T with
// f(v) = v log v and T = sum(m + x), for integer counts. One definition shared by the exact greedy
// and its reference, so identical inputs give bit-identical scores; f comes from a table for the
// counts that occur (the same expression computes the rest).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace astraea {

class MediatorScore {
 public:
  MediatorScore(int classes, int64_t table_size) : classes_(classes), log_n_(std::log(double(classes))) {
    table_.resize(static_cast<size_t>(table_size) + 1);
    logs_.resize(table_.size());
    for (size_t v = 0; v < table_.size(); ++v) {
      table_[v] = v_log_v(static_cast<int64_t>(v));
      logs_[v] = std::log(double(v));
    }
  }

  static double v_log_v(int64_t v) { return v > 0 ? double(v) * std::log(double(v)) : 0.0; }
  double f(int64_t v) const { return v < static_cast<int64_t>(table_.size()) ? table_[v] : v_log_v(v); }
  double log_of(int64_t v) const { return v < static_cast<int64_t>(logs_.size()) ? logs_[v] : std::log(double(v)); }

  // Score of m + x (m may be null: an empty mediator).
  double score(const int64_t* m, const int32_t* x) const {
    int64_t total = 0;
    double g = 0;
    for (int y = 0; y < classes_; ++y) {
      const int64_t v = (m ? m[y] : 0) + x[y];
      total += v;
      g += f(v);
    }
    return total > 0 ? log_n_ - log_of(total) + g / double(total) : 0.0;
  }

  int classes() const { return classes_; }
  double log_classes() const { return log_n_; }

 private:
  int classes_;
  double log_n_;
  std::vector<double> table_;  // v log v
  std::vector<double> logs_;   // log v
};

}  // namespace astraea
