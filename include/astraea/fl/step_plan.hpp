// What one replica (a mediator, or a single client under FedAvg) does in a round: its minibatches
// in order. A mediator walks its clients in order for E_m mediator epochs; each client runs E local
// epochs over its own samples, shuffled per epoch, in minibatches of at most B (the last one short:
// masked, never padded with fake samples).
#pragma once

#include <cstdint>
#include <vector>

#include "astraea/data/client_store.hpp"

namespace astraea {

struct StepPlan {
  std::vector<int32_t> sample_ids;  // every step's samples, concatenated
  std::vector<int64_t> step_start;  // step s: sample_ids[step_start[s], step_start[s + 1])
  std::vector<uint8_t> fresh;       // step s begins with a fresh optimizer state
  std::vector<int32_t> state_age;   // steps since the last fresh state, 1-based (Adam's t)
  std::vector<int32_t> step_client; // step s trains on this client's samples
  std::vector<int32_t> visit_steps; // steps of the client visit step s belongs to
  std::vector<uint8_t> visit_edge;  // bit 0: first step of a client visit, bit 1: last
  int64_t samples = 0;              // n_m: samples of the mediator's clients (each counted once)
  uint32_t key = 0;                 // the replica's identity for counter-based draws (dropout)

  int64_t steps() const { return static_cast<int64_t>(step_start.size()) - 1; }
  int64_t rows(int64_t s) const { return step_start[s + 1] - step_start[s]; }
  const int32_t* step_samples(int64_t s) const { return sample_ids.data() + step_start[s]; }
};

struct LocalTraining {
  int batch = 10;
  int local_epochs = 1;      // E
  int mediator_epochs = 1;   // E_m
  bool reset_per_client = true;  // fresh optimizer state for each client a mediator visits
};

// One client visit of a mediator's chain: the client and the mediator epoch it belongs to.
struct Visit {
  int64_t client;
  int epoch;
};

// The visits of a chain over `clients` for `mediator_epochs` epochs, in order.
std::vector<Visit> chain_visits(const std::vector<int64_t>& clients, int mediator_epochs);

// The plan of one mediator over `clients` (client ids in visiting order). Batch order is drawn
// from Philox keyed on (seed, round, client, epoch): the same on every run and backend.
StepPlan make_step_plan(const ClientStore& store, const std::vector<int64_t>& clients, const LocalTraining& local,
                        uint64_t seed, uint32_t round, uint32_t key);
// The same over explicit visits (some of a chain's may be cut, see fl/client_systems.hpp).
StepPlan make_step_plan_visits(const ClientStore& store, const std::vector<Visit>& visits, const LocalTraining& local,
                               uint64_t seed, uint32_t round, uint32_t key);

}  // namespace astraea
