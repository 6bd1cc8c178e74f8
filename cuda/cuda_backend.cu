// The CUDA backend: device memory, cuBLAS strided-batched GEMM on one stream, and the shared
// functors (kernels/op_list.hpp) as grid-stride kernels. Host-only code (logging, formatting) stays
// in .cpp files.
#include <algorithm>
#include <memory>
#include <string>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "astraea/backend/backend.hpp"
#include "cuda_check.hpp"

namespace astraea {
namespace {

// ---- kernels

// Wide rows: one grid row per index row, threads across columns (coalesced along cols).
template <typename F>
__global__ void launch_rows(F f, int64_t rows, int64_t cols) {
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y)
    for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < cols; c += int64_t(blockDim.x) * gridDim.x)
      f(r, c);
}

// Narrow rows: one flat index space.
template <typename F>
__global__ void launch_flat(F f, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x)
    f(i / cols, i % cols);
}

// ---- the backend

cublasOperation_t to_cublas(Trans t) { return t == Trans::kYes ? CUBLAS_OP_T : CUBLAS_OP_N; }

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) {
    ASTRAEA_CUDA_CHECK(cudaSetDevice(device));
    ASTRAEA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    ASTRAEA_CUBLAS_CHECK(cublasCreate(&cublas_));
    ASTRAEA_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    cudaDeviceProp prop{};
    ASTRAEA_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    sms_ = prop.multiProcessorCount;
    name_ = std::string("cuda:") + std::to_string(device) + " (" + prop.name + ")";
  }
  ~CudaBackend() override {
    cublasDestroy(cublas_);  // non-throwing: destructors never throw
    cudaStreamDestroy(stream_);
  }
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return name_; }
  bool is_device() const override { return true; }
  int lanes() const override { return 1; }

  size_t memory_available() const override {
    size_t free_bytes = 0, total = 0;
    ASTRAEA_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total));
    return free_bytes;
  }
  void* allocate(size_t bytes) override {
    void* p = nullptr;
    const cudaError_t err = cudaMalloc(&p, std::max<size_t>(bytes, 1));
    if (err != cudaSuccess) {
      cudaGetLastError();
      size_t free_bytes = 0, total = 0;
      cudaMemGetInfo(&free_bytes, &total);
      cuda::throw_cuda_error("cudaMalloc",
                             std::string("out of device memory allocating ") + std::to_string(bytes) + " bytes (" +
                                 std::to_string(free_bytes >> 20) + " of " + std::to_string(total >> 20) +
                                 " MiB free): lower train.replicas or train.batch",
                             __FILE__, __LINE__);
    }
    return p;
  }
  void deallocate(void* p) noexcept override { cudaFree(p); }
  void upload(void* dst, const void* src, size_t bytes) override {
    ASTRAEA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
  }
  void download(void* dst, const void* src, size_t bytes) override {
    ASTRAEA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
    ASTRAEA_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    ASTRAEA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
  }
  void zero(void* dst, size_t bytes) override { ASTRAEA_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream_)); }
  void synchronize() override { ASTRAEA_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

  void gemm_strided_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda,
                            int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta, float* c, int ldc,
                            int64_t stride_c, int batch) override {
    ASTRAEA_CUBLAS_CHECK(cublasSgemmStridedBatched(cublas_, to_cublas(ta), to_cublas(tb), m, n, k, &alpha, a, lda,
                                                   stride_a, b, ldb, stride_b, &beta, c, ldc, stride_c, batch));
  }

#define ASTRAEA_CUDA_LAUNCH(F) \
  void launch(const F& f, int64_t rows, int64_t cols) override { run(f, rows, cols); }
  ASTRAEA_OPS(ASTRAEA_CUDA_LAUNCH)
#undef ASTRAEA_CUDA_LAUNCH

 private:
  template <typename F>
  void run(const F& f, int64_t rows, int64_t cols) {
    if (rows <= 0 || cols <= 0) return;
    constexpr int kThreads = 256;
    const int64_t max_blocks = int64_t(sms_) * 32;
    if (cols >= 128) {
      const dim3 grid(static_cast<unsigned>(std::min<int64_t>((cols + kThreads - 1) / kThreads, max_blocks)),
                      static_cast<unsigned>(std::min<int64_t>(rows, 65535)));
      launch_rows<<<grid, kThreads, 0, stream_>>>(f, rows, cols);
    } else {
      const int64_t blocks = std::min<int64_t>((rows * cols + kThreads - 1) / kThreads, max_blocks);
      launch_flat<<<static_cast<unsigned>(blocks), kThreads, 0, stream_>>>(f, rows, cols);
    }
    ASTRAEA_CUDA_CHECK_LAUNCH();
  }

  int device_;
  int sms_ = 1;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(int device) { return std::make_unique<CudaBackend>(device); }

}  // namespace astraea
