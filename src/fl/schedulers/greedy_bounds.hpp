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

// WF(s): the open mediator with s samples water-filled into its smallest classes, continuously.
// Set once per pick; the scan asks for it at every size bucket it reaches, on every thread.
class WaterFill {
 public:
  void reset(const int64_t* merged, int classes, const MediatorScore& score) {
    const size_t n = size_t(classes);
    sorted_.assign(merged, merged + n);
    std::sort(sorted_.begin(), sorted_.end());
    rest_f_.assign(n + 1, 0.0);
    for (size_t k = n; k-- > 0;) rest_f_[k] = rest_f_[k + 1] + score.f(sorted_[k]);
    // need_[k]: the water that raises the k smallest classes to the (k+1)-th's level (k < n);
    // below_[k]: the k smallest counts' sum (below_[n]: the mediator's total). Both exact integers.
    need_.assign(n, 0);
    below_.assign(n + 1, 0);
    for (size_t k = 0; k < n; ++k) {
      below_[k + 1] = below_[k] + sorted_[k];
      need_[k] = int64_t(k) * sorted_[k] - below_[k];
    }
  }
  double bound(int64_t s, const MediatorScore& score) const {
    const size_t n = sorted_.size();
    size_t k = 1;  // classes raised to the level
    while (k < n && need_[k] <= s) ++k;
    const double level = double(below_[k] + s) / double(k);
    const int64_t t = below_[n] + s;
    return kl_from_sums(score.log_classes(), double(t), score.log_of(t), double(k) * f_below(level, score) + rest_f_[k]);
  }

 private:
  std::vector<int64_t> sorted_, need_, below_;
  std::vector<double> rest_f_;
};

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
