// "reference": Alg. 3 of the papers literally — every remaining client scored for every pick. The
// exact greedy (greedy.cpp) and the batched one are tested against it.
#include <algorithm>
#include <limits>
#include <numeric>

#include "astraea/core/error.hpp"
#include "astraea/fl/mediator_score.hpp"
#include "schedulers.hpp"

namespace astraea {

MediatorGroups greedy_mediators_reference(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                                          int gamma) {
  ASTRAEA_CHECK(gamma >= 1, "gamma {}", gamma);
  int64_t most = 0;
  for (size_t i = 0; i < ids.size() * classes; ++i) most = std::max<int64_t>(most, histograms[i]);
  const MediatorScore score(classes, std::min<int64_t>(most * gamma, 1 << 16));
  std::vector<size_t> remaining(ids.size());
  std::iota(remaining.begin(), remaining.end(), 0);
  std::vector<int64_t> merged(classes);
  std::vector<double> scores;
  MediatorGroups groups;
  while (!remaining.empty()) {
    std::fill(merged.begin(), merged.end(), 0);
    std::vector<int64_t> group;
    while (!remaining.empty() && static_cast<int>(group.size()) < gamma) {
      scores.resize(remaining.size());
      double least = std::numeric_limits<double>::infinity();
      for (size_t j = 0; j < remaining.size(); ++j) {
        scores[j] = score.score(merged.data(), histograms + remaining[j] * classes);
        least = std::min(least, scores[j]);
      }
      size_t at = 0;  // remaining is ascending: the first within the tie window is the lowest id
      while (scores[at] > least + kScoreTie) ++at;
      const size_t pick = remaining[at];
      for (int y = 0; y < classes; ++y) merged[y] += histograms[pick * classes + y];
      group.push_back(ids[pick]);
      remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(at));
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

namespace schedulers {

std::unique_ptr<MediatorScheduler> make_greedy_reference(const SchedulerOptions& o) {
  return std::make_unique<RowsScheduler>("reference", greedy_mediators_reference, o.gamma);
}

}  // namespace schedulers
}  // namespace astraea
