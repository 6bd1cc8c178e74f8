// The exact greedy's bounds on a pick (greedy.cpp): water-filling per size and the dominant
// class's share. Each is at most the score of every candidate it is applied to.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "astraea/fl/mediator_score.hpp"

namespace astraea::greedy_detail {

// Safety margin for pruning: the bounds are exact mathematics computed in doubles.
constexpr double kBoundSlack = 1e-10;

// At most v log v, from the score's tables: the tangent at the integer below v (f is convex), and
// below 1 the larger of the tangent at 1 (v - 1) and f's least value -1/e.
inline double f_below(double v, const MediatorScore& score) {
  if (v < 1) return std::max(v - 1, -0.36787944117144233);
  const int64_t j = static_cast<int64_t>(v);
  if (j + 1 >= score.table_size()) return v_log_v(v);
  return score.f(j) + (v - double(j)) * (score.log_of(j) + 1);
}

// WF(s): the open mediator (sorted counts `sorted`, total `total`) with s samples water-filled
// into its smallest classes, continuously. `rest_f[k]`: the sum of f over sorted[k..].
inline double water_fill_bound(const std::vector<double>& sorted, const std::vector<double>& rest_f, int64_t total, int64_t s,
                        const MediatorScore& score) {
  const size_t n = sorted.size();
  double level = sorted[0], spent = 0;
  size_t k = 1;  // classes raised to `level`
  while (k < n && spent + (sorted[k] - level) * k <= double(s)) {
    spent += (sorted[k] - level) * k;
    level = sorted[k];
    ++k;
  }
  level += (double(s) - spent) / k;
  const int64_t t = total + s;
  return kl_from_sums(score.log_classes(), double(t), score.log_of(t), double(k) * f_below(level, score) + rest_f[k]);
}

// D(q): KL of the two-bin coarsening {y*, rest} when y* holds share q.
inline double binary_kl(double q, int classes) {
  const double u = 1.0 / classes;
  if (q <= u) return 0.0;
  if (q >= 1.0) return std::log(double(classes));
  return q * std::log(q / u) + (1 - q) * std::log((1 - q) / (1 - u));
}

// The largest share q with D(q) <= bound (D is increasing on [1/N, 1]), by bisection, rounded up.
inline double max_share(double bound, int classes) {
  double lo = 1.0 / classes, hi = 1.0;
  if (binary_kl(hi, classes) <= bound) return 1.0;
  for (int i = 0; i < 30; ++i) {  // hi stays a valid bound: 2^-30 is precise enough
    const double mid = 0.5 * (lo + hi);
    (binary_kl(mid, classes) <= bound ? lo : hi) = mid;
  }
  return hi;
}

// q* for every cutoff, from a geometric grid of cutoffs: the entry at the first grid point at or
// above the cutoff (q* grows with the cutoff, so that is a valid, slightly looser bound).
class ShareTable {
 public:
  explicit ShareTable(int classes) {
    for (double c = 1e-9; c < std::log(double(classes)); c *= 1.02) {
      cutoffs_.push_back(c);
      shares_.push_back(max_share(c + kBoundSlack, classes));
    }
  }
  double at(double cutoff) const {
    const size_t i = size_t(std::lower_bound(cutoffs_.begin(), cutoffs_.end(), cutoff) - cutoffs_.begin());
    return i < shares_.size() ? shares_[i] : 1.0;
  }

 private:
  std::vector<double> cutoffs_, shares_;
};

}  // namespace astraea::greedy_detail
