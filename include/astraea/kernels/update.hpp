// Optimizer updates and aggregation over the [replicas x P] parameter matrix, shared by both
// backends. A replica's step can read its weights from the global model (its first step: the copy
// in is fused away) and can write its result straight into the aggregate (its last step: the
// weighted accumulate is fused in), so a client costs what its arithmetic costs.
#pragma once

#include <cmath>
#include <cstdint>

#include "astraea/core/host_device.hpp"
#include "astraea/kernels/replica_step.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_UPDATE_OPS(X) \
  X(OptimizerUpdate) \
  X(WeightedDeltaSum) \
  X(BroadcastRows) \
  X(Axpy) \
  X(FlagNonFinite)

enum class OptimizerKind : int { kSgd = 0, kMomentum = 1, kAdam = 2 };

struct OptimizerParams {
  OptimizerKind kind = OptimizerKind::kSgd;
  float lr = 0.01f;
  float momentum = 0.9f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
};

// (r, j) over replicas x params.
struct OptimizerUpdate {
  OptimizerParams opt;
  float* weights;         // [replicas x params]
  const float* grad;      // [replicas x params]
  float* m;               // momentum / first moment (null for plain SGD)
  float* v;               // second moment (Adam only)
  const float* global;    // [params]
  float* acc;             // [params], for kAccumulate
  const ReplicaStep* steps;
  int64_t params;
  int64_t stride = 0;  // between replica rows (0: params); rows padded for aligned GEMM operands
  ASTRAEA_HD int64_t row_stride() const { return stride ? stride : params; }
  ASTRAEA_HD void operator()(int64_t r, int64_t j) const {
    const ReplicaStep& s = steps[r];
    if (!(s.flags & ReplicaStep::kActive)) return;
    const int64_t i = r * row_stride() + j;
    const bool fresh = (s.flags & ReplicaStep::kFreshState) != 0;
    const float w = (s.flags & ReplicaStep::kFromGlobal) ? global[j] : weights[i];
    float w_new;
    if (opt.kind == OptimizerKind::kSgd) {
      w_new = stepped<OptimizerKind::kSgd>(s, fresh, w, i);
    } else if (opt.kind == OptimizerKind::kMomentum) {
      w_new = stepped<OptimizerKind::kMomentum>(s, fresh, w, i);
    } else {
      w_new = stepped<OptimizerKind::kAdam>(s, fresh, w, i);
    }
    if (s.flags & ReplicaStep::kAccumulate) {
      acc[j] += s.coef * (w_new - global[j]);
    } else {
      weights[i] = w_new;
    }
  }

  // Weight w after one step of element i (updating its moments).
  template <OptimizerKind K>
  ASTRAEA_HD float stepped(const ReplicaStep& s, bool fresh, float w, int64_t i) const {
    const float g = grad[i];
    if (K == OptimizerKind::kSgd) return w - opt.lr * g;
    if (K == OptimizerKind::kMomentum) {
      const float mv = (fresh ? 0.0f : opt.momentum * m[i]) + g;
      m[i] = mv;
      return w - opt.lr * mv;
    }
    const float mv = (fresh ? 0.0f : opt.beta1 * m[i]) + (1.0f - opt.beta1) * g;
    const float vv = (fresh ? 0.0f : opt.beta2 * v[i]) + (1.0f - opt.beta2) * g * g;
    m[i] = mv;
    v[i] = vv;
    return w - opt.lr * (mv * s.bias_correction1) / (sqrtf(vv * s.bias_correction2) + opt.eps);
  }

  // The CPU backend's path: a replica's whole row with its step's branches taken once, outside
  // loops the compiler vectorises (the same arithmetic per element as operator()).
  void row(int64_t r) const {
    switch (opt.kind) {
      case OptimizerKind::kSgd: return row_of<OptimizerKind::kSgd>(r);
      case OptimizerKind::kMomentum: return row_of<OptimizerKind::kMomentum>(r);
      case OptimizerKind::kAdam: return row_of<OptimizerKind::kAdam>(r);
    }
  }
  template <OptimizerKind K>
  void row_of(int64_t r) const {
    const OptimizerUpdate f = *this;  // a local copy: the arrays written cannot alias its fields
    const ReplicaStep s = steps[r];
    if (!(s.flags & ReplicaStep::kActive)) return;
    const bool fresh = (s.flags & ReplicaStep::kFreshState) != 0;
    const int64_t base = r * f.row_stride();
    const float* w_in = (s.flags & ReplicaStep::kFromGlobal) ? f.global : f.weights + base;
    if (s.flags & ReplicaStep::kAccumulate) {
      for (int64_t j = 0; j < f.params; ++j) {
        f.acc[j] += s.coef * (f.stepped<K>(s, fresh, w_in[j], base + j) - f.global[j]);
      }
    } else {
      for (int64_t j = 0; j < f.params; ++j) f.weights[base + j] = f.stepped<K>(s, fresh, w_in[j], base + j);
    }
  }
};

// acc[j] += sum_r coef[r] * (weights[r][j] - global[j]), replicas summed in index order (one
// deterministic order on every backend). One parameter element per call.
struct WeightedDeltaSum {
  float* acc;
  const float* weights;
  const float* global;
  const float* coef;
  int64_t replicas;
  int64_t params;
  int64_t stride = 0;  // between replica rows (0: params)
  ASTRAEA_HD int64_t row_stride() const { return stride ? stride : params; }
  ASTRAEA_HD void operator()(int64_t, int64_t j) const {
    float sum = 0;
    for (int64_t r = 0; r < replicas; ++r) sum += coef[r] * (weights[r * row_stride() + j] - global[j]);
    acc[j] += sum;
  }
};

// (r, j): weights[r][j] = global[j]; every replica of a wave starts from the global model.
struct BroadcastRows {
  float* weights;
  const float* global;
  int64_t params;
  int64_t stride = 0;  // between replica rows (0: params)
  ASTRAEA_HD void operator()(int64_t r, int64_t j) const { weights[r * (stride ? stride : params) + j] = global[j]; }
};

// (0, i): y[i] += alpha * x[i].
struct Axpy {
  float* y;
  const float* x;
  float alpha;
  ASTRAEA_HD void operator()(int64_t, int64_t i) const { y[i] += alpha * x[i]; }
};

// (0, i): *flag = 1 where x[i] is NaN or infinite (every writer writes the same value).
struct FlagNonFinite {
  const float* x;
  int32_t* flag;
  ASTRAEA_HD void operator()(int64_t, int64_t i) const {
#if defined(__CUDA_ARCH__)
    if (!isfinite(x[i])) *flag = 1;
#else
    if (!std::isfinite(x[i])) *flag = 1;
#endif
  }
};

}  // namespace astraea
