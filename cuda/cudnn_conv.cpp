// cuDNN's convolution API (cudnn_cnn.h). cuDNN 9 calls it legacy in favour of the graph API; it is
// still shipped and is the smallest correct use for fixed NCHW float convolutions.
#include "cudnn_conv.hpp"

#include <cudnn.h>

#include <string>

#include "cuda_check.hpp"

namespace astraea {
namespace {

void check(cudnnStatus_t s, const char* call) {
  if (s != CUDNN_STATUS_SUCCESS) cuda::throw_cuda_error(call, cudnnGetErrorString(s), __FILE__, __LINE__);
}
#define ASTRAEA_CUDNN(call) check((call), #call)

// The first deterministic algorithm cuDNN ranks as usable.
template <typename Perf>
Perf first_deterministic(const Perf* perf, int count, const char* what) {
  for (int i = 0; i < count; ++i) {
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].determinism == CUDNN_DETERMINISTIC) return perf[i];
  }
  cuda::throw_cuda_error(what, "cuDNN offers no deterministic algorithm for this convolution", __FILE__, __LINE__);
}

}  // namespace

// The descriptors and chosen algorithms of one convolution shape (rebuilt when the shape or the
// math mode changes; the model's layers take turns, so a few shapes are kept).
struct CudnnConv::Descriptors {
  LibraryConv shape{};
  bool tf32 = false;
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgoPerf_t fwd{};
  cudnnConvolutionBwdDataAlgoPerf_t bwd_data{};
  cudnnConvolutionBwdFilterAlgoPerf_t bwd_filter{};
  bool matches(const LibraryConv& c, bool t) const {
    const ConvGeometry& a = shape.g;
    const ConvGeometry& b = c.g;
    return x && t == tf32 && shape.out_c == c.out_c && shape.batch == c.batch && a.in_h == b.in_h &&
           a.in_w == b.in_w && a.in_c == b.in_c && a.out_h == b.out_h && a.out_w == b.out_w &&
           a.kernel_h == b.kernel_h && a.kernel_w == b.kernel_w && a.stride == b.stride && a.pad == b.pad;
  }
  void release() {
    if (x) cudnnDestroyTensorDescriptor(x);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
    x = y = nullptr;
    w = nullptr;
    conv = nullptr;
  }
};

