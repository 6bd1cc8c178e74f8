#include "loop_conv_backend.hpp"

#include <string>
#include <vector>

namespace astraea::testing {
namespace {

class LoopConvBackend final : public Backend {
 public:
  LoopConvBackend() : cpu_(make_backend("cpu", 1)) {}
  std::string name() const override { return "cpu with loop convolutions"; }
  bool is_device() const override { return false; }
  int lanes() const override { return cpu_->lanes(); }
  size_t memory_available() const override { return cpu_->memory_available(); }
  void* allocate(size_t bytes) override { return cpu_->allocate(bytes); }
  void deallocate(void* p) noexcept override { cpu_->deallocate(p); }
  void upload(void* dst, const void* src, size_t bytes) override { cpu_->upload(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { cpu_->download(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { cpu_->copy(dst, src, bytes); }
  void zero(void* dst, size_t bytes) override { cpu_->zero(dst, bytes); }
  void synchronize() override { cpu_->synchronize(); }
  void gemm_strided_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda,
                            int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta, float* c, int ldc,
                            int64_t stride_c, int batch) override {
    cpu_->gemm_strided_batched(ta, tb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch);
  }
#define ASTRAEA_FORWARD_LAUNCH(F) \
  void launch(const F& f, int64_t rows, int64_t cols) override { cpu_->launch(f, rows, cols); }
  ASTRAEA_OPS(ASTRAEA_FORWARD_LAUNCH)
#undef ASTRAEA_FORWARD_LAUNCH

  bool has_library_conv() const override { return true; }

  // Calls visit(r, n, oc, oh, ow, c, ih, iw, weight index) for every product of the convolution.
  template <typename Visit>
  static void each_product(const LibraryConv& c, Visit&& visit) {
    const ConvGeometry& g = c.g;
    for (int r = 0; r < c.replicas; ++r)
      for (int n = 0; n < c.batch; ++n)
        for (int oc = 0; oc < c.out_c; ++oc)
          for (int oh = 0; oh < g.out_h; ++oh)
            for (int ow = 0; ow < g.out_w; ++ow)
              for (int ch = 0; ch < g.in_c; ++ch)
                for (int kh = 0; kh < g.kernel_h; ++kh)
                  for (int kw = 0; kw < g.kernel_w; ++kw) {
                    const int ih = oh * g.stride - g.pad + kh, iw = ow * g.stride - g.pad + kw;
                    if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
                    visit(r, n, oc, oh, ow, ch, ih, iw, ((int64_t(oc) * g.in_c + ch) * g.kernel_h + kh) * g.kernel_w + kw);
                  }
  }
  static int64_t in_at(const LibraryConv& c, int r, int n, int ch, int ih, int iw) {
    return (((int64_t(r) * c.batch + n) * c.g.in_c + ch) * c.g.in_h + ih) * c.g.in_w + iw;
  }
  static int64_t out_at(const LibraryConv& c, int r, int n, int oc, int oh, int ow) {
    return (((int64_t(r) * c.batch + n) * c.out_c + oc) * c.g.out_h + oh) * c.g.out_w + ow;
  }
  static int64_t outputs(const LibraryConv& c) { return c.replicas * c.output_floats(); }
  static int64_t inputs(const LibraryConv& c) { return c.replicas * c.input_floats(); }

  void conv_forward(const LibraryConv& c, const float* x, const float* w, int64_t w_stride, float* y) override {
    for (int64_t i = 0; i < outputs(c); ++i) y[i] = 0.0f;
    each_product(c, [&](int r, int n, int oc, int oh, int ow, int ch, int ih, int iw, int64_t k) {
      y[out_at(c, r, n, oc, oh, ow)] += x[in_at(c, r, n, ch, ih, iw)] * w[r * w_stride + k];
    });
  }
  void conv_backward_data(const LibraryConv& c, const float* dy, const float* w, int64_t w_stride, float* dx) override {
    for (int64_t i = 0; i < inputs(c); ++i) dx[i] = 0.0f;
    each_product(c, [&](int r, int n, int oc, int oh, int ow, int ch, int ih, int iw, int64_t k) {
      dx[in_at(c, r, n, ch, ih, iw)] += dy[out_at(c, r, n, oc, oh, ow)] * w[r * w_stride + k];
    });
  }
  void conv_backward_filter(const LibraryConv& c, const float* x, const float* dy, float* dw, int64_t dw_stride,
                            float alpha, float beta) override {
    const int64_t per = int64_t(c.out_c) * c.g.patch();
    std::vector<float> sum(size_t(c.replicas * per), 0.0f);
    each_product(c, [&](int r, int n, int oc, int oh, int ow, int ch, int ih, int iw, int64_t k) {
      sum[size_t(r * per + k)] += x[in_at(c, r, n, ch, ih, iw)] * dy[out_at(c, r, n, oc, oh, ow)];
    });
    for (int r = 0; r < c.replicas; ++r)
      for (int64_t k = 0; k < per; ++k) {
        float& t = dw[r * dw_stride + k];
        t = (beta == 0.0f ? 0.0f : beta * t) + alpha * sum[size_t(r * per + k)];
      }
  }

 private:
  std::unique_ptr<Backend> cpu_;
};

}  // namespace

std::unique_ptr<Backend> make_loop_conv_backend() { return std::make_unique<LoopConvBackend>(); }

}  // namespace astraea::testing
