// The clients' training loss (algorithm.loss), a registry of plug-ins: cross-entropy and the
// class-imbalance baselines. Every one runs as kernels/softmax_loss.hpp's SoftmaxLoss with its own
// per-client tables and focal exponent, so it is batched over replicas on both backends and
// follows a mediator's chain from client to client (steps carry the client). Evaluation always
// scores plain cross-entropy.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "astraea/backend/backend.hpp"
#include "astraea/core/registry.hpp"

namespace astraea {

class TrainingLoss {
 public:
  virtual ~TrainingLoss() = default;
  virtual std::string name() const = 0;
  // Builds the per-client tables from the label histograms of the clients as trained
  // ([clients x classes], augmentation included) on `backend`; called once before training.
  virtual void prepare(Backend& /*backend*/, const int32_t* /*histograms*/, int64_t /*clients*/, int /*classes*/) {}
  // `base` (plain cross-entropy over a workspace) with this loss's tables and exponent.
  virtual SoftmaxLoss configure(SoftmaxLoss base) const = 0;
};

using LossFactory = std::unique_ptr<TrainingLoss> (*)(const ParamValues& params);
const Registry<LossFactory>& loss_registry();

// `params`: [algorithm] parameters set in the config. Throws naming algorithm.loss.
std::unique_ptr<TrainingLoss> make_loss(const std::string& name, const std::map<std::string, double>& params);

}  // namespace astraea
