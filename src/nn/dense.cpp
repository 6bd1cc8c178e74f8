// Dense (fully connected) layer: PyTorch nn.Linear, weight [out, in] then bias [out].
#include "astraea/core/error.hpp"
#include "linear_gemm.hpp"

namespace astraea {
namespace {

class Dense final : public Layer {
 public:
  Dense(TensorShape in, int out) : Layer(in, TensorShape{1, 1, out}) {
    ASTRAEA_REQUIRE(in.h == 1 && in.w == 1, "dense layer: input {}x{}x{} is not flat (add a flatten layer)", in.h, in.w,
                    in.c);
    ASTRAEA_REQUIRE(out >= 1, "dense layer: {} output features", out);
    add_param("weight", {out, in.c}, in.c);
    add_param("bias", {out}, in.c);
  }
  std::string kind() const override { return "dense"; }
  double forward_flops() const override { return 2.0 * in_.c * out_.c; }

  void forward(const LayerPass& p, const float* x, float* y) const override {
    linear_forward(p, map(), p.batch, x, y);
  }
  void backward(const LayerPass& p, const float* x, const float*, const float* dy, float* dx,
                const GradTarget& grad) const override {
    linear_backward(p, map(), p.batch, x, dy, dx, grad);
  }

 private:
  LinearMap map() const { return LinearMap{params_[0].offset, params_[1].offset, in_.c, out_.c}; }
};

}  // namespace

std::unique_ptr<Layer> make_dense(TensorShape in, int out_features) { return std::make_unique<Dense>(in, out_features); }

}  // namespace astraea
