// Per-client persistent tensors (one row of `params` floats per client), held only for clients
// that have taken part: rows are allocated on a client's first round, in blocks, on the backend,
// zero-initialised. The most rows a run can need is checked against a memory budget up front.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "astraea/backend/backend.hpp"
#include "astraea/fl/algorithm_state.hpp"

namespace astraea::algorithms {

class ClientStateStore {
 public:
  ClientStateStore(Backend& backend, int64_t params) : backend_(backend), params_(params) {}

  // The client's row (backend memory), allocated and zeroed on first use. Host only, not thread-safe.
  float* ensure(int64_t client);
  // The client's row, or null if it never took part. Thread-safe for readers.
  float* row(int64_t client) const;
  // Clients holding a row, in row order.
  const std::vector<int64_t>& clients() const { return clients_; }

  // As tensor `name` [rows x params] and metadata `name` + ".clients" (comma-separated ids).
  void save(AlgorithmState& state, const std::string& name) const;
  void load(const AlgorithmState& state, const std::string& name, const std::string& source);

 private:
  float* slot(size_t index) const;

  Backend& backend_;
  int64_t params_;
  int64_t rows_per_block_ = 0;
  std::vector<DeviceArray<float>> blocks_;
  std::vector<int64_t> clients_;
  std::unordered_map<int64_t, size_t> index_;
};

}  // namespace astraea::algorithms
