#include "linear_gemm.hpp"

namespace astraea {

void linear_forward(const LayerPass& p, const LinearMap& m, int rows, const float* x, float* y) {
  Backend& be = *p.backend;
  // Y^T (out x rows) = W^T' (out x in) * X^T (in x rows), W stored column-major as in x out.
  be.gemm_strided_batched(Trans::kYes, Trans::kNo, m.out, rows, m.in, 1.0f, p.params + m.weight_offset, m.in,
                          p.param_stride, x, m.in, int64_t(rows) * m.in, 0.0f, y, m.out, int64_t(rows) * m.out,
                          p.replicas);
  be.launch(BiasAdd{y, p.params, p.param_stride, m.bias_offset, rows, m.out}, int64_t(p.replicas) * rows, m.out);
}

void linear_backward(const LayerPass& p, const LinearMap& m, int rows, const float* x, const float* dy, float* dx,
                     const GradTarget& grad) {
  Backend& be = *p.backend;
  if (dx != nullptr) {
    // dX^T (in x rows) = W (in x out, column-major) * dY^T (out x rows).
    be.gemm_strided_batched(Trans::kNo, Trans::kNo, m.in, rows, m.out, 1.0f, p.params + m.weight_offset, m.in,
                            p.param_stride, dy, m.out, int64_t(rows) * m.out, 0.0f, dx, m.in, int64_t(rows) * m.in,
                            p.replicas);
  }
  // dW (in x out, column-major) = X^T (in x rows) * dY (rows x out).
  be.gemm_strided_batched(Trans::kNo, Trans::kYes, m.in, m.out, rows, grad.alpha, x, m.in, int64_t(rows) * m.in, dy,
                          m.out, int64_t(rows) * m.out, grad.beta, grad.base + m.weight_offset, m.in, grad.stride,
                          p.replicas);
  be.launch(BiasGrad{dy, grad.base, grad.stride, m.bias_offset, rows, m.out, grad.alpha, grad.beta}, p.replicas, m.out);
}

}  // namespace astraea
