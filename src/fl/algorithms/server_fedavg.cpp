// "fedavg": w += server_lr * Delta. server_lr = 1 is FedAvg (and the papers' server), bit for bit.
#include "algorithms.hpp"

namespace astraea::algorithms {
namespace {

class FedAvgUpdate final : public ServerUpdate {
 public:
  FedAvgUpdate(Backend& backend, int64_t params, float lr) : backend_(backend), params_(params), lr_(lr) {}
  std::string name() const override { return "fedavg"; }
  void apply(float* global, const float* delta) override { backend_.launch(Axpy{global, delta, lr_}, 1, params_); }

 private:
  Backend& backend_;
  int64_t params_;
  float lr_;
};

}  // namespace

const std::vector<ParamSpec> kFedAvgParams = {{"server_lr", 1.0, 0.0, 1e6, false, "server learning rate"}};

std::unique_ptr<ServerUpdate> make_fedavg(const ParamValues& p, Backend& backend, int64_t params) {
  return std::make_unique<FedAvgUpdate>(backend, params, static_cast<float>(p["server_lr"]));
}

}  // namespace astraea::algorithms
