// The run driver: an experiment's data, partition and backend, and the round loop over them with
// everything a long run needs — resume from DIR's checkpoint, checkpoints every
// train.checkpoint_every rounds and after the last, a clean stop on SIGINT/SIGTERM/SIGHUP after the
// round in flight, and the reports (rounds.jsonl, summary.json, model.safetensors). Under an MPI
// launch the run spans the ranks (ranks/communicator.hpp) and rank 0 writes DIR. Used by `astraea
// run`, `astraea compare` and library users alike.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "astraea/backend/backend.hpp"
#include "astraea/data/client_store.hpp"
#include "astraea/data/dataset.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/fl/run_summary.hpp"
#include "astraea/io/config.hpp"
#include "astraea/ranks/communicator.hpp"

namespace astraea {

struct RunOptions {
  std::string out;      // DIR for the reports and checkpoints; empty: nothing is written
  bool resume = false;  // continue from DIR/checkpoint.safetensors when there is one
  bool stop_on_signal = true;
  std::string label;    // prefixes progress lines (compare's method name)
  // Called after every round with its result; returning false stops the run after that round
  // (its work is saved as after a signal).
  std::function<bool(const RoundResult&)> on_round;
  nlohmann::json extra;  // more fields for summary.json
};

struct RunOutcome {
  std::vector<RoundResult> rounds;  // every round, those before a resume included
  RunSummary summary;
  int last_round = 0;
  bool stopped = false;  // by a signal or on_round before train.rounds
  int signal = 0;        // the signal that stopped it, 0 if none
  double io_seconds = 0;
  std::string backend;
  nlohmann::json augmentation;  // the augmentation report, null without augmentation
  // The round that diverged (NaN or infinite loss or model) and why, 0 and empty if none. The run
  // stops there; DIR keeps the last good model and checkpoint, and summary.json says so.
  int diverged_round = 0;
  std::string diverged;
  // The final global model (the last good one after a divergence) and its tensors' names and
  // shapes, as model.safetensors holds them.
  std::vector<float> params;
  std::vector<ParamTensor> tensors;
};

class Experiment {
 public:
  // Loads the data, partitions it and opens the backend: the parts every method of a comparison
  // shares. `ranks` (optional, must outlive the experiment): the ranks of an MPI launch.
  explicit Experiment(const ExperimentConfig& config, Communicator* ranks = nullptr);
  ~Experiment();

  // One federated run of `config` (the experiment's own by default). A variant must keep the
  // experiment's data, partition and seed; its methods and training settings may differ.
  RunOutcome run(const RunOptions& options);
  RunOutcome run(const ExperimentConfig& config, const RunOptions& options);

  const ExperimentConfig& config() const { return config_; }
  const TrainTest& data() const { return data_; }
  const ClientStore& clients() const { return store_; }
  Backend& backend() { return *backend_; }
  bool writer() const { return !ranks_ || ranks_->rank() == 0; }

 private:
  ExperimentConfig config_;
  Communicator* ranks_;
  TrainTest data_;
  ClientStore store_;
  std::unique_ptr<Backend> backend_;
};

}  // namespace astraea
