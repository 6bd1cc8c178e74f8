#include "astraea/nn/optimizers.hpp"

namespace astraea {
namespace {

OptimizerParams with_settings(OptimizerKind kind, const OptimizerSettings& s) {
  OptimizerParams p;
  p.kind = kind;
  p.lr = static_cast<float>(s.lr);
  p.momentum = static_cast<float>(s.momentum);
  p.beta1 = static_cast<float>(s.beta1);
  p.beta2 = static_cast<float>(s.beta2);
  p.eps = static_cast<float>(s.eps);
  return p;
}

}  // namespace

const Registry<OptimizerFactory>& optimizer_registry() {
  static const Registry<OptimizerFactory> r(
      "optimizer",
      {{"sgd", "SGD; heavy-ball momentum when train.momentum > 0",
        [](const OptimizerSettings& s) {
          return with_settings(s.momentum > 0 ? OptimizerKind::kMomentum : OptimizerKind::kSgd, s);
        }},
       {"adam", "Adam (train.beta1, train.beta2, train.eps), bias-corrected from each fresh state",
        [](const OptimizerSettings& s) { return with_settings(OptimizerKind::kAdam, s); }}});
  return r;
}

OptimizerParams make_optimizer(const std::string& name, const OptimizerSettings& settings) {
  return optimizer_registry().at(name, "train.optimizer").make(settings);
}

}  // namespace astraea
