#include "astraea/fl/feedback.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "astraea/core/rng.hpp"

namespace astraea {

std::vector<double> recall_weights(const std::vector<double>& recall, double beta, double max_ratio) {
  std::vector<double> w(recall.size(), 1.0);
  if (recall.empty()) return w;
  const double mean = std::accumulate(recall.begin(), recall.end(), 0.0) / double(recall.size());
  if (!(mean > 0)) return w;  // a model that recalls nothing says nothing about which class is weak
  for (size_t y = 0; y < recall.size(); ++y) {
    w[y] = std::clamp(std::pow(mean / std::max(recall[y], 0.01), beta), 1.0 / max_ratio, max_ratio);
  }
  return w;
}

std::vector<double> smooth_recall(const std::vector<double>& previous, const std::vector<double>& measured,
                                  double smoothing) {
  if (previous.size() != measured.size()) return measured;
  std::vector<double> r(measured.size());
  for (size_t y = 0; y < r.size(); ++y) r[y] = (1 - smoothing) * previous[y] + smoothing * measured[y];
  return r;
}

std::vector<int64_t> sample_proportional(const std::vector<double>& weight, int64_t count, uint64_t seed, int round,
                                         std::vector<double>& inclusion) {
  inclusion.clear();
  const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  std::vector<int64_t> picked;
  if (!(total > 0)) return picked;
  const auto pi = [&](int64_t k) { return std::min(1.0, double(count) * weight[k] / total); };
  for (int64_t k = 0; k < int64_t(weight.size()); ++k) {
    if (!(weight[k] > 0)) continue;
    const Philox4 bits = philox(seed, RngStream::kClientSampling, uint32_t(k), uint32_t(round), 1, 0);
    if (double(to_unit_float(bits.v[0])) < pi(k)) {
      picked.push_back(k);
      inclusion.push_back(pi(k));
    }
  }
  if (picked.empty()) {  // an empty round would train nothing
    const int64_t best = int64_t(std::max_element(weight.begin(), weight.end()) - weight.begin());
    picked.push_back(best);
    inclusion.push_back(pi(best));
  }
  return picked;
}

}  // namespace astraea
