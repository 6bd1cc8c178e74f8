// A run's checkpoint, DIR/checkpoint.safetensors: the global model after a round, the round, the
// config it was trained under, and the algorithm's state (server optimizer moments, clients'
// control variates; tensors named "part/name"). Everything else a round needs is a pure function
// of (config, seed, round) — client sampling, schedules, minibatch order, dropout and augmentation
// draw from counter-based streams, and client optimizer state starts fresh each round — so
// resuming from it reproduces the uninterrupted run exactly.
#pragma once

#include <string>
#include <vector>

#include "astraea/fl/algorithm_state.hpp"
#include "astraea/nn/model.hpp"

namespace astraea {

struct Checkpoint {
  int round = 0;            // rounds completed
  std::string config_json;  // config_as_json of the run
  std::vector<float> params;
  AlgorithmState state;
};

std::string checkpoint_path(const std::string& dir);

// Written to a temporary file and renamed over the previous one: a crash mid-write keeps the old.
void write_checkpoint(const std::string& dir, const Model& model, const Checkpoint& checkpoint);

// Throws naming the file when it is not a checkpoint of `model` (missing or mis-shaped tensor).
Checkpoint read_checkpoint(const std::string& dir, const Model& model);

// The keys (section.key) whose values differ between two config_as_json texts, ignoring
// train.rounds (a finished run may be extended). Empty when resuming is sound.
std::vector<std::string> config_differences(const std::string& saved_json, const std::string& current_json);

}  // namespace astraea
