#include "astraea/data/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"

namespace astraea {
namespace {

// Pixel p of class y's prototype: a pure function of (seed, y, p).
uint8_t prototype_pixel(uint64_t seed, int y, size_t p) {
  const Philox4 r = philox(seed, RngStream::kSynthetic, 0xC1A55u, static_cast<uint32_t>(y), static_cast<uint32_t>(p), 0);
  return static_cast<uint8_t>(r.v[0] & 0xFF);
}

Dataset make_split(const SyntheticSpec& s, uint64_t seed, int64_t n, uint32_t split, const char* name) {
  Dataset d;
  d.name = name;
  d.n = n;
  d.channels = s.channels;
  d.height = s.height;
  d.width = s.width;
  d.classes = s.classes;
  d.images.resize(static_cast<size_t>(n) * d.sample_bytes());
  d.labels.resize(n);
  std::vector<int32_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = static_cast<int32_t>(i % s.classes);
  HostEngine engine = make_host_engine(seed, RngStream::kSynthetic, split, 1);
  std::shuffle(order.begin(), order.end(), engine);
  const size_t bytes = d.sample_bytes();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int y = order[i];
    d.labels[i] = y;
    uint8_t* img = d.images.data() + i * bytes;
    for (size_t p = 0; p < bytes; ++p) {
      const Philox4 r = philox(seed, RngStream::kSynthetic, split, static_cast<uint32_t>(i), static_cast<uint32_t>(p), 1);
      const float noise = to_unit_float(r.v[0]) * 255.0f;
      const float v = (1.0f - s.noise) * prototype_pixel(seed, y, p) + s.noise * noise;
      img[p] = static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, std::round(v))));
    }
  }
  return d;
}

}  // namespace

TrainTest make_synthetic(const SyntheticSpec& s, uint64_t seed) {
  ASTRAEA_REQUIRE(s.classes >= 2, "data.classes = {}: a synthetic data set needs at least 2 classes", s.classes);
  ASTRAEA_REQUIRE(s.channels >= 1 && s.height >= 1 && s.width >= 1,
                  "data.channels/height/width = {}/{}/{}: each must be at least 1", s.channels, s.height, s.width);
  ASTRAEA_REQUIRE(s.train_samples >= s.classes, "data.train_samples = {}: need at least one sample per class ({})",
                  s.train_samples, s.classes);
  ASTRAEA_REQUIRE(s.test_samples >= 1, "data.test_samples = {}: must be at least 1", s.test_samples);
  ASTRAEA_REQUIRE(s.noise >= 0.0f && s.noise < 1.0f, "data.noise = {}: must be in [0, 1)", s.noise);
  return TrainTest{make_split(s, seed, s.train_samples, 0, "synthetic-train"),
                   make_split(s, seed, s.test_samples, 1, "synthetic-test")};
}

int synthetic_nearest_prototype(const SyntheticSpec& s, uint64_t seed, const uint8_t* image) {
  const size_t bytes = static_cast<size_t>(s.channels) * s.height * s.width;
  int best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (int y = 0; y < s.classes; ++y) {
    double d = 0;
    for (size_t p = 0; p < bytes; ++p) {
      const double diff = double(image[p]) - double(prototype_pixel(seed, y, p));
      d += diff * diff;
    }
    if (d < best_d) best_d = d, best = y;
  }
  return best;
}

}  // namespace astraea
