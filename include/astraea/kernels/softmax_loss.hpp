// The softmax losses, forward and backward in one pass per row, shared by both backends: plain
// cross-entropy and its class-imbalance variants as one functor. Each row's logits z go through a
// per-client, per-class affine map z'_k = a_k z_k + b_k (FedRS's restricted softmax scales the
// classes a client lacks, FedLC's calibration shifts every class by its count), then
//   loss = (1 - p_y)^gamma * (-log p_y),  p = softmax(z')   (gamma = 0: cross-entropy; focal loss)
//   dloss/dz_k = a_k * G * (p_k - [k = y]),  G = (1 - p_y)^gamma - gamma (1 - p_y)^(gamma - 1) p_y log p_y
// With no tables and gamma = 0 every operation reduces to plain cross-entropy's, bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

#include "astraea/core/host_device.hpp"
#include "astraea/kernels/replica_step.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_LOSS_OPS(X) \
  X(SoftmaxLoss) \
  X(LossSum)

// (0, i) for row i of [replicas x batch]: loss[i], dlogits_i (scaled by steps[r].inv_valid: the
// mean over the replica's valid rows) and predicted[i] = argmax of the raw logits. A label of -1 is
// a masked row: zero loss, zero gradient. dlogits and predicted may be null.
struct SoftmaxLoss {
  const float* logits;
  const int32_t* labels;
  const ReplicaStep* steps;  // [replicas]; steps[r].client picks the tables' row
  float* loss;
  float* dlogits;
  int32_t* predicted;
  int64_t batch;
  int classes;
  const float* scale = nullptr;   // [clients x classes], a_k; null: 1
  const float* offset = nullptr;  // [clients x classes], b_k; null: 0
  float gamma = 0.0f;             // focal exponent; 0: cross-entropy

  ASTRAEA_HD float adjusted(const float* z, const float* a, const float* b, int k) const {
    float v = a ? a[k] * z[k] : z[k];
    return b ? v + b[k] : v;
  }

  ASTRAEA_HD void operator()(int64_t, int64_t i) const {
    const float* z = logits + i * classes;
    const int32_t y = labels[i];
    const int32_t client = steps ? steps[i / batch].client : -1;
    const float* a = scale && client >= 0 ? scale + int64_t(client) * classes : nullptr;
    const float* b = offset && client >= 0 ? offset + int64_t(client) * classes : nullptr;
    if (predicted) {
      int arg = 0;
      for (int k = 1; k < classes; ++k)
        if (z[k] > z[arg]) arg = k;
      predicted[i] = arg;
    }
    float top = adjusted(z, a, b, 0);
    for (int k = 1; k < classes; ++k) {
      const float v = adjusted(z, a, b, k);
      top = v > top ? v : top;
    }
    float sum = 0;
    for (int k = 0; k < classes; ++k) sum += expf(adjusted(z, a, b, k) - top);
    const float log_sum = logf(sum);
    if (y < 0) {
      loss[i] = 0.0f;
    } else {
      const float nll = log_sum - (adjusted(z, a, b, y) - top);  // -log p_y
      loss[i] = gamma > 0.0f ? powf(1.0f - expf(-nll), gamma) * nll : nll;
    }
    if (!dlogits) return;
    float* d = dlogits + i * classes;
    float scale_row = y < 0 ? 0.0f : steps[i / batch].inv_valid;
    if (y >= 0 && gamma > 0.0f) {
      const float nll = log_sum - (adjusted(z, a, b, y) - top);
      const float p_y = expf(-nll), q = 1.0f - p_y;
      // q = 0 (a certain prediction): the focal weight and its derivative both vanish.
      scale_row *= q > 0.0f ? powf(q, gamma) - gamma * powf(q, gamma - 1.0f) * p_y * (-nll) : 0.0f;
    }
    for (int k = 0; k < classes; ++k) {
      const float p = expf(adjusted(z, a, b, k) - top - log_sum);
      const float g = scale_row * (p - (k == y ? 1.0f : 0.0f));
      d[k] = a ? a[k] * g : g;
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
