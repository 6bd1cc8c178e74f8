#include "astraea/fl/schedule_quality.hpp"

#include <algorithm>

#include "astraea/kernels/kl_score.hpp"

namespace astraea {

ScheduleQuality schedule_quality(const MediatorGroups& groups, int classes,
                                 const std::function<const int32_t*(int64_t)>& row) {
  ScheduleQuality q;
  if (groups.empty()) return q;
  std::vector<int64_t> merged(classes), pooled(classes, 0);
  int64_t samples = 0;
  for (const auto& g : groups) {
    std::fill(merged.begin(), merged.end(), 0);
    for (int64_t k : g) {
      const int32_t* h = row(k);
      for (int y = 0; y < classes; ++y) merged[y] += h[y];
    }
    int64_t n = 0;
    for (int y = 0; y < classes; ++y) {
      n += merged[y];
      pooled[y] += merged[y];
    }
    const double kl = kl_to_uniform(merged.data(), classes);
    q.mean_kl += kl;
    q.weighted_kl += double(n) * kl;
    q.max_kl = std::max(q.max_kl, kl);
    samples += n;
  }
  q.mean_kl /= double(groups.size());
  q.weighted_kl = samples > 0 ? q.weighted_kl / double(samples) : 0.0;
  q.floor_kl = kl_to_uniform(pooled.data(), classes);
  return q;
}

ScheduleQuality schedule_quality(const ClientStore& store, const MediatorGroups& groups) {
  return schedule_quality(groups, store.classes(), [&](int64_t k) { return store.histogram_row(k); });
}

}  // namespace astraea
