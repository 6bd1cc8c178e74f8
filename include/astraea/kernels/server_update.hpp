// The server's update of the global model from the round's weighted delta (the pseudo-gradient of
// Reddi et al., ICLR 2021, with the sign of an ascent direction): Delta = sum_m (n_m / n)(w_m - w).
//   fedavg      w += lr Delta                       (lr = 1: FedAvg)
//   fedavgm     v = momentum v + Delta;  w += lr v   (Hsu et al. 2019)
//   fedadagrad  v = v + Delta^2
//   fedyogi     v = v - (1 - beta2) Delta^2 sign(v - Delta^2)
//   fedadam     v = beta2 v + (1 - beta2) Delta^2
//   (adaptive)  m = beta1 m + (1 - beta1) Delta;  w += lr m / (sqrt(v) + tau)
// No bias correction (Reddi et al., Alg. 2); v starts at tau^2, m at 0.
#pragma once

#include <cmath>
#include <cstdint>

#include "astraea/core/host_device.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_SERVER_OPS(X) X(ServerOptimizerStep)

enum class ServerOptimizerKind : int { kMomentum = 0, kAdagrad = 1, kYogi = 2, kAdam = 3 };

// (0, j) over the parameters.
struct ServerOptimizerStep {
  ServerOptimizerKind kind;
  float* global;
  const float* delta;
  float* m;  // momentum (kMomentum) or first moment
  float* v;  // second moment (adaptive kinds)
  float lr, momentum, beta1, beta2, tau;
  ASTRAEA_HD void operator()(int64_t, int64_t j) const {
    const float d = delta[j];
    if (kind == ServerOptimizerKind::kMomentum) {
      const float mv = momentum * m[j] + d;
      m[j] = mv;
      global[j] += lr * mv;
      return;
    }
    const float d2 = d * d;
    float vv = v[j];
    if (kind == ServerOptimizerKind::kAdagrad) {
      vv = vv + d2;
    } else if (kind == ServerOptimizerKind::kYogi) {
      const float diff = vv - d2;
      vv = vv - (1.0f - beta2) * d2 * (diff > 0.0f ? 1.0f : (diff < 0.0f ? -1.0f : 0.0f));
    } else {
      vv = beta2 * vv + (1.0f - beta2) * d2;
    }
    v[j] = vv;
    const float mv = beta1 * m[j] + (1.0f - beta1) * d;
    m[j] = mv;
    global[j] += lr * mv / (sqrtf(vv) + tau);
  }
};

}  // namespace astraea
