// "fedadam", "fedyogi", "fedadagrad": the adaptive server optimizers of Reddi et al. (ICLR 2021,
// Alg. 2), with the round's delta as the pseudo-gradient: first moment m (beta1), second moment v
// by Adam's, Yogi's or Adagrad's rule (beta2), step server_lr m / (sqrt(v) + tau); m starts at 0,
// v at tau^2, no bias correction. Defaults: the paper's beta1 = 0.9, beta2 = 0.99, tau = 1e-3 and a
// server rate of 1e-2 (it tunes 10^-3..10^0 per task).
#include "algorithms.hpp"

namespace astraea::algorithms {
namespace {

class Adaptive final : public ServerUpdate {
 public:
  Adaptive(std::string name, ServerOptimizerKind kind, Backend& backend, int64_t params, const ParamValues& p)
      : name_(std::move(name)), kind_(kind), backend_(backend), params_(params),
        lr_(static_cast<float>(p["server_lr"])), beta1_(static_cast<float>(p["server_beta1"])),
        beta2_(static_cast<float>(p["server_beta2"])), tau_(static_cast<float>(p["server_tau"])), m_(backend, params),
        v_(backend, params) {
    backend.zero(m_.data(), m_.bytes());
    const std::vector<float> start(static_cast<size_t>(params), tau_ * tau_);
    v_.upload(start.data(), start.size());
  }
  std::string name() const override { return name_; }
  void apply(float* global, const float* delta) override {
    backend_.launch(ServerOptimizerStep{kind_, global, delta, m_.data(), v_.data(), lr_, 0, beta1_, beta2_, tau_}, 1,
                    params_);
  }
  AlgorithmState state() const override {
    return {{download_state("server/m", m_, {params_}), download_state("server/v", v_, {params_})}, {}};
  }
  void restore(const AlgorithmState& s, const std::string& source) override {
    upload_state(s, "server/m", m_, source);
    upload_state(s, "server/v", v_, source);
  }

 private:
  std::string name_;
  ServerOptimizerKind kind_;
  Backend& backend_;
  int64_t params_;
  float lr_, beta1_, beta2_, tau_;
  DeviceArray<float> m_, v_;
};

}  // namespace

const std::vector<ParamSpec> kAdaptiveParams = {
    {"server_lr", 1e-2, 0.0, 1e6, false, "server learning rate"},
    {"server_beta1", 0.9, 0.0, 1.0, true, "first-moment decay"},
    {"server_beta2", 0.99, 0.0, 1.0, true, "second-moment decay (fedadam, fedyogi)"},
    {"server_tau", 1e-3, 0.0, 1e6, false, "adaptivity tau (also v's start, tau^2)"}};

std::unique_ptr<ServerUpdate> make_fedadam(const ParamValues& p, Backend& backend, int64_t params) {
  return std::make_unique<Adaptive>("fedadam", ServerOptimizerKind::kAdam, backend, params, p);
}
std::unique_ptr<ServerUpdate> make_fedyogi(const ParamValues& p, Backend& backend, int64_t params) {
  return std::make_unique<Adaptive>("fedyogi", ServerOptimizerKind::kYogi, backend, params, p);
}
std::unique_ptr<ServerUpdate> make_fedadagrad(const ParamValues& p, Backend& backend, int64_t params) {
  return std::make_unique<Adaptive>("fedadagrad", ServerOptimizerKind::kAdagrad, backend, params, p);
}

}  // namespace astraea::algorithms
