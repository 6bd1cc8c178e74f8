// Test-set evaluation of one model: accuracy, loss, the confusion matrix and per-class precision,
// recall and F1.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "astraea/nn/model.hpp"

namespace astraea {

struct ClassificationMetrics {
  int classes = 0;
  int64_t samples = 0;
  double accuracy = 0;
  double loss = 0;
  std::vector<int64_t> confusion;  // [true x predicted]
  std::vector<double> precision, recall, f1;
  double macro_f1 = 0;
};

// From a confusion matrix; a class never predicted has precision 0, never present recall 0.
ClassificationMetrics metrics_from_confusion(std::vector<int64_t> confusion, int classes, double loss_sum);

class Evaluator {
 public:
  // `pool` holds the test set (ids 0..count-1) in backend memory.
  Evaluator(Backend& backend, const Model& model, const SamplePool& pool, int64_t count, int batch);
  // Only the samples `ids` of `pool` (a validation split, clients' held-out samples).
  Evaluator(Backend& backend, const Model& model, const SamplePool& pool, std::vector<int32_t> ids, int batch);
  ~Evaluator();
  ClassificationMetrics evaluate(const float* params);

 private:
  struct Lane;
  Backend& backend_;
  const Model& model_;
  SamplePool pool_;
  int64_t count_;
  std::vector<int32_t> ids_;  // empty: 0..count-1
  int batch_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace astraea
