// Synthetic client label histograms for profiling the scheduler without data: client sizes
// 1 + lognormal(log(median), sigma), label mixes Dirichlet(skew), counts drawn from the mix.
// Client k's histogram depends only on (seed, k).
#pragma once

#include <cstdint>
#include <vector>

namespace astraea {

struct PopulationSpec {
  int64_t clients = 10000;
  int classes = 10;
  double skew = 0.3;           // Dirichlet concentration of the label mixes
  double median_size = 20.0;   // lognormal client sizes
  double size_sigma = 1.0;
  uint64_t seed = 1;
};

// [clients x classes], row-major.
std::vector<int32_t> synthetic_histograms(const PopulationSpec& spec);

}  // namespace astraea
