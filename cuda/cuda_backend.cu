// The CUDA backend: device memory, cuBLAS strided-batched GEMM on one stream, and the shared
// functors (kernels/op_list.hpp) as grid-stride kernels. Functors that sum over a long axis in each
// thread (bias gradients, loss totals) run as GEMMs against a ones vector instead: cuBLAS reduces
// in parallel and in a fixed order, so repeated runs give the same bits. ASTRAEA_CUDA_SYNC=1
// synchronises after every launch and library call, so a fault names the kernel that caused it.
// Host-only code (logging, formatting) stays in .cpp files.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "astraea/backend/backend.hpp"
#include "cuda_check.hpp"
#include "cuda_stream.hpp"
#if ASTRAEA_HAVE_CUDNN
#include "cudnn_conv.hpp"
#endif

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

// Two page-locked buffers taken in turn; an event after each one's copy says when it may be
// refilled.
class PinnedUploadStage final : public UploadStage {
 public:
  PinnedUploadStage(cudaStream_t stream, size_t bytes) : stream_(stream) {
    for (int k = 0; k < 2; ++k) {
      ASTRAEA_CUDA_CHECK(cudaMallocHost(&buffer_[k], std::max<size_t>(bytes, 1)));
      ASTRAEA_CUDA_CHECK(cudaEventCreateWithFlags(&copied_[k], cudaEventDisableTiming));
    }
  }
  ~PinnedUploadStage() override {
    for (int k = 0; k < 2; ++k) {
      cudaEventSynchronize(copied_[k]);
      cudaEventDestroy(copied_[k]);
      cudaFreeHost(buffer_[k]);
    }
  }
  PinnedUploadStage(const PinnedUploadStage&) = delete;
  PinnedUploadStage& operator=(const PinnedUploadStage&) = delete;
  void* next() override {
    current_ ^= 1;
    ASTRAEA_CUDA_CHECK(cudaEventSynchronize(copied_[current_]));
    return buffer_[current_];
  }
  void upload(void* dst, size_t bytes) override {
    ASTRAEA_CUDA_CHECK(cudaMemcpyAsync(dst, buffer_[current_], bytes, cudaMemcpyHostToDevice, stream_));
    ASTRAEA_CUDA_CHECK(cudaEventRecord(copied_[current_], stream_));
  }

 private:
  cudaStream_t stream_;
  void* buffer_[2] = {nullptr, nullptr};
  cudaEvent_t copied_[2] = {nullptr, nullptr};
  int current_ = 1;
};

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
    const char* sync = std::getenv("ASTRAEA_CUDA_SYNC");
    sync_each_ = sync != nullptr && std::string(sync) != "" && std::string(sync) != "0";
  }
  ~CudaBackend() override {
    drop_graphs();
#if ASTRAEA_HAVE_CUDNN
    conv_.reset();
#endif
    if (ones_) cudaFree(ones_);
    cublasDestroy(cublas_);  // non-throwing: destructors never throw
    cudaStreamDestroy(stream_);
  }
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return name_; }
  bool is_device() const override { return true; }
  cudaStream_t stream() const { return stream_; }
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
    checked("upload");
  }
  void download(void* dst, const void* src, size_t bytes) override {
    ASTRAEA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
    ASTRAEA_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    ASTRAEA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
    checked("copy");
  }
  void zero(void* dst, size_t bytes) override {
    ASTRAEA_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream_));
    checked("zero");
  }
  void synchronize() override { ASTRAEA_CUDA_CHECK(cudaStreamSynchronize(stream_)); }
  std::unique_ptr<UploadStage> make_upload_stage(size_t bytes) override {
    return std::make_unique<PinnedUploadStage>(stream_, bytes);
  }
  bool set_tf32(bool on) override {
    ASTRAEA_CUBLAS_CHECK(cublasSetMathMode(cublas_, on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    tf32_ = on;
#if ASTRAEA_HAVE_CUDNN
    if (conv_) conv_->set_tf32(on);
#endif
    return true;
  }

  bool supports_graphs() const override { return true; }
  void begin_capture() override {
    ones(kOnesBeforeCapture);  // no allocation while recording
    ASTRAEA_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed));
    capturing_ = true;
  }
  int end_capture() override {
    capturing_ = false;
    cudaGraph_t graph = nullptr;
    ASTRAEA_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t err = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    ASTRAEA_CUDA_CHECK(err);
    graphs_.push_back(exec);
    return static_cast<int>(graphs_.size()) - 1;
  }
  void replay(int graph) override {
    ASTRAEA_CUDA_CHECK(cudaGraphLaunch(graphs_.at(size_t(graph)), stream_));
    checked("graph replay");
  }
  void drop_graphs() override {
    if (graphs_.empty()) return;
    cudaStreamSynchronize(stream_);  // no replay still running (non-throwing: called by the destructor)
    for (cudaGraphExec_t g : graphs_) cudaGraphExecDestroy(g);
    graphs_.clear();
  }

