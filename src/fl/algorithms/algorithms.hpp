// The client-algorithm and server-update families' entries (private to src/fl/algorithms): each
// file defines its factory and parameters, algorithm_registry.cpp lists them.
#pragma once

#include <string>
#include <vector>

#include "astraea/fl/client_algorithm.hpp"
#include "astraea/fl/server_update.hpp"

namespace astraea::algorithms {

std::unique_ptr<ClientAlgorithm> make_no_client_term(const ParamValues&, const ClientAlgorithmSetup&);
std::unique_ptr<ClientAlgorithm> make_fedprox(const ParamValues&, const ClientAlgorithmSetup&);
extern const std::vector<ParamSpec> kFedProxParams;
std::unique_ptr<ClientAlgorithm> make_scaffold(const ParamValues&, const ClientAlgorithmSetup&);
extern const std::vector<ParamSpec> kScaffoldParams;

std::unique_ptr<ServerUpdate> make_fedavg(const ParamValues&, Backend&, int64_t params);
extern const std::vector<ParamSpec> kFedAvgParams;
std::unique_ptr<ServerUpdate> make_fedavgm(const ParamValues&, Backend&, int64_t params);
extern const std::vector<ParamSpec> kFedAvgMParams;
std::unique_ptr<ServerUpdate> make_fedadam(const ParamValues&, Backend&, int64_t params);
std::unique_ptr<ServerUpdate> make_fedyogi(const ParamValues&, Backend&, int64_t params);
std::unique_ptr<ServerUpdate> make_fedadagrad(const ParamValues&, Backend&, int64_t params);
extern const std::vector<ParamSpec> kAdaptiveParams;

// A backend array as a named state tensor, and back (throws naming `source` on a missing or
// mis-shaped tensor).
StateTensor download_state(const std::string& name, const DeviceArray<float>& array, std::vector<int64_t> shape);
void upload_state(const AlgorithmState& state, const std::string& name, DeviceArray<float>& array,
                  const std::string& source);

}  // namespace astraea::algorithms
