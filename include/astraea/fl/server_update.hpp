// The server side of an FL algorithm (algorithm.server), a registry of plug-ins: what the server
// does with the round's weighted delta Delta = sum_m (n_m / n)(w_m - w) (summed over ranks, the
// same bits on every rank). "fedavg" applies it (w += server_lr Delta); "fedavgm", "fedadam",
// "fedyogi" and "fedadagrad" run a server optimizer on it (kernels/server_update.hpp) whose state
// is saved in checkpoints.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "astraea/backend/backend.hpp"
#include "astraea/core/registry.hpp"
#include "astraea/fl/algorithm_state.hpp"

namespace astraea {

class ServerUpdate {
 public:
  virtual ~ServerUpdate() = default;
  virtual std::string name() const = 0;
  // global (backend memory, params floats) from the round's delta.
  virtual void apply(float* global, const float* delta) = 0;
  virtual AlgorithmState state() const { return {}; }
  // Throws naming `source` when the state it needs is missing or mis-shaped.
  virtual void restore(const AlgorithmState& /*state*/, const std::string& /*source*/) {}
};

using ServerUpdateFactory = std::unique_ptr<ServerUpdate> (*)(const ParamValues&, Backend&, int64_t params);
const Registry<ServerUpdateFactory>& server_update_registry();

// Throws naming algorithm.server.
std::unique_ptr<ServerUpdate> make_server_update(const std::string& name, const std::map<std::string, double>& params,
                                                 Backend& backend, int64_t params_count);

}  // namespace astraea
