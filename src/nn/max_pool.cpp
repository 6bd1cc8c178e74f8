// Max-pooling with a size x size window and stride, floor mode: PyTorch nn.MaxPool2d(size).
#include "astraea/core/error.hpp"
#include "astraea/nn/layer.hpp"

namespace astraea {
namespace {

class MaxPool final : public Layer {
 public:
  MaxPool(TensorShape in, int size) : Layer(in, pooled(in, size)), size_(size) {}
  std::string kind() const override { return "max_pool"; }
  void forward(const LayerPass& p, const float* x, float* y) const override {
    p.backend->launch(MaxPoolForward{x, y, geometry()}, int64_t(p.replicas) * p.batch * out_.h * out_.w, in_.c);
  }
  void backward(const LayerPass& p, const float* x, const float*, const float* dy, float* dx,
                const GradTarget&) const override {
    if (dx) p.backend->launch(MaxPoolBackward{x, dy, dx, geometry()}, int64_t(p.replicas) * p.batch * in_.h * in_.w, in_.c);
  }

 private:
  static TensorShape pooled(TensorShape in, int size) {  // checked before the division
    ASTRAEA_REQUIRE(size >= 1 && in.h >= size && in.w >= size, "max-pool {} does not fit a {}x{} input", size, in.h,
                    in.w);
    return TensorShape{in.h / size, in.w / size, in.c};
  }
  PoolGeometry geometry() const { return PoolGeometry{in_.h, in_.w, in_.c, out_.h, out_.w, size_}; }
  int size_;
};

}  // namespace

std::unique_ptr<Layer> make_max_pool(TensorShape in, int size) { return std::make_unique<MaxPool>(in, size); }

}  // namespace astraea
