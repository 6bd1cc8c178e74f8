// The scheduler's hot loop as a functor for both backends: the score of every candidate against the
// open mediator, KL(normalize(m + x_i) || uniform) = log N - log T + sum_y f(m_y + x_iy) / T with
// f(v) = v log v, in double precision (the host greedy's formula, mediator_score.hpp).
#pragma once

#include <cmath>
#include <cstdint>

#include "astraea/core/host_device.hpp"

namespace astraea {

// (0, i) over candidates: scores[i] for histogram row i of [candidates x classes].
struct KldScores {
  const int32_t* histograms;
  const int64_t* merged;  // [classes]: the open mediator's counts
  double* scores;
  int classes;
  ASTRAEA_HD void operator()(int64_t, int64_t i) const {
    const int32_t* x = histograms + i * classes;
    int64_t total = 0;
    double g = 0;
    for (int y = 0; y < classes; ++y) {
      const int64_t v = merged[y] + x[y];
      total += v;
      g += v > 0 ? double(v) * log(double(v)) : 0.0;
    }
    scores[i] = total > 0 ? log(double(classes)) - log(double(total)) + g / double(total) : 0.0;
  }
};

}  // namespace astraea
