#include "astraea/fl/step_plan.hpp"

#include <algorithm>
#include <numeric>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"

namespace astraea {

std::vector<Visit> chain_visits(const std::vector<int64_t>& clients, int mediator_epochs) {
  std::vector<Visit> visits;
  for (int em = 0; em < mediator_epochs; ++em)
    for (int64_t k : clients) visits.push_back(Visit{k, em});
  return visits;
}

StepPlan make_step_plan(const ClientStore& store, const std::vector<int64_t>& clients, const LocalTraining& local,
                        uint64_t seed, uint32_t round, uint32_t key) {
  return make_step_plan_visits(store, chain_visits(clients, local.mediator_epochs), local, seed, round, key);
}

StepPlan make_step_plan_visits(const ClientStore& store, const std::vector<Visit>& visits, const LocalTraining& local,
                               uint64_t seed, uint32_t round, uint32_t key) {
  ASTRAEA_CHECK(local.batch >= 1 && local.local_epochs >= 1 && local.mediator_epochs >= 1, "bad local training {} {} {}",
                local.batch, local.local_epochs, local.mediator_epochs);
  StepPlan plan;
  plan.key = key;
  plan.step_start.push_back(0);
  {
    std::vector<int64_t> distinct;  // each visited client's samples count once in n_m
    for (const Visit& v : visits) distinct.push_back(v.client);
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (int64_t k : distinct) plan.samples += store.size(k);
  }
  std::vector<int32_t> order;
  int32_t age = 0;
  {
    for (const Visit& visit : visits) {
      const int64_t k = visit.client;
      const int em = visit.epoch;
      const int64_t n = store.size(k);
      if (n == 0) continue;
      HostEngine engine = make_host_engine(seed, RngStream::kBatchOrder, static_cast<uint32_t>(k), round,
                                           static_cast<uint32_t>(em));
      bool first_batch_of_client = true;
      const size_t visit_begin = plan.fresh.size();
      for (int e = 0; e < local.local_epochs; ++e) {
        order.assign(store.samples(k), store.samples(k) + n);
        // Seeded Fisher-Yates (std::shuffle's algorithm is unspecified across libraries).
        for (int64_t i = n - 1; i > 0; --i) {
          const int64_t j = static_cast<int64_t>(engine() % static_cast<uint64_t>(i + 1));
          std::swap(order[i], order[j]);
        }
        for (int64_t at = 0; at < n; at += local.batch) {
          const int64_t rows = std::min<int64_t>(local.batch, n - at);
          plan.sample_ids.insert(plan.sample_ids.end(), order.begin() + at, order.begin() + at + rows);
          plan.step_start.push_back(static_cast<int64_t>(plan.sample_ids.size()));
          const bool fresh = plan.fresh.empty() || (local.reset_per_client && first_batch_of_client);
          age = fresh ? 1 : age + 1;
          plan.fresh.push_back(fresh ? 1 : 0);
          plan.state_age.push_back(age);
          plan.step_client.push_back(static_cast<int32_t>(k));
          first_batch_of_client = false;
        }
      }
      const size_t visit_end = plan.fresh.size();
      for (size_t s = visit_begin; s < visit_end; ++s) {
        plan.visit_steps.push_back(static_cast<int32_t>(visit_end - visit_begin));
        plan.visit_edge.push_back(static_cast<uint8_t>((s == visit_begin ? 1 : 0) | (s + 1 == visit_end ? 2 : 0)));
      }
    }
  }
  return plan;
}

}  // namespace astraea
