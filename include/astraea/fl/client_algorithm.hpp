// The client side of an FL algorithm (algorithm.client), a registry of plug-ins: "none" (FedAvg's
// local SGD), "fedprox" (a proximal term on the weights) and "scaffold" (control-variate
// corrections, with per-client state). The trainer calls the hooks at fixed points of every
// replica's steps, on both schedules (CPU lanes, device waves):
//   begin_round  host, before training: e.g. give each client of the round its state row;
//   decorate     host, per step record: e.g. point the step at its client's state row;
//   adjust_gradient  after the loss gradient, before the optimizer step (forces the unfused path);
//   finish_lane  after training, once per lane in lane order: fold per-replica buffers in;
//   end_round    after the server update: e.g. move the server's control variate.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "astraea/backend/backend.hpp"
#include "astraea/core/registry.hpp"
#include "astraea/fl/algorithm_state.hpp"
#include "astraea/fl/step_plan.hpp"

namespace astraea {

// One training step of a wave of replicas, as a client algorithm sees it.
struct ClientStepContext {
  Backend* backend = nullptr;
  int replicas = 1;
  int64_t params = 0;
  int64_t stride = 0;  // between replica rows of weights, grads and buffers (>= params, padded)
  const float* global = nullptr;
  const float* weights = nullptr;  // [replicas x stride]; a step flagged kFromGlobal reads `global`
  float* grads = nullptr;          // [replicas x stride]: the loss gradient, adjusted in place
  const ReplicaStep* steps = nullptr;  // backend memory, [replicas]
  float* buffers = nullptr;  // the lane's replica_buffers() blocks of [tile x stride], zeroed per round
  int64_t tile = 1;
  float lr = 0;  // the client optimizer's learning rate
};

class ClientAlgorithm {
 public:
  virtual ~ClientAlgorithm() = default;
  virtual std::string name() const = 0;
  // False: the gradient is the loss's alone and the fused SGD paths stay on.
  virtual bool changes_gradient() const { return false; }
  // Blocks of [tile x params] floats each lane needs (zeroed at the start of every round).
  virtual int replica_buffers() const { return 0; }
  virtual void begin_round(const std::vector<StepPlan>& /*plans*/) {}
  virtual void decorate(ReplicaStep& /*step*/, const StepPlan& /*plan*/, int64_t /*s*/) const {}
  virtual void adjust_gradient(const ClientStepContext& /*ctx*/) const {}
  virtual void finish_lane(Backend& /*backend*/, const float* /*buffers*/, int64_t /*tile*/, int64_t /*stride*/) {}
  virtual void end_round(Backend& /*backend*/) {}
  virtual AlgorithmState state() const { return {}; }
  // Throws naming `source` when the state it needs is missing or mis-shaped.
  virtual void restore(const AlgorithmState& /*state*/, const std::string& /*source*/) {}
};

// What a client algorithm may need to know when it is made.
struct ClientAlgorithmSetup {
  Backend* backend = nullptr;
  int64_t params = 0;
  int64_t clients = 0;           // the population
  int64_t max_participants = 0;  // most distinct clients the run can visit (rounds x clients per round)
  OptimizerParams optimizer;     // the clients' optimizer
  int ranks = 1;
};

using ClientAlgorithmFactory = std::unique_ptr<ClientAlgorithm> (*)(const ParamValues&, const ClientAlgorithmSetup&);
const Registry<ClientAlgorithmFactory>& client_algorithm_registry();

// Throws naming algorithm.client (or the parameter at fault).
std::unique_ptr<ClientAlgorithm> make_client_algorithm(const std::string& name, const std::map<std::string, double>& params,
                                                       const ClientAlgorithmSetup& setup);

}  // namespace astraea
