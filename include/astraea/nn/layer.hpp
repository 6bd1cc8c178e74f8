// A layer of a replica-batched model: every call runs R replicas x B samples at once. Activations
// are [R x B x features] (NHWC per sample for spatial layers); replica r's parameters start at
// params + r * param_stride (a stride of 0 shares one parameter vector among all replicas).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "astraea/backend/backend.hpp"

namespace astraea {

// Per-sample activation shape, NHWC. Dense activations are 1 x 1 x features.
struct TensorShape {
  int h = 1, w = 1, c = 1;
  int64_t size() const { return int64_t(h) * w * c; }
  bool operator==(const TensorShape& o) const { return h == o.h && w == o.w && c == o.c; }
};

// A named parameter tensor inside the parameter vector, shaped as PyTorch's state_dict holds it.
struct ParamTensor {
  std::string name;            // e.g. "0.weight"
  std::vector<int64_t> shape;  // e.g. {200, 784}
  int64_t offset = 0;          // into the parameter vector
  int64_t size = 0;
  int64_t fan_in = 0;          // for initialisation
};

// Where parameter gradients go: target + r * stride + (tensor offset), as
// target = beta * target + alpha * gradient. (1, 0) writes plain gradients; (-lr, 1) into the
// weights is a fused SGD step; (-coef * lr, 1) into the aggregate fuses the last step's
// accumulate as well.
struct GradTarget {
  float* base = nullptr;
  int64_t stride = 0;
  float alpha = 1.0f;
  float beta = 0.0f;
};

struct LayerPass {
  Backend* backend = nullptr;
  int replicas = 1;
  int batch = 1;
  const float* params = nullptr;
  int64_t param_stride = 0;
  bool training = true;
  // Dropout's key: replica r draws with (seed, replica_key[r], step, round).
  const uint32_t* replica_key = nullptr;
  uint64_t seed = 0;
  uint32_t step = 0;
  uint32_t round = 0;
  float* scratch = nullptr;   // scratch_floats() per replica x replicas, shared by all layers
  float* saved = nullptr;     // saved_floats() per replica x replicas, this layer's own: what its
                              // forward leaves for its backward
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string kind() const = 0;
  TensorShape input_shape() const { return in_; }
  TensorShape output_shape() const { return out_; }
  const std::vector<ParamTensor>& params() const { return params_; }
  int64_t param_count() const;
  // Floats of scratch per replica for a batch of `batch` samples (shared between layers).
  virtual int64_t scratch_floats(int /*batch*/) const { return 0; }
  // Floats per replica the layer keeps from forward to backward.
  virtual int64_t saved_floats(int /*batch*/) const { return 0; }
  // Multiply-adds x 2 of one sample's forward pass.
  virtual double forward_flops() const { return 0; }

  virtual void forward(const LayerPass& p, const float* x, float* y) const = 0;
  // dx may be null (the first layer needs no input gradient). y is this layer's forward output.
  virtual void backward(const LayerPass& p, const float* x, const float* y, const float* dy, float* dx,
                        const GradTarget& grad) const = 0;

  // Called by the model builder once the layer's place in the parameter vector is known.
  void place(int index, int64_t offset);
  // Convolutions by the backend's library (Backend::conv_*) instead of im2col + GEMM; changes
  // saved_floats() and scratch_floats(), so it is set before any workspace is made.
  virtual void use_library_conv(bool /*on*/) {}

 protected:
  Layer(TensorShape in, TensorShape out) : in_(in), out_(out) {}
  void add_param(const std::string& suffix, std::vector<int64_t> shape, int64_t fan_in);

  TensorShape in_, out_;
  std::vector<ParamTensor> params_;
  int index_ = -1;  // position in the model
};

// Layer constructors. Shapes are checked; a layer that does not fit its input throws naming it.
std::unique_ptr<Layer> make_dense(TensorShape in, int out_features);
std::unique_ptr<Layer> make_conv2d(TensorShape in, int out_channels, int kernel, int stride, bool same_padding);
std::unique_ptr<Layer> make_max_pool(TensorShape in, int size);
std::unique_ptr<Layer> make_relu(TensorShape in);
std::unique_ptr<Layer> make_dropout(TensorShape in, float rate);
std::unique_ptr<Layer> make_flatten(TensorShape in);

}  // namespace astraea
