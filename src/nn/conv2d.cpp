// 2-D convolution as im2col + GEMM over NHWC activations: PyTorch nn.Conv2d, weight
// [OC, C, KH, KW] then bias [OC]. `same` padding (odd kernels, stride 1) or valid.
#include "astraea/core/error.hpp"
#include "linear_gemm.hpp"

namespace astraea {
namespace {

class Conv2d final : public Layer {
 public:
  Conv2d(TensorShape in, int out_channels, int kernel, int stride, bool same)
      : Layer(in, TensorShape{}), kernel_(kernel), stride_(stride), pad_(same ? kernel / 2 : 0) {
    ASTRAEA_REQUIRE(kernel >= 1 && stride >= 1 && out_channels >= 1, "conv2d: kernel {}, stride {}, {} channels",
                    kernel, stride, out_channels);
    ASTRAEA_REQUIRE(!same || (kernel % 2 == 1 && stride == 1), "conv2d: same padding needs an odd kernel and stride 1");
    ASTRAEA_REQUIRE(in.h + 2 * pad_ >= kernel && in.w + 2 * pad_ >= kernel,
                    "conv2d: a {}x{} kernel does not fit a {}x{} input", kernel, kernel, in.h, in.w);
    out_ = TensorShape{(in.h + 2 * pad_ - kernel) / stride + 1, (in.w + 2 * pad_ - kernel) / stride + 1, out_channels};
    const int64_t patch = int64_t(in.c) * kernel * kernel;
    add_param("weight", {out_channels, in.c, kernel, kernel}, patch);
    add_param("bias", {out_channels}, patch);
  }
  std::string kind() const override { return "conv2d"; }
  // The im2col patches are saved for the weight gradient; the scratch holds their gradient.
  int64_t saved_floats(int batch) const override { return int64_t(batch) * out_.h * out_.w * geometry().patch(); }
  int64_t scratch_floats(int batch) const override { return saved_floats(batch); }
  double forward_flops() const override { return 2.0 * out_.size() * geometry().patch(); }

  void forward(const LayerPass& p, const float* x, float* y) const override {
    const ConvGeometry g = geometry();
    p.backend->launch(Im2col{x, p.saved, g}, int64_t(p.replicas) * p.batch * g.out_positions(), g.in_c);
    linear_forward(p, map(), rows(p), p.saved, y);
  }

  void backward(const LayerPass& p, const float*, const float*, const float* dy, float* dx,
                const GradTarget& grad) const override {
    const ConvGeometry g = geometry();
    linear_backward(p, map(), rows(p), p.saved, dy, dx ? p.scratch : nullptr, grad);
    if (dx != nullptr) {
      p.backend->launch(Col2im{p.scratch, dx, g}, int64_t(p.replicas) * p.batch * g.in_h * g.in_w, g.in_c);
    }
  }

 private:
  ConvGeometry geometry() const {
    return ConvGeometry{in_.h, in_.w, in_.c, out_.h, out_.w, kernel_, kernel_, stride_, pad_};
  }
  LinearMap map() const {
    return LinearMap{params_[0].offset, params_[1].offset, static_cast<int>(geometry().patch()), out_.c};
  }
  int rows(const LayerPass& p) const { return p.batch * out_.h * out_.w; }

  int kernel_, stride_, pad_;
};

}  // namespace

std::unique_ptr<Layer> make_conv2d(TensorShape in, int out_channels, int kernel, int stride, bool same_padding) {
  return std::make_unique<Conv2d>(in, out_channels, kernel, stride, same_padding);
}

}  // namespace astraea
