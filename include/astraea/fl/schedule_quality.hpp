// How close a round's mediators are to uniform, and how close they could be. The sample-weighted
// mean of the mediators' KL(merged || uniform) can never be below the KL of the pooled online
// distribution (KL is convex, and the pool is the weighted mixture of the mediators): that is the
// floor, and the gap between the two is what a scheduler leaves on the table.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "astraea/data/client_store.hpp"

namespace astraea {

using MediatorGroups = std::vector<std::vector<int64_t>>;

struct ScheduleQuality {
  double mean_kl = 0;      // unweighted mean over mediators
  double weighted_kl = 0;  // weighted by the mediators' samples
  double max_kl = 0;
  double floor_kl = 0;     // KL of all the round's clients pooled
  double gap() const { return weighted_kl - floor_kl; }
};

// `row(k)`: client k's histogram (`classes` counts).
ScheduleQuality schedule_quality(const MediatorGroups& groups, int classes,
                                 const std::function<const int32_t*(int64_t)>& row);
ScheduleQuality schedule_quality(const ClientStore& store, const MediatorGroups& groups);

}  // namespace astraea
