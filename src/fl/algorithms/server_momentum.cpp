// "fedavgm": server momentum on the round's delta (Hsu et al. 2019): v = momentum v + Delta,
// w += server_lr v. momentum = 0 and server_lr = 1 is FedAvg, bit for bit.
#include "algorithms.hpp"

namespace astraea::algorithms {
namespace {

class FedAvgM final : public ServerUpdate {
 public:
  FedAvgM(Backend& backend, int64_t params, float lr, float momentum)
      : backend_(backend), params_(params), lr_(lr), momentum_(momentum), velocity_(backend, params) {
    backend.zero(velocity_.data(), velocity_.bytes());
  }
  std::string name() const override { return "fedavgm"; }
  void apply(float* global, const float* delta) override {
    backend_.launch(ServerOptimizerStep{ServerOptimizerKind::kMomentum, global, delta, velocity_.data(), nullptr, lr_,
                                        momentum_, 0, 0, 0},
                    1, params_);
  }
  AlgorithmState state() const override { return {{download_state("server/velocity", velocity_, {params_})}, {}}; }
  void restore(const AlgorithmState& s, const std::string& source) override {
    upload_state(s, "server/velocity", velocity_, source);
  }

 private:
  Backend& backend_;
  int64_t params_;
  float lr_, momentum_;
  DeviceArray<float> velocity_;
};

}  // namespace

const std::vector<ParamSpec> kFedAvgMParams = {
    {"server_lr", 1.0, 0.0, 1e6, false, "server learning rate"},
    {"server_momentum", 0.9, 0.0, 1.0, true, "server momentum (Hsu et al. use 0.9; 0: FedAvg)"}};

std::unique_ptr<ServerUpdate> make_fedavgm(const ParamValues& p, Backend& backend, int64_t params) {
  ASTRAEA_REQUIRE(p["server_momentum"] < 1.0, "algorithm.server_momentum = {}: must be < 1", p["server_momentum"]);
  return std::make_unique<FedAvgM>(backend, params, static_cast<float>(p["server_lr"]),
                                   static_cast<float>(p["server_momentum"]));
}

}  // namespace astraea::algorithms
