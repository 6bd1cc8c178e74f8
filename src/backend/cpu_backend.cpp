#include "cpu_backend.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include <unistd.h>

#include <cblas.h>
#include <omp.h>

#include "astraea/core/error.hpp"
#include "core/hot_loop.hpp"

namespace astraea {
namespace {

CBLAS_TRANSPOSE to_cblas(Trans t) { return t == Trans::kYes ? CblasTrans : CblasNoTrans; }

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads) : threads_(threads > 0 ? threads : omp_get_max_threads()) {
    // Each lane calls BLAS from its own thread: BLAS must not spawn threads of its own.
    openblas_set_num_threads(1);
  }

  std::string name() const override { return "cpu"; }
  bool is_device() const override { return false; }
  int lanes() const override { return threads_; }

  size_t memory_available() const override {
    return static_cast<size_t>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
  }
  void* allocate(size_t bytes) override {
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) ASTRAEA_FAIL("out of host memory allocating {} bytes", bytes);
    return p;
  }
  void deallocate(void* p) noexcept override { std::free(p); }
  // Empty arrays have null data: memcpy and memset must not see them.
  void upload(void* dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void download(void* dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void zero(void* dst, size_t bytes) override {
    if (bytes) std::memset(dst, 0, bytes);
  }
  void synchronize() override {}

  void gemm_strided_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda,
                            int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta, float* c, int ldc,
                            int64_t stride_c, int batch) override {
    for (int i = 0; i < batch; ++i) {
      cblas_sgemm(CblasColMajor, to_cblas(ta), to_cblas(tb), m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b,
                  ldb, beta, c + i * stride_c, ldc);
    }
  }

#define ASTRAEA_CPU_LAUNCH(F) \
  void launch(const F& f, int64_t rows, int64_t cols) override { run(f, rows, cols); }
  ASTRAEA_OPS(ASTRAEA_CPU_LAUNCH)
#undef ASTRAEA_CPU_LAUNCH

 private:
  // The functor is copied into a local: the arrays it writes then cannot alias its fields, so
  // its pointers and sizes stay in registers and simple bodies vectorise.
  template <typename F>
  ASTRAEA_HOT_LOOP static void run(const F& f, int64_t rows, int64_t cols) {
    const F local = f;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) local(r, c);
  }
  // Layouts whose rows the functor can walk without per-row divisions.
  ASTRAEA_HOT_LOOP static void run(const Im2col& f, int64_t rows, int64_t cols) {
    ASTRAEA_CHECK(cols == f.g.in_c && rows % f.g.out_positions() == 0, "Im2col over {} x {}", rows, cols);
    for (int64_t s = 0; s < rows / f.g.out_positions(); ++s) f.sample_rows(s);
  }
  ASTRAEA_HOT_LOOP static void run(const Col2im& f, int64_t rows, int64_t cols) {
    const int64_t per = int64_t(f.g.in_h) * f.g.in_w;
    ASTRAEA_CHECK(cols == f.g.in_c && rows % per == 0, "Col2im over {} x {}", rows, cols);
    for (int64_t s = 0; s < rows / per; ++s) f.sample_pixels(s);
  }
  // Replica-outer over blocks of parameters: each element's sum still runs over the replicas in
  // index order from zero (the same values), but the inner loops are unit-stride and vectorise.
  ASTRAEA_HOT_LOOP static void run(const WeightedDeltaSum& f, int64_t rows, int64_t cols) {
    ASTRAEA_CHECK(rows == 1 && cols == f.params, "WeightedDeltaSum over {} x {}", rows, cols);
    constexpr int64_t kBlock = 2048;
    float sum[kBlock];
    for (int64_t j0 = 0; j0 < f.params; j0 += kBlock) {
      const int64_t n = std::min(kBlock, f.params - j0);
      float* __restrict s = sum;
      const float* __restrict g = f.global + j0;
      for (int64_t j = 0; j < n; ++j) s[j] = 0.0f;
      for (int64_t r = 0; r < f.replicas; ++r) {
        const float c = f.coef[r];
        const float* __restrict w = f.weights + r * f.row_stride() + j0;
        for (int64_t j = 0; j < n; ++j) s[j] += c * (w[j] - g[j]);
      }
      float* __restrict acc = f.acc + j0;
      for (int64_t j = 0; j < n; ++j) acc[j] += s[j];
    }
  }
  ASTRAEA_HOT_LOOP static void run(const BiasGrad& f, int64_t rows, int64_t cols) {
    ASTRAEA_CHECK(cols == f.features, "BiasGrad over {} of {} features", cols, f.features);
    for (int64_t r = 0; r < rows; ++r) f.row(r);
  }
  ASTRAEA_HOT_LOOP static void run(const GatherImages& f, int64_t rows, int64_t cols) {
    ASTRAEA_CHECK(cols == int64_t(f.pool.height) * f.pool.width, "GatherImages over {} x {}", rows, cols);
    for (int64_t s = 0; s < rows; ++s) f.sample(s);
  }
  ASTRAEA_HOT_LOOP static void run(const OptimizerUpdate& f, int64_t rows, int64_t cols) {
    ASTRAEA_CHECK(cols == f.params, "OptimizerUpdate over {} of {} params", cols, f.params);
    for (int64_t r = 0; r < rows; ++r) f.row(r);
  }

  int threads_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads) { return std::make_unique<CpuBackend>(threads); }

}  // namespace astraea
