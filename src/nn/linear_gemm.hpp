// The GEMM descriptors of a linear map over replicas, shared by dense and conv2d (which is a linear
// map over im2col patches). Row-major per replica: X [rows x in], W [out x in] (PyTorch's layout),
// Y [rows x out]; in cuBLAS's column-major terms X is in x rows, W is in x out, Y is out x rows.
#pragma once

#include "astraea/nn/layer.hpp"

namespace astraea {

struct LinearMap {
  int64_t weight_offset;
  int64_t bias_offset;
  int in;
  int out;
};

// Y = X W^T + b for every replica.
void linear_forward(const LayerPass& p, const LinearMap& map, int rows, const float* x, float* y);

// dX = dY W (when dx is set), then dW and db into the gradient target. dX is computed first, so a
// fused SGD update of W never affects it.
void linear_backward(const LayerPass& p, const LinearMap& map, int rows, const float* x, const float* dy, float* dx,
                     const GradTarget& grad);

}  // namespace astraea
