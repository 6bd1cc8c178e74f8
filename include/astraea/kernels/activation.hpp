// Element-wise layer bodies shared by both backends. Every functor is called as f(row, col) over a
// rows x cols index space (Backend::launch): the CPU backend runs a nested loop whose inner loop the
// compiler vectorises, the CUDA backend a 2-D grid. Index arithmetic per row is hoisted out of the
// inner loop, so no functor divides per element.
// Activations of a replica tile are [replicas x batch x features], replica r at r * batch * features.
#pragma once

#include <cstdint>

#include "astraea/core/host_device.hpp"
#include "astraea/core/rng.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_ELEMENTWISE_OPS(X) \
  X(BiasAdd) \
  X(BiasGrad) \
  X(ReluForward) \
  X(ReluBackward) \
  X(Dropout)

// (row, j) over [replicas * batch] x features: y[row][j] += bias of row's replica.
struct BiasAdd {
  float* y;
  const float* params;  // replica r's bias at params + r * param_stride + bias_offset
  int64_t param_stride;
  int64_t bias_offset;
  int64_t batch;
  int64_t features;
  ASTRAEA_HD void operator()(int64_t row, int64_t j) const {
    y[row * features + j] += params[(row / batch) * param_stride + bias_offset + j];
  }
};

// (r, j) over replicas x features: target = beta * target + alpha * sum_b dy[r][b][j]. With
// alpha = -lr, beta = 1 and the bias as target this is a fused SGD update.
struct BiasGrad {
  const float* dy;
  float* target;
  int64_t target_stride;
  int64_t bias_offset;
  int64_t batch;
  int64_t features;
  float alpha;
  float beta;
  ASTRAEA_HD void operator()(int64_t r, int64_t j) const {
    const float* d = dy + r * batch * features + j;
    float sum = 0;
    for (int64_t b = 0; b < batch; ++b) sum += d[b * features];
    float& t = target[r * target_stride + bias_offset + j];
    t = (beta == 0.0f ? 0.0f : beta * t) + alpha * sum;
  }
  // The CPU backend's path: replica r's sums over the batch row by row (unit stride, vectorised),
  // each still summed from zero in batch order (the same values).
  void row(int64_t r) const {
    constexpr int64_t kBlock = 1024;
    float sums[kBlock];
    for (int64_t j0 = 0; j0 < features; j0 += kBlock) {
      const int64_t n = features - j0 < kBlock ? features - j0 : kBlock;
      float* __restrict s = sums;
      for (int64_t j = 0; j < n; ++j) s[j] = 0.0f;
      for (int64_t b = 0; b < batch; ++b) {
        const float* __restrict d = dy + (r * batch + b) * features + j0;
        for (int64_t j = 0; j < n; ++j) s[j] += d[j];
      }
      float* __restrict t = target + r * target_stride + bias_offset + j0;
      for (int64_t j = 0; j < n; ++j) t[j] = (beta == 0.0f ? 0.0f : beta * t[j]) + alpha * s[j];
    }
  }
};

// (0, i): y = max(x, 0).
struct ReluForward {
  const float* x;
  float* y;
  ASTRAEA_HD void operator()(int64_t, int64_t i) const { y[i] = x[i] > 0.0f ? x[i] : 0.0f; }
};

// (0, i): dx = dy where the output was positive (in place allowed).
struct ReluBackward {
  const float* y;
  const float* dy;
  float* dx;
  ASTRAEA_HD void operator()(int64_t, int64_t i) const { dx[i] = y[i] > 0.0f ? dy[i] : 0.0f; }
};

// (r, e) over replicas x (batch * features): inverted dropout. The keep decision is a pure function
// of (seed, replica_key[r], step, salt, e), so backward recomputes it instead of storing a mask,
// and a replica draws the same mask on any backend and in any tiling. Forward and backward are the
// same map (in -> out).
struct Dropout {
  const float* in;
  float* out;
  const uint32_t* replica_key;  // [replicas]
  uint64_t seed;
  uint32_t step;
  uint32_t salt;  // layer and round, so layers and rounds draw independently
  int64_t per_replica;
  float rate;
  // (r, q) over replicas x ceil(per_replica / 4): one Philox call serves elements 4q..4q+3 (one
  // 32-bit word each).
  static int64_t quads(int64_t per_replica) { return (per_replica + 3) / 4; }
  ASTRAEA_HD void operator()(int64_t r, int64_t q) const {
    const Philox4 bits = philox(seed, RngStream::kDropout, static_cast<uint32_t>(q), step, replica_key[r], salt);
    const float scale = 1.0f / (1.0f - rate);
    const int64_t e0 = 4 * q, n = per_replica - e0 < 4 ? per_replica - e0 : 4;
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = r * per_replica + e0 + k;
      out[i] = to_unit_float(bits.v[k]) < rate ? 0.0f : in[i] * scale;
    }
  }
};

}  // namespace astraea
