// The per-replica record of one training step, uploaded with every step: what the replica does
// (flags), its optimizer step's bias corrections and its aggregation weight. Every training op
// reads it by replica index, so masked and finished replicas of a wave are skipped uniformly.
#pragma once

#include <cstdint>

namespace astraea {

// What one replica does in one step.
struct ReplicaStep {
  enum : uint32_t {
    kActive = 1,       // has samples this step; an inactive replica is left untouched
    kFreshState = 2,   // optimizer state starts from zero (a new client)
    kFromGlobal = 4,   // weights are read from the global model (the replica's first step)
    kAccumulate = 8,   // result goes to acc += coef * (w_new - global), not to the replica
    kVisitFirst = 16,  // the first step of a client's visit (a mediator walks several clients)
    kVisitLast = 32,   // the last step of a client's visit
  };
  uint32_t flags = 0;
  float bias_correction1 = 1.0f;  // Adam: 1 / (1 - beta1^t), t = steps since the fresh state
  float bias_correction2 = 1.0f;  // Adam: 1 / (1 - beta2^t)
  float coef = 0.0f;              // aggregation weight n_m / n
  float inv_valid = 0.0f;         // 1 / rows with samples (the loss is their mean)
  int32_t client = -1;            // the client whose samples these are (its row of per-client tables)
  int32_t visit_steps = 0;        // steps of this client's visit (SCAFFOLD's K)
  float* client_state = nullptr;  // the client's persistent state row (client-state algorithms)
};

}  // namespace astraea
