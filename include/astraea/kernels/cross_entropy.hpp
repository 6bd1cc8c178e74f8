// Softmax cross-entropy, forward and backward in one pass per row, shared by both backends.
#pragma once

#include <cmath>
#include <cstdint>

#include "astraea/core/host_device.hpp"
#include "astraea/kernels/replica_step.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_CROSS_ENTROPY_OPS(X) \
  X(SoftmaxCrossEntropy) \
  X(LossSum)

// (0, i) for row i of [replicas x batch]: loss[i] = -log softmax(logits_i)[label_i]; dlogits_i =
// (softmax - onehot) * steps[r].inv_valid (the mean over the replica's valid rows); predicted[i] = argmax.
// A label of -1 is a masked row: zero loss, zero gradient. dlogits and predicted may be null.
struct SoftmaxCrossEntropy {
  const float* logits;
  const int32_t* labels;
  const ReplicaStep* steps;  // [replicas]
  float* loss;
  float* dlogits;
  int32_t* predicted;
  int64_t batch;
  int classes;
  ASTRAEA_HD void operator()(int64_t, int64_t i) const {
    const float* z = logits + i * classes;
    const int32_t y = labels[i];
    int arg = 0;
    float top = z[0];
    for (int k = 1; k < classes; ++k)
      if (z[k] > top) top = z[k], arg = k;
    if (predicted) predicted[i] = arg;
    float sum = 0;
    for (int k = 0; k < classes; ++k) sum += expf(z[k] - top);
    const float log_sum = logf(sum);
    loss[i] = y < 0 ? 0.0f : log_sum - (z[y] - top);
    if (!dlogits) return;
    float* d = dlogits + i * classes;
    const float scale = y < 0 ? 0.0f : steps[i / batch].inv_valid;
    for (int k = 0; k < classes; ++k) {
      const float p = expf(z[k] - top - log_sum);
      d[k] = scale * (p - (k == y ? 1.0f : 0.0f));
    }
  }
};

// (r, 0): total[r] += the replica's row losses (kept on the device until a wave ends).
struct LossSum {
  const float* loss;
  float* total;
  int64_t batch;
  ASTRAEA_HD void operator()(int64_t r, int64_t) const {
    float sum = 0;
    for (int64_t b = 0; b < batch; ++b) sum += loss[r * batch + b];
    total[r] += sum;
  }
};

}  // namespace astraea
