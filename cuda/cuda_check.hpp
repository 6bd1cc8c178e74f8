// Check macros for CUDA runtime and cuBLAS calls: each evaluates its argument once and throws
// astraea::Error naming the call, the error and the source location.
#pragma once

#include <string>

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace astraea::cuda {

[[noreturn]] void throw_cuda_error(const char* call, const std::string& what, const char* file, int line);
const char* cublas_status_name(cublasStatus_t status);

}  // namespace astraea::cuda

#define ASTRAEA_CUDA_CHECK(call)                                                                    \
  do {                                                                                              \
    const cudaError_t astraea_err_ = (call);                                                        \
    if (astraea_err_ != cudaSuccess)                                                                \
      ::astraea::cuda::throw_cuda_error(#call, cudaGetErrorString(astraea_err_), __FILE__, __LINE__); \
  } while (0)

#define ASTRAEA_CUBLAS_CHECK(call)                                                                        \
  do {                                                                                                    \
    const cublasStatus_t astraea_st_ = (call);                                                            \
    if (astraea_st_ != CUBLAS_STATUS_SUCCESS)                                                             \
      ::astraea::cuda::throw_cuda_error(#call, ::astraea::cuda::cublas_status_name(astraea_st_), __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: launch-configuration errors surface here, at the launch site.
#define ASTRAEA_CUDA_CHECK_LAUNCH() ASTRAEA_CUDA_CHECK(cudaGetLastError())
