// The one KL score of the simulator. For non-negative counts v over N classes with total T,
//   KL(normalize(v) || uniform) = log N - log T + sum_y f(v_y) / T,   f(v) = v log v (0 log 0 = 0).
// The host greedy (with f and log from tables for small counts), its reference, the batched and
// device schedulers (KldScores) and every report compute it through kl_from_sums, in this order
// of operations, so equal inputs give equal bits everywhere.
#pragma once

#include <cmath>

#include "astraea/core/host_device.hpp"

namespace astraea {

ASTRAEA_HD_INLINE double v_log_v(double v) { return v > 0 ? v * log(v) : 0.0; }

// log N - log T + sum_f / T; 0 for an empty distribution (T = 0).
ASTRAEA_HD_INLINE double kl_from_sums(double log_classes, double total, double log_total, double sum_f) {
  return total > 0 ? log_classes - log_total + sum_f / total : 0.0;
}

// counts: N non-negative values (any arithmetic type); 0 for an all-zero row.
template <typename T>
ASTRAEA_HD_INLINE double kl_to_uniform(const T* counts, int classes) {
  double total = 0, sum_f = 0;
  for (int y = 0; y < classes; ++y) {
    const double v = static_cast<double>(counts[y]);
    total += v;
    sum_f += v_log_v(v);
  }
  return kl_from_sums(log(static_cast<double>(classes)), total, total > 0 ? log(total) : 0.0, sum_f);
}

}  // namespace astraea
