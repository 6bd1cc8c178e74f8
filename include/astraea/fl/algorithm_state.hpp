// State an FL algorithm keeps across rounds (a server optimizer's moments, SCAFFOLD's control
// variates), as named host tensors and text metadata: what a checkpoint saves beside the global
// model so that resuming reproduces the uninterrupted run. Names carry a '/' ("server/m"), which
// keeps them apart from the model's tensors ("3.weight").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace astraea {

struct StateTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct AlgorithmState {
  std::vector<StateTensor> tensors;
  std::map<std::string, std::string> metadata;

  const StateTensor* find(const std::string& name) const {
    for (const StateTensor& t : tensors)
      if (t.name == name) return &t;
    return nullptr;
  }
  void append(AlgorithmState other) {
    for (StateTensor& t : other.tensors) tensors.push_back(std::move(t));
    for (auto& [k, v] : other.metadata) metadata[k] = std::move(v);
  }
};

}  // namespace astraea
