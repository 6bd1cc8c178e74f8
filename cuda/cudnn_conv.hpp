// The CUDA backend's library convolution (Backend::conv_*): cuDNN over NCHW float tensors, one call
// per replica (each has its own weights), on the backend's stream. Algorithms are cuDNN's own
// ranking, restricted to deterministic ones so that a run repeats bit for bit; FP32 arithmetic
// unless TF32 is allowed (Backend::set_tf32). Private to cuda/.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "astraea/backend/backend.hpp"

namespace astraea {

class CudnnConv {
 public:
  explicit CudnnConv(cudaStream_t stream);
  ~CudnnConv();
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  void set_tf32(bool on) { tf32_ = on; }
  void forward(const LibraryConv& c, const float* x, const float* w, int64_t w_stride, float* y);
  void backward_data(const LibraryConv& c, const float* dy, const float* w, int64_t w_stride, float* dx);
  void backward_filter(const LibraryConv& c, const float* x, const float* dy, float* dw, int64_t dw_stride, float alpha,
                       float beta);

 private:
  struct Descriptors;
  Descriptors& describe(const LibraryConv& c);
  void* workspace(size_t bytes);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool tf32_ = false;
};

}  // namespace astraea
