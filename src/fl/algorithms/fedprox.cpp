// "fedprox": FedProx's proximal term (Li et al., MLSys 2020): every client minimises its loss plus
// (mu / 2) ||w - w_global||^2, i.e. its gradient gains mu (w - w_global). Works with every client
// optimizer and along a mediator's chain (the anchor is the round's global model). mu = 0 leaves
// the gradient alone and keeps the fused paths: FedAvg, bit for bit.
#include "algorithms.hpp"

namespace astraea::algorithms {
namespace {

class FedProx final : public ClientAlgorithm {
 public:
  explicit FedProx(float mu) : mu_(mu) {}
  std::string name() const override { return "fedprox"; }
  bool changes_gradient() const override { return mu_ != 0.0f; }
  void adjust_gradient(const ClientStepContext& c) const override {
    c.backend->launch(ProxGradient{c.grads, c.weights, c.global, c.steps, c.params, mu_, c.stride}, c.replicas, c.params);
  }

 private:
  float mu_;
};

}  // namespace

const std::vector<ParamSpec> kFedProxParams = {
    {"prox_mu", 0.01, 0.0, 1e6, true, "proximal weight mu (the paper tries 0.001 to 1; 0: FedAvg)"}};

std::unique_ptr<ClientAlgorithm> make_fedprox(const ParamValues& p, const ClientAlgorithmSetup&) {
  return std::make_unique<FedProx>(static_cast<float>(p["prox_mu"]));
}

}  // namespace astraea::algorithms