#if ASTRAEA_HAVE_CUDNN
  bool has_library_conv() const override { return true; }
  void conv_forward(const LibraryConv& c, const float* x, const float* w, int64_t w_stride, float* y) override {
    conv().forward(c, x, w, w_stride, y);
    checked("cudnnConvolutionForward");
  }
  void conv_backward_data(const LibraryConv& c, const float* dy, const float* w, int64_t w_stride, float* dx) override {
    conv().backward_data(c, dy, w, w_stride, dx);
    checked("cudnnConvolutionBackwardData");
  }
  void conv_backward_filter(const LibraryConv& c, const float* x, const float* dy, float* dw, int64_t dw_stride,
                            float alpha, float beta) override {
    conv().backward_filter(c, x, dy, dw, dw_stride, alpha, beta);
    checked("cudnnConvolutionBackwardFilter");
  }
#endif

  void gemm_strided_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda,
                            int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta, float* c, int ldc,
                            int64_t stride_c, int batch) override {
    ASTRAEA_CUBLAS_CHECK(cublasSgemmStridedBatched(cublas_, to_cublas(ta), to_cublas(tb), m, n, k, &alpha, a, lda,
                                                   stride_a, b, ldb, stride_b, &beta, c, ldc, stride_c, batch));
    checked("cublasSgemmStridedBatched");
  }

#define ASTRAEA_CUDA_LAUNCH(F)                                        \
  void launch(const F& f, int64_t rows, int64_t cols) override { \
    run(f, rows, cols);                                          \
    checked("kernel " #F);                                       \
  }
  ASTRAEA_OPS(ASTRAEA_CUDA_LAUNCH)
#undef ASTRAEA_CUDA_LAUNCH

 private:
#if ASTRAEA_HAVE_CUDNN
  CudnnConv& conv() {
    if (!conv_) {
      conv_ = std::make_unique<CudnnConv>(stream_);
      conv_->set_tf32(tf32_);
    }
    return *conv_;
  }
#endif

  // ASTRAEA_CUDA_SYNC: wait for the work just queued and report its fault under its own name
  // (not while recording a graph: its launches run at replay).
  void checked(const char* what) {
    if (!sync_each_ || capturing_) return;
    const cudaError_t err = cudaStreamSynchronize(stream_);
    if (err != cudaSuccess) cuda::throw_cuda_error(what, cudaGetErrorString(err), __FILE__, __LINE__);
  }

  // A device vector of at least n ones (grown on demand, never shrunk).
  const float* ones(int64_t n) {
    if (n > ones_size_) {
      if (capturing_) {
        cuda::throw_cuda_error("ones", "a sum over more than " + std::to_string(ones_size_) +
                                           " rows while recording a graph: turn train.cuda_graphs off",
                               __FILE__, __LINE__);
      }
      if (ones_) ASTRAEA_CUDA_CHECK(cudaFree(ones_));
      ones_ = nullptr;
      ones_size_ = 0;
      ASTRAEA_CUDA_CHECK(cudaMalloc(&ones_, size_t(n) * sizeof(float)));
      const std::vector<float> host(size_t(n), 1.0f);
      ASTRAEA_CUDA_CHECK(cudaMemcpy(ones_, host.data(), size_t(n) * sizeof(float), cudaMemcpyHostToDevice));
      ones_size_ = n;
    }
    return ones_;
  }

  // (r, j): target_r[off + j] = beta * target_r[off + j] + alpha * sum_b dy_r[b][j]. dy_r is a
  // column-major features x batch matrix; times ones (batch x 1), one GEMM per replica.
  void run(const BiasGrad& f, int64_t rows, int64_t cols) {
    if (rows <= 0 || cols <= 0) return;
    const float alpha = f.alpha, beta = f.beta;
    ASTRAEA_CUBLAS_CHECK(cublasSgemmStridedBatched(
        cublas_, CUBLAS_OP_N, CUBLAS_OP_N, int(f.features), 1, int(f.batch), &alpha, f.dy, int(f.features),
        f.batch * f.features, ones(f.batch), int(f.batch), 0, &beta, f.target + f.bias_offset, int(f.features),
        f.target_stride, int(rows)));
  }
  // (r, 0): total[r] += sum_b loss[r][b]: per replica a 1 x batch row times ones.
  void run(const LossSum& f, int64_t rows, int64_t cols) {
    if (rows <= 0 || cols <= 0) return;
    const float alpha = 1.0f, beta = 1.0f;
    ASTRAEA_CUBLAS_CHECK(cublasSgemmStridedBatched(cublas_, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, int(f.batch), &alpha,
                                                   f.loss, 1, f.batch, ones(f.batch), int(f.batch), 0, &beta, f.total,
                                                   1, 1, int(rows)));
  }

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
  bool sync_each_ = false;
  bool capturing_ = false;
  std::vector<cudaGraphExec_t> graphs_;
  static constexpr int64_t kOnesBeforeCapture = 1 << 16;
  bool tf32_ = false;
#if ASTRAEA_HAVE_CUDNN
  std::unique_ptr<CudnnConv> conv_;  // created on first use
#endif
  float* ones_ = nullptr;
  int64_t ones_size_ = 0;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(int device) { return std::make_unique<CudaBackend>(device); }

cudaStream_t cuda_stream_of(Backend& backend) {
  auto* cuda = dynamic_cast<CudaBackend*>(&backend);
  if (!cuda) cuda::throw_cuda_error("cuda_stream_of", backend.name() + " is not the CUDA backend", __FILE__, __LINE__);
  return cuda->stream();
}

}  // namespace astraea
