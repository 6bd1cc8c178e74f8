// "reference": Alg. 3 of the papers literally — every remaining client scored for every pick. The
// exact greedy (greedy.cpp) and the batched one are tested against it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "astraea/core/error.hpp"
#include "astraea/fl/mediator_score.hpp"
#include "astraea/kernels/kl_score.hpp"
#include "schedulers.hpp"

namespace astraea {

namespace {

// The pseudo-code's loop for any score(merged, row): every remaining client scored for every pick;
// the pick is the first (lowest id: `remaining` ascends) within kScoreTie of the minimum. With
// `seed_cost` (one per row), each mediator opens with the remaining row of largest cost instead
// (the first within kMassTie of it).
template <typename Score>
MediatorGroups brute_force_greedy(const int32_t* histograms, int classes, const std::vector<int64_t>& ids, int gamma,
                                  const std::vector<double>& seed_cost, Score&& score) {
  std::vector<size_t> remaining(ids.size());
  std::iota(remaining.begin(), remaining.end(), 0);
  std::vector<int64_t> merged(classes);
  std::vector<double> scores;
  MediatorGroups groups;
  while (!remaining.empty()) {
    std::fill(merged.begin(), merged.end(), 0);
    std::vector<int64_t> group;
    while (!remaining.empty() && static_cast<int>(group.size()) < gamma) {
      size_t at = 0;
      if (group.empty() && !seed_cost.empty()) {
        double most = -std::numeric_limits<double>::infinity();
        for (size_t r : remaining) most = std::max(most, seed_cost[r]);
        const double tie = std::isfinite(most) ? most - kMassTie * (1.0 + std::fabs(most)) : most;
        while (seed_cost[remaining[at]] < tie) ++at;
      } else {
        scores.resize(remaining.size());
        double least = std::numeric_limits<double>::infinity();
        for (size_t j = 0; j < remaining.size(); ++j) {
          scores[j] = score(merged.data(), histograms + remaining[j] * classes);
          least = std::min(least, scores[j]);
        }
        while (scores[at] > least + kScoreTie) ++at;
      }
      const size_t pick = remaining[at];
      for (int y = 0; y < classes; ++y) merged[y] += histograms[pick * classes + y];
      group.push_back(ids[pick]);
      remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(at));
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace

double imbalance_mass(const int32_t* row, int classes) {
  return double(std::accumulate(row, row + classes, int64_t{0})) * kl_to_uniform(row, classes);
}

MediatorGroups greedy_mediators_reference(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                                          int gamma, MediatorSeed seed) {
  ASTRAEA_CHECK(gamma >= 1, "gamma {}", gamma);
  int64_t most = 0;
  for (size_t i = 0; i < ids.size() * classes; ++i) most = std::max<int64_t>(most, histograms[i]);
  const MediatorScore score(classes, std::min<int64_t>(most * gamma, 1 << 16));
  std::vector<double> seed_cost;
  if (seed == MediatorSeed::hardest)
    for (size_t i = 0; i < ids.size(); ++i) seed_cost.push_back(imbalance_mass(histograms + i * classes, classes));
  return brute_force_greedy(histograms, classes, ids, gamma, seed_cost,
                            [&](const int64_t* m, const int32_t* x) { return score.score(m, x); });
}

MediatorGroups greedy_mediators_to_target(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                                          int gamma, const std::vector<double>& target, MediatorSeed seed) {
  ASTRAEA_CHECK(gamma >= 1 && int(target.size()) == classes, "gamma {}, {} target weights", gamma, target.size());
  const double sum = std::accumulate(target.begin(), target.end(), 0.0);
  std::vector<double> log_t(classes);
  for (int y = 0; y < classes; ++y) log_t[y] = target[y] > 0 ? std::log(target[y] / sum) : -1e300;
  // KL(p || t) = sum_y p_y log p_y - sum_y p_y log t_y, with p = v / T.
  const auto score = [&](const int64_t* m, const int32_t* x) {
    int64_t total = 0;
    double g = 0, cross = 0;
    for (int y = 0; y < classes; ++y) {
      const int64_t v = m[y] + x[y];
      total += v;
      g += v_log_v(double(v));
      if (v > 0) cross += double(v) * log_t[y];
    }
    return total > 0 ? (g - cross) / double(total) - std::log(double(total)) : 0.0;
  };
  // T KL(x || t), the client alone scored times its size: the hardest seed's order toward the target.
  std::vector<double> seed_cost;
  if (seed == MediatorSeed::hardest) {
    const std::vector<int64_t> empty(size_t(classes), 0);
    for (size_t i = 0; i < ids.size(); ++i) {
      const int32_t* x = histograms + i * classes;
      seed_cost.push_back(double(std::accumulate(x, x + classes, int64_t{0})) * score(empty.data(), x));
    }
  }
  return brute_force_greedy(histograms, classes, ids, gamma, seed_cost, score);
}

namespace schedulers {
namespace {

class ReferenceScheduler final : public MediatorScheduler {
 public:
  explicit ReferenceScheduler(int gamma) : gamma_(gamma) {}
  std::string name() const override { return "reference"; }
  MediatorGroups schedule_rows(const int32_t* rows, int classes, const std::vector<int64_t>& ids, uint32_t) override {
    return uniform_target() ? greedy_mediators_reference(rows, classes, ids, gamma_)
                            : greedy_mediators_to_target(rows, classes, ids, gamma_, target_);
  }

 private:
  int gamma_;
};

}  // namespace

std::unique_ptr<MediatorScheduler> make_greedy_reference(const SchedulerOptions& o) {
  return std::make_unique<ReferenceScheduler>(o.gamma);
}

}  // namespace schedulers
}  // namespace astraea
