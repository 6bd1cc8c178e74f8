// ASTRAEA_HD marks functions that both backends run: the CPU backend calls them in plain loops,
// the CUDA backend inside kernels. Empty when the compiler is not nvcc.
#pragma once

#if defined(__CUDACC__)
#define ASTRAEA_HD __host__ __device__
#define ASTRAEA_HD_INLINE __host__ __device__ __forceinline__
#else
#define ASTRAEA_HD
#define ASTRAEA_HD_INLINE inline
#endif
