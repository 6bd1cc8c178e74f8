// KL(p || uniform) = log N - H(p) for the distribution p = counts / sum(counts): the mediator
// scheduler's score and the imbalance figure every report prints. Written once for both backends.
#pragma once

#include <cmath>

#include "astraea/core/host_device.hpp"

namespace astraea {

// counts: N non-negative values (any arithmetic type); returns 0 for an all-zero row.
template <typename T>
ASTRAEA_HD_INLINE double kl_to_uniform(const T* counts, int classes) {
  double total = 0;
  for (int y = 0; y < classes; ++y) total += static_cast<double>(counts[y]);
  if (total <= 0) return 0.0;
  double neg_entropy = 0;  // sum p log p
  for (int y = 0; y < classes; ++y) {
    const double p = static_cast<double>(counts[y]) / total;
    if (p > 0) neg_entropy += p * log(p);
  }
  return log(static_cast<double>(classes)) + neg_entropy;
}

}  // namespace astraea
