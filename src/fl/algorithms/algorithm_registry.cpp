#include <fmt/format.h>

#include "algorithms.hpp"

namespace astraea {

const Registry<ClientAlgorithmFactory>& client_algorithm_registry() {
  static const Registry<ClientAlgorithmFactory> r(
      "client algorithm",
      {{"none", "local training on the loss alone (FedAvg)", algorithms::make_no_client_term},
       {"fedprox", "FedProx: (mu / 2) ||w - w_global||^2 added to every client's loss (Li et al., MLSys 2020)",
        algorithms::make_fedprox, algorithms::kFedProxParams},
       {"scaffold", "SCAFFOLD, option II: control-variate corrections, a state per client (Karimireddy et al., ICML 2020)",
        algorithms::make_scaffold, algorithms::kScaffoldParams}});
  return r;
}

std::unique_ptr<ClientAlgorithm> make_client_algorithm(const std::string& name, const std::map<std::string, double>& params,
                                                       const ClientAlgorithmSetup& setup) {
  const auto& entry = client_algorithm_registry().at(name, "algorithm.client");
  return entry.make(ParamValues(params, entry.params), setup);
}

const Registry<ServerUpdateFactory>& server_update_registry() {
  static const Registry<ServerUpdateFactory> r(
      "server update",
      {{"fedavg", "w += server_lr * Delta (server_lr = 1: FedAvg)", algorithms::make_fedavg, algorithms::kFedAvgParams},
       {"fedavgm", "server momentum (Hsu et al. 2019)", algorithms::make_fedavgm, algorithms::kFedAvgMParams},
       {"fedadam", "server Adam (Reddi et al., ICLR 2021)", algorithms::make_fedadam, algorithms::kAdaptiveParams},
       {"fedyogi", "server Yogi (Reddi et al., ICLR 2021)", algorithms::make_fedyogi, algorithms::kAdaptiveParams},
       {"fedadagrad", "server Adagrad (Reddi et al., ICLR 2021)", algorithms::make_fedadagrad,
        algorithms::kAdaptiveParams}});
  return r;
}

std::unique_ptr<ServerUpdate> make_server_update(const std::string& name, const std::map<std::string, double>& params,
                                                 Backend& backend, int64_t params_count) {
  const auto& entry = server_update_registry().at(name, "algorithm.server");
  return entry.make(ParamValues(params, entry.params), backend, params_count);
}

namespace algorithms {
namespace {

class NoClientTerm final : public ClientAlgorithm {
 public:
  std::string name() const override { return "none"; }
};

}  // namespace

std::unique_ptr<ClientAlgorithm> make_no_client_term(const ParamValues&, const ClientAlgorithmSetup&) {
  return std::make_unique<NoClientTerm>();
}

StateTensor download_state(const std::string& name, const DeviceArray<float>& array, std::vector<int64_t> shape) {
  StateTensor t{name, std::move(shape), std::vector<float>(array.size())};
  array.download(t.data.data(), t.data.size());
  return t;
}

void upload_state(const AlgorithmState& state, const std::string& name, DeviceArray<float>& array,
                  const std::string& source) {
  const StateTensor* t = state.find(name);
  if (!t) ASTRAEA_FAIL("{}: holds no {} (the algorithm's state); was it written by another algorithm?", source, name);
  if (t->data.size() != array.size()) {
    ASTRAEA_FAIL("{}: {} holds {} values, this run needs {}", source, name, t->data.size(), array.size());
  }
  array.upload(t->data.data(), t->data.size());
}

}  // namespace algorithms
}  // namespace astraea
