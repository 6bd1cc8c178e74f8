// 2-D convolution over NHWC activations: PyTorch nn.Conv2d, weight [OC, C, KH, KW] then bias [OC].
// `same` padding (odd kernels, stride 1) or valid. Two engines: im2col + GEMM (every backend), or
// the backend's library (cuDNN) over NCHW copies of the input and gradients, which keeps the input
// (C*H*W floats a sample) for the weight gradient instead of the patches (KH*KW times as many).
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
  void use_library_conv(bool on) override { library_ = on; }
  // im2col: the patches are saved for the weight gradient and the scratch holds their gradient.
  // Library: the NCHW input is saved; the scratch holds NCHW output (gradient) and input gradient.
  int64_t saved_floats(int batch) const override {
    return library_ ? int64_t(batch) * in_.size() : int64_t(batch) * out_.h * out_.w * geometry().patch();
  }
  int64_t scratch_floats(int batch) const override {
    return library_ ? int64_t(batch) * (out_.size() + in_.size()) : saved_floats(batch);
  }
  double forward_flops() const override { return 2.0 * out_.size() * geometry().patch(); }

  void forward(const LayerPass& p, const float* x, float* y) const override {
    const ConvGeometry g = geometry();
    if (library_) {
      const int64_t samples = int64_t(p.replicas) * p.batch;
      p.backend->launch(NhwcNchw{x, p.saved, int64_t(in_.h) * in_.w, in_.c, true}, samples * in_.c,
                        int64_t(in_.h) * in_.w);
      p.backend->conv_forward(library(p), p.saved, p.params + map().weight_offset, p.param_stride, p.scratch);
      p.backend->launch(NhwcNchw{p.scratch, y, int64_t(out_.h) * out_.w, out_.c, false}, samples * out_.c,
                        int64_t(out_.h) * out_.w);
      p.backend->launch(BiasAdd{y, p.params, p.param_stride, map().bias_offset, rows(p), out_.c},
                        int64_t(p.replicas) * rows(p), out_.c);
      return;
    }
    p.backend->launch(Im2col{x, p.saved, g}, int64_t(p.replicas) * p.batch * g.out_positions(), g.in_c);
    linear_forward(p, map(), rows(p), p.saved, y);
  }

  void backward(const LayerPass& p, const float*, const float*, const float* dy, float* dx,
                const GradTarget& grad) const override {
    const ConvGeometry g = geometry();
    if (library_) {
      library_backward(p, dy, dx, grad);
      return;
    }
    linear_backward(p, map(), rows(p), p.saved, dy, dx ? p.scratch : nullptr, grad);
    if (dx != nullptr) {
      p.backend->launch(Col2im{p.scratch, dx, g}, int64_t(p.replicas) * p.batch * g.in_h * g.in_w, g.in_c);
    }
  }

 private:
  LibraryConv library(const LayerPass& p) const { return LibraryConv{geometry(), out_.c, p.replicas, p.batch}; }

  // The input gradient first: a fused SGD step writes the weights it reads.
  void library_backward(const LayerPass& p, const float* dy, float* dx, const GradTarget& grad) const {
    const int64_t samples = int64_t(p.replicas) * p.batch;
    float* dy_nchw = p.scratch;
    float* dx_nchw = p.scratch + samples * out_.size();
    p.backend->launch(NhwcNchw{dy, dy_nchw, int64_t(out_.h) * out_.w, out_.c, true}, samples * out_.c,
                      int64_t(out_.h) * out_.w);
    const LinearMap m = map();
    if (dx != nullptr) {
      p.backend->conv_backward_data(library(p), dy_nchw, p.params + m.weight_offset, p.param_stride, dx_nchw);
      p.backend->launch(NhwcNchw{dx_nchw, dx, int64_t(in_.h) * in_.w, in_.c, false}, samples * in_.c,
                        int64_t(in_.h) * in_.w);
    }
    p.backend->conv_backward_filter(library(p), p.saved, dy_nchw, grad.base + m.weight_offset, grad.stride, grad.alpha,
                                    grad.beta);
    p.backend->launch(BiasGrad{dy, grad.base, grad.stride, m.bias_offset, rows(p), out_.c, grad.alpha, grad.beta},
                      p.replicas, out_.c);
  }

  ConvGeometry geometry() const {
    return ConvGeometry{in_.h, in_.w, in_.c, out_.h, out_.w, kernel_, kernel_, stride_, pad_};
  }
  LinearMap map() const {
    return LinearMap{params_[0].offset, params_[1].offset, static_cast<int>(geometry().patch()), out_.c};
  }
  int rows(const LayerPass& p) const { return p.batch * out_.h * out_.w; }

  int kernel_, stride_, pad_;
  bool library_ = false;
};

}  // namespace

std::unique_ptr<Layer> make_conv2d(TensorShape in, int out_channels, int kernel, int stride, bool same_padding) {
  return std::make_unique<Conv2d>(in, out_channels, kernel, stride, same_padding);
}

}  // namespace astraea
