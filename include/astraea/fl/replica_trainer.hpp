// Trains a round's replicas (mediators, or single clients under FedAvg) and accumulates their
// weighted updates: acc += sum_m coef_m (w_m - global). Two schedules over the same layer code:
//  - lanes (CPU): each thread takes whole replicas, one at a time, and runs all their steps, so a
//    replica's weights stay hot in cache; its first step reads the global weights directly and its
//    last step writes straight into the thread's aggregate (no copy in, no accumulate pass);
//  - tiles (GPU, or tile > 1): waves of up to `tile` replicas step together in one batched call
//    per layer; replicas that have finished or whose batch is short are masked.
// The loss and the client algorithm (FedProx, SCAFFOLD) plug in at fixed points of both; with
// plain SGD and no gradient term the gradient GEMMs update the weights in place (fused SGD).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "astraea/fl/client_algorithm.hpp"
#include "astraea/fl/step_plan.hpp"
#include "astraea/nn/model.hpp"

namespace astraea {

struct TrainerOptions {
  OptimizerParams optimizer;
  int batch = 10;
  int tile = 0;       // replicas per batched call; 0 = 1 per lane on the CPU, on a device as many
                      // as `max_replicas` and 70% of free memory allow
  int max_replicas = 64;  // most replicas a round trains (device sizing)
  int row_align = 32;     // floats: a wave's replica rows start 128 bytes apart at least, so every
                          // replica's GEMM operands are as aligned as the first's (1: packed rows)
  bool graphs = false;    // waves: record a step's launches once per round and wave size, replay
                          // them (backends with graphs, models without dropout; else ignored)
  uint64_t seed = 1;  // dropout draws
  const TrainingLoss* loss = nullptr;  // null: cross-entropy
  ClientAlgorithm* client = nullptr;   // null: local training on the loss alone (FedAvg)
};

struct TrainStats {
  double loss_sum = 0;  // over every trained sample
  int64_t rows = 0;     // trained samples (with repeats over epochs)
  int64_t steps = 0;    // optimizer steps, all replicas
  int64_t first_nonfinite = -1;  // the lowest plan index whose loss was NaN or infinite, -1 if none
};

// Plan indices by step count, longest first (ties: lowest index first): the order the trainer
// forms waves of replicas in, so a wave's replicas run about as long as each other.
std::vector<size_t> longest_first(const std::vector<StepPlan>& plans);

// Plans dealt to `parts` workers, longest first to the least loaded (ties: lowest index), each
// part in dealing order. Deterministic for a part count: the trainer deals its CPU lanes this way
// and a multi-rank run its ranks, so R ranks of one lane train and sum what one process of R lanes
// does.
std::vector<std::vector<size_t>> deal_longest_first(const std::vector<StepPlan>& plans, int parts);

class ReplicaTrainer {
 public:
  ReplicaTrainer(Backend& backend, const Model& model, const TrainerOptions& options);
  ~ReplicaTrainer();
  ReplicaTrainer(const ReplicaTrainer&) = delete;
  ReplicaTrainer& operator=(const ReplicaTrainer&) = delete;

  // `coef[m]` weights plan m's update; `global` and `acc` are backend arrays of num_params().
  TrainStats train(const std::vector<StepPlan>& plans, const std::vector<float>& coef, const SamplePool& pool,
                   const float* global, float* acc, uint32_t round);

  int tile() const { return tile_; }
  // Whether waves replay recorded steps (TrainerOptions::graphs, where the backend and model allow),
  // and why they could not (empty when they can).
  bool records_graphs() const { return use_graphs(); }
  std::string why_no_graphs() const;
  // Floats between replica rows of a wave (num_params() rounded up to row_align; packed for lanes).
  int64_t row_stride() const { return stride_; }
  size_t workspace_bytes() const;

 private:
  struct Lane;
  bool fused_sgd() const;  // plain SGD with the loss's gradient alone: the GEMMs update in place
  bool use_graphs() const;
  void adjust_gradient(Lane& lane, int replicas, const float* global) const;
  TrainStats train_lanes(const std::vector<StepPlan>& plans, const std::vector<float>& coef, const SamplePool& pool,
                         const float* global, float* acc, uint32_t round);
  TrainStats train_tiles(const std::vector<StepPlan>& plans, const std::vector<float>& coef, const SamplePool& pool,
                         const float* global, float* acc, uint32_t round);

  Backend& backend_;
  const Model& model_;
  TrainerOptions options_;
  int tile_;
  int64_t stride_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace astraea
