// The client optimizers by name (train.optimizer): what each replica's step does with its gradient
// (kernels/update.hpp's OptimizerUpdate runs it on every backend).
#pragma once

#include <string>

#include "astraea/core/registry.hpp"
#include "astraea/kernels/update.hpp"

namespace astraea {

// train.lr, train.momentum, train.beta1, train.beta2, train.eps.
struct OptimizerSettings {
  double lr = 0.05, momentum = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

using OptimizerFactory = OptimizerParams (*)(const OptimizerSettings&);
const Registry<OptimizerFactory>& optimizer_registry();

// Throws naming train.optimizer for an unknown name.
OptimizerParams make_optimizer(const std::string& name, const OptimizerSettings& settings);

}  // namespace astraea
