// CUDA device discovery. Without a driver, cudaGetDeviceCount returns an error and leaves the
// count unwritten: test the return code, never the count alone.
#include <cuda_runtime.h>

#include "astraea/backend/device_info.hpp"

namespace astraea {

std::vector<DeviceInfo> cuda_devices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return {};
  }
  std::vector<DeviceInfo> out;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    DeviceInfo d;
    d.index = i;
    d.name = p.name;
    d.total_memory = p.totalGlobalMem;
    d.compute_major = p.major;
    d.compute_minor = p.minor;
    d.multiprocessors = p.multiProcessorCount;
    out.push_back(d);
  }
  return out;
}

std::string cuda_status() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return std::string("no CUDA device: ") + cudaGetErrorString(err);
  }
  if (count == 0) return "no CUDA device";
  cudaDeviceProp p{};
  cudaGetDeviceProperties(&p, 0);
  return std::string("CUDA device 0: ") + p.name;
}

}  // namespace astraea
