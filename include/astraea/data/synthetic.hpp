// A synthetic data set separable by a known rule, for tests and scale runs: every class y has a
// random prototype image P_y; a sample of class y is P_y blended with per-pixel noise, so the
// nearest prototype (and a linear model) classifies it.
#pragma once

#include <cstdint>

#include "astraea/data/dataset.hpp"

namespace astraea {

struct SyntheticSpec {
  int classes = 10;
  int channels = 1;
  int height = 28;
  int width = 28;
  int64_t train_samples = 6000;
  int64_t test_samples = 1000;
  float noise = 0.5f;  // share of noise in each pixel, in [0, 1)
};

// Balanced classes (sample i has label i mod classes before shuffling by a seeded permutation).
TrainTest make_synthetic(const SyntheticSpec& spec, uint64_t seed);

// The rule the data follow: index of the nearest prototype (L2) to `image`.
int synthetic_nearest_prototype(const SyntheticSpec& spec, uint64_t seed, const uint8_t* image);

}  // namespace astraea