struct CudnnConv::Impl {
  cudnnHandle_t handle = nullptr;
  Descriptors shapes[8];
  int next = 0;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

CudnnConv::CudnnConv(cudaStream_t stream) : impl_(std::make_unique<Impl>()) {
  ASTRAEA_CUDNN(cudnnCreate(&impl_->handle));
  ASTRAEA_CUDNN(cudnnSetStream(impl_->handle, stream));
}

CudnnConv::~CudnnConv() {
  for (Descriptors& d : impl_->shapes) d.release();
  if (impl_->workspace) cudaFree(impl_->workspace);
  cudnnDestroy(impl_->handle);
}

void* CudnnConv::workspace(size_t bytes) {
  if (bytes > impl_->workspace_bytes) {
    if (impl_->workspace) ASTRAEA_CUDA_CHECK(cudaFree(impl_->workspace));
    impl_->workspace = nullptr;
    impl_->workspace_bytes = 0;
    ASTRAEA_CUDA_CHECK(cudaMalloc(&impl_->workspace, bytes));
    impl_->workspace_bytes = bytes;
  }
  return impl_->workspace;
}

CudnnConv::Descriptors& CudnnConv::describe(const LibraryConv& c) {
  for (Descriptors& d : impl_->shapes)
    if (d.matches(c, tf32_)) return d;
  Descriptors& d = impl_->shapes[impl_->next];
  impl_->next = (impl_->next + 1) % 8;
  d.release();
  d.shape = c;
  d.tf32 = tf32_;
  const ConvGeometry& g = c.g;
  ASTRAEA_CUDNN(cudnnCreateTensorDescriptor(&d.x));
  ASTRAEA_CUDNN(cudnnCreateTensorDescriptor(&d.y));
  ASTRAEA_CUDNN(cudnnCreateFilterDescriptor(&d.w));
  ASTRAEA_CUDNN(cudnnCreateConvolutionDescriptor(&d.conv));
  ASTRAEA_CUDNN(cudnnSetTensor4dDescriptor(d.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, c.batch, g.in_c, g.in_h, g.in_w));
  ASTRAEA_CUDNN(cudnnSetTensor4dDescriptor(d.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, c.batch, c.out_c, g.out_h, g.out_w));
  ASTRAEA_CUDNN(cudnnSetFilter4dDescriptor(d.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, c.out_c, g.in_c, g.kernel_h,
                                           g.kernel_w));
  // PyTorch's Conv2d is a cross-correlation.
  ASTRAEA_CUDNN(cudnnSetConvolution2dDescriptor(d.conv, g.pad, g.pad, g.stride, g.stride, 1, 1,
                                                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  ASTRAEA_CUDNN(cudnnSetConvolutionMathType(d.conv, tf32_ ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  int n = 0;
  cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  ASTRAEA_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(impl_->handle, d.x, d.w, d.conv, d.y,
                                                       CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, fwd));
  d.fwd = first_deterministic(fwd, n, "cudnnGetConvolutionForwardAlgorithm_v7");
  cudnnConvolutionBwdDataAlgoPerf_t bwd_data[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  ASTRAEA_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(impl_->handle, d.w, d.y, d.conv, d.x,
                                                            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, bwd_data));
  d.bwd_data = first_deterministic(bwd_data, n, "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  cudnnConvolutionBwdFilterAlgoPerf_t bwd_filter[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  ASTRAEA_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(impl_->handle, d.x, d.y, d.conv, d.w,
                                                              CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, bwd_filter));
  d.bwd_filter = first_deterministic(bwd_filter, n, "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  return d;
}

void CudnnConv::forward(const LibraryConv& c, const float* x, const float* w, int64_t w_stride, float* y) {
  Descriptors& d = describe(c);
  void* ws = workspace(d.fwd.memory);
  const int64_t in = c.input_floats(), out = c.output_floats();
  const float one = 1.0f, zero = 0.0f;
  for (int r = 0; r < c.replicas; ++r) {
    ASTRAEA_CUDNN(cudnnConvolutionForward(impl_->handle, &one, d.x, x + r * in, d.w, w + r * w_stride, d.conv,
                                          d.fwd.algo, ws, d.fwd.memory, &zero, d.y, y + r * out));
  }
}

void CudnnConv::backward_data(const LibraryConv& c, const float* dy, const float* w, int64_t w_stride, float* dx) {
  Descriptors& d = describe(c);
  void* ws = workspace(d.bwd_data.memory);
  const int64_t in = c.input_floats(), out = c.output_floats();
  const float one = 1.0f, zero = 0.0f;
  for (int r = 0; r < c.replicas; ++r) {
    ASTRAEA_CUDNN(cudnnConvolutionBackwardData(impl_->handle, &one, d.w, w + r * w_stride, d.y, dy + r * out, d.conv,
                                               d.bwd_data.algo, ws, d.bwd_data.memory, &zero, d.x, dx + r * in));
  }
}

void CudnnConv::backward_filter(const LibraryConv& c, const float* x, const float* dy, float* dw, int64_t dw_stride,
                                float alpha, float beta) {
  Descriptors& d = describe(c);
  void* ws = workspace(d.bwd_filter.memory);
  const int64_t in = c.input_floats(), out = c.output_floats();
  for (int r = 0; r < c.replicas; ++r) {
    ASTRAEA_CUDNN(cudnnConvolutionBackwardFilter(impl_->handle, &alpha, d.x, x + r * in, d.y, dy + r * out, d.conv,
                                                 d.bwd_filter.algo, ws, d.bwd_filter.memory, &beta, d.w,
                                                 dw + r * dw_stride));
  }
}

}  // namespace astraea
