// Client-side algorithm terms on the [replicas x P] gradients, shared by both backends: FedProx's
// proximal term and SCAFFOLD's control-variate correction (option II), plus the row sum that folds
// per-replica contributions into one vector. They run after the loss gradient is complete and
// before the optimizer step, on the generic (non-fused) training path.
#pragma once

#include <cstdint>

#include "astraea/core/host_device.hpp"
#include "astraea/kernels/replica_step.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_CLIENT_TERM_OPS(X) \
  X(ProxGradient) \
  X(ScaffoldCorrection) \
  X(SumRows)

// (r, j): grad += mu (w - w_global), the gradient of (mu / 2) ||w - w_global||^2 (Li et al., MLSys
// 2020). A replica's first step reads the global weights, where the term is zero.
struct ProxGradient {
  float* grad;
  const float* weights;
  const float* global;
  const ReplicaStep* steps;
  int64_t params;
  float mu;
  int64_t stride = 0;  // between replica rows (0: params)
  ASTRAEA_HD void operator()(int64_t r, int64_t j) const {
    const ReplicaStep& s = steps[r];
    if (!(s.flags & ReplicaStep::kActive)) return;
    const int64_t i = r * (stride ? stride : params) + j;
    const float w = (s.flags & ReplicaStep::kFromGlobal) ? global[j] : weights[i];
    grad[i] += mu * (w - global[j]);
  }
};

// (r, j): SCAFFOLD (Karimireddy et al., ICML 2020) with plain SGD at rate lr: g += c - c_i for the
// visited client i (its row steps[r].client_state). The first step of a visit records the weights
// y_in; the last computes, from the same y_out = w - lr g the optimizer step writes, option II's
// c_i+ = c_i - c + (y_in - y_out) / (K lr) with K the visit's steps, adds c_i+ - c_i to the
// replica's row of `delta_c` and stores c_i+.
struct ScaffoldCorrection {
  float* grad;
  const float* weights;
  const float* global;
  const float* control;  // c [params]
  float* visit_start;    // [replicas x params]: y_in
  float* delta_c;        // [replicas x params]: sum of c_i+ - c_i over the replica's visits
  const ReplicaStep* steps;
  int64_t params;
  float lr;
  int64_t stride = 0;  // between replica rows of grad, weights, visit_start and delta_c (0: params)
  ASTRAEA_HD void operator()(int64_t r, int64_t j) const {
    const ReplicaStep& s = steps[r];
    if (!(s.flags & ReplicaStep::kActive)) return;
    const int64_t i = r * (stride ? stride : params) + j;
    const float w = (s.flags & ReplicaStep::kFromGlobal) ? global[j] : weights[i];
    if (s.flags & ReplicaStep::kVisitFirst) visit_start[i] = w;
    const float ci = s.client_state[j];
    const float g = grad[i] + (control[j] - ci);
    grad[i] = g;
    if (s.flags & ReplicaStep::kVisitLast) {
      const float y_out = w - lr * g;
      const float ci_new = ci - control[j] + (visit_start[i] - y_out) / (static_cast<float>(s.visit_steps) * lr);
      delta_c[i] += ci_new - ci;
      s.client_state[j] = ci_new;
    }
  }
};

// (0, j): out[j] += sum_r rows[r][j], rows summed in index order.
struct SumRows {
  float* out;
  const float* rows;
  int64_t count;
  int64_t params;
  int64_t stride = 0;  // between rows (0: params)
  ASTRAEA_HD void operator()(int64_t, int64_t j) const {
    float sum = 0;
    for (int64_t r = 0; r < count; ++r) sum += rows[r * (stride ? stride : params) + j];
    out[j] += sum;
  }
};

}  // namespace astraea
