// Flatten: PyTorch nn.Flatten, which flattens NCHW. Activations here are NHWC, so the layer
// reorders to NCHW: the next dense layer's weight then has exactly PyTorch's layout.
#include "astraea/nn/layer.hpp"

namespace astraea {
namespace {

class Flatten final : public Layer {
 public:
  explicit Flatten(TensorShape in) : Layer(in, TensorShape{1, 1, static_cast<int>(in.size())}) {}
  std::string kind() const override { return "flatten"; }
  void forward(const LayerPass& p, const float* x, float* y) const override {
    p.backend->launch(NhwcNchw{x, y, int64_t(in_.h) * in_.w, in_.c, true}, int64_t(p.replicas) * p.batch * in_.c,
                      int64_t(in_.h) * in_.w);
  }
  void backward(const LayerPass& p, const float*, const float*, const float* dy, float* dx,
                const GradTarget&) const override {
    if (dx) {
      p.backend->launch(NhwcNchw{dy, dx, int64_t(in_.h) * in_.w, in_.c, false}, int64_t(p.replicas) * p.batch * in_.c,
                        int64_t(in_.h) * in_.w);
    }
  }
};

}  // namespace

std::unique_ptr<Layer> make_flatten(TensorShape in) { return std::make_unique<Flatten>(in); }

}  // namespace astraea
