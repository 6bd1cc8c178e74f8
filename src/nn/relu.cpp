// ReLU: PyTorch nn.ReLU (no parameters).
#include "astraea/nn/layer.hpp"

namespace astraea {
namespace {

class Relu final : public Layer {
 public:
  explicit Relu(TensorShape in) : Layer(in, in) {}
  std::string kind() const override { return "relu"; }
  void forward(const LayerPass& p, const float* x, float* y) const override {
    p.backend->launch(ReluForward{x, y}, 1, int64_t(p.replicas) * p.batch * in_.size());
  }
  void backward(const LayerPass& p, const float*, const float* y, const float* dy, float* dx,
                const GradTarget&) const override {
    if (dx) p.backend->launch(ReluBackward{y, dy, dx}, 1, int64_t(p.replicas) * p.batch * in_.size());
  }
};

}  // namespace

std::unique_ptr<Layer> make_relu(TensorShape in) { return std::make_unique<Relu>(in); }

}  // namespace astraea
