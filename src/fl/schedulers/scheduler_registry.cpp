// The scheduler family: Alg. 3 of the papers (module comment in mediator_scheduler.hpp).
#include "astraea/fl/mediator_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "astraea/core/error.hpp"
#include "astraea/kernels/kl_score.hpp"
#include "schedulers.hpp"

namespace astraea {

MediatorGroups MediatorScheduler::schedule(const ClientStore& store, const std::vector<int64_t>& online,
                                           uint32_t round) {
  std::vector<int32_t> rows(online.size() * store.classes());
  for (size_t i = 0; i < online.size(); ++i) {
    std::copy_n(store.histogram_row(online[i]), store.classes(), rows.begin() + i * store.classes());
  }
  return schedule_rows(rows.data(), store.classes(), online, round);
}

void MediatorScheduler::set_target(std::vector<double> target) {
  const double sum = std::accumulate(target.begin(), target.end(), 0.0);
  bool uniform = true;
  for (double& t : target) {
    t /= sum;
    uniform = uniform && std::fabs(t - 1.0 / double(target.size())) < 1e-12;
  }
  target_ = uniform ? std::vector<double>() : std::move(target);
}

const Registry<SchedulerFactory>& scheduler_registry() {
  static const Registry<SchedulerFactory> r(
      "scheduler",
      {{"none", "every client its own mediator (FedAvg)", schedulers::make_solo},
       {"greedy", "the papers' KL greedy (Alg. 3), exact and pruned", schedulers::make_greedy},
       {"reference", "the papers' KL greedy scoring every candidate per pick (same groups)",
        schedulers::make_greedy_reference},
       {"batched", "the KL greedy's brute force batched through the backend (same groups)",
        schedulers::make_greedy_batched},
       {"random", "groups of gamma drawn at random each round (control)", schedulers::make_random},
       {"deficit", "approximate greedy in O(c N): fills each mediator's most deficient classes",
        schedulers::make_deficit},
       {"balanced", "the greedy's groups improved by swaps toward the floor (astraea.balance: mean or max)",
        schedulers::make_balanced}});
  return r;
}

std::unique_ptr<MediatorScheduler> make_scheduler(const std::string& name, const SchedulerOptions& options) {
  const auto& entry = scheduler_registry().at(name, "astraea.scheduler");
  ASTRAEA_REQUIRE(options.gamma >= 1, "astraea.mediator_size = {}: must be at least 1", options.gamma);
  return entry.make(options);
}

std::unique_ptr<MediatorScheduler> make_scheduler(const std::string& name, int gamma, uint64_t seed, Backend* device,
                                                  int64_t device_from) {
  SchedulerOptions o;
  o.gamma = gamma;
  o.seed = seed;
  o.backend = device;
  o.device_from = device_from;
  return make_scheduler(name, o);
}

double mean_group_kl(const ClientStore& store, const MediatorGroups& groups) {
  if (groups.empty()) return 0.0;
  double sum = 0;
  std::vector<int64_t> merged(store.classes());
  for (const auto& g : groups) {
    std::fill(merged.begin(), merged.end(), 0);
    for (int64_t k : g)
      for (int y = 0; y < store.classes(); ++y) merged[y] += store.histogram_row(k)[y];
    sum += kl_to_uniform(merged.data(), store.classes());
  }
  return sum / groups.size();
}

}  // namespace astraea
