// Astraea's data augmentation (both papers' Alg. 2): the server turns the clients' reported class
// sizes into a per-class ratio R_y; each client then grows its samples of every class with R_y > 1
// by generated images and thins those with R_y < 1. Generated samples are stored once, as uint8
// like the originals, and the client store indexes them after the original pool.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astraea/data/augment_transform.hpp"
#include "astraea/data/client_store.hpp"
#include "astraea/data/dataset.hpp"

namespace astraea {

struct AugmentationConfig {
  std::string method = "none";  // none | zscore (TPDS) | power (ICCD)
  double tau_d = 3.0;           // zscore: downsample above tau_d, augment below tau_a = -1/tau_d
  double alpha = 0.67;          // power: growth (mean / C_y)^alpha for classes below the mean
  bool sample_sigma = false;    // zscore: sample (n - 1) instead of population standard deviation
  AugmentRanges ranges;
};

// R_y per class (1 = untouched). Classes absent globally keep 1 (nothing to augment) but count in
// the mean and deviation. sigma = 0 leaves every class at 1.
std::vector<double> augmentation_ratios(const std::vector<int64_t>& class_sizes, const AugmentationConfig& config);

struct AugmentedData {
  ClientStore clients;               // originals kept, then generated samples (ids >= base count)
  std::vector<uint8_t> images;       // generated images, C x H x W each
  std::vector<int32_t> labels;
  std::vector<int64_t> generated_per_client;
  std::vector<int64_t> dropped_per_client;
  std::vector<double> ratios;
  int64_t extra_bytes() const { return static_cast<int64_t>(images.size() + labels.size() * sizeof(int32_t)); }
};

// Applies the ratios on every client: for a class with R_y > 1, each of the client's samples gets
// floor(R_y - 1) copies plus one more with probability frac(R_y - 1); for R_y < 1, each sample is
// kept with probability R_y (at least one sample of a client is always kept). Seeded.
AugmentedData augment_clients(const ClientStore& store, const Dataset& train, const AugmentationConfig& config,
                              uint64_t seed);

}  // namespace astraea
