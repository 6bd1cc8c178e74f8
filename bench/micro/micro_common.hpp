// Shared helpers for the micro-benchmarks in bench/micro/ (astraea_micro_bench): synthetic client
// label histograms and a one-entry cache, so that Google Benchmark's repeated calls of a benchmark
// function with the same arguments build their inputs once.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

namespace astraea::micro {

// [clients x classes] int32 label histograms: client sizes lognormal(log(mean_size) - sigma^2 / 2,
// sigma) (so the mean size is mean_size; at least 1), label mixes Dirichlet(beta), counts drawn
// multinomially from the mix. Deterministic for a seed.
inline std::vector<int32_t> synthetic_histograms(int64_t clients, int classes, double beta, double sigma,
                                                 double mean_size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> size_dist(std::log(mean_size) - 0.5 * sigma * sigma, sigma);
  std::gamma_distribution<double> gamma(beta, 1.0);
  std::vector<int32_t> h(static_cast<size_t>(clients) * classes, 0);
  std::vector<double> mix(classes);
  for (int64_t i = 0; i < clients; ++i) {
    const int size = std::max(1, static_cast<int>(std::lround(size_dist(rng))));
    double mass = 0;
    for (int y = 0; y < classes; ++y) mass += (mix[y] = gamma(rng));
    if (!(mass > 0)) {  // every draw underflowed: a uniform mix
      std::fill(mix.begin(), mix.end(), 1.0);
      mass = classes;
    }
    int left = size;
    int32_t* row = h.data() + i * classes;
    for (int y = 0; y < classes - 1 && left > 0; ++y) {
      const double p = std::clamp(mix[y] / mass, 0.0, 1.0);
      mass -= mix[y];
      const int c = p >= 1.0 ? left : std::binomial_distribution<int>(left, p)(rng);
      row[y] = c;
      left -= c;
    }
    row[classes - 1] += left;
  }
  return h;
}

// Holds the last value built for a key; rebuilding for another key frees the previous one first
// (the inputs of the largest cases are hundreds of megabytes).
template <typename Key, typename Value>
class LastCache {
 public:
  const Value& get(const Key& key, const std::function<Value()>& build) {
    if (!value_ || !(key_ == key)) {
      value_.reset();
      value_ = std::make_unique<Value>(build());
      key_ = key;
    }
    return *value_;
  }

 private:
  Key key_{};
  std::unique_ptr<Value> value_;
};

}  // namespace astraea::micro
