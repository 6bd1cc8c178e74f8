#include "astraea/fl/feedback.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace astraea {

std::vector<double> recall_weights(const std::vector<double>& recall, double beta) {
  std::vector<double> w(recall.size(), 1.0);
  if (recall.empty()) return w;
  const double mean = std::accumulate(recall.begin(), recall.end(), 0.0) / double(recall.size());
  for (size_t y = 0; y < recall.size(); ++y) w[y] = std::pow(mean / std::max(recall[y], 0.01), beta);
  return w;
}

}  // namespace astraea
