// Backend selection by name; the CUDA backend exists only in builds with ASTRAEA_HAVE_CUDA.
#include "astraea/backend/backend_registry.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "astraea/backend/device_info.hpp"
#include "astraea/core/error.hpp"
#include "cpu_backend.hpp"

namespace astraea {

#if ASTRAEA_HAVE_CUDA
std::unique_ptr<Backend> make_cuda_backend(int device);  // cuda/cuda_backend.cu
#endif

namespace {

// The process's rank on its node, as MPI launchers and Slurm announce it (0 when none does).
int local_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID", "PMIX_LOCAL_RANK"}) {
    if (const char* s = std::getenv(v)) return std::atoi(s);
  }
  return 0;
}

std::unique_ptr<Backend> make_cuda(int) {
  const std::vector<DeviceInfo> devices = cuda_devices();
  if (devices.empty()) ASTRAEA_FAIL("--backend cuda: {}; use --backend cpu or auto", cuda_status());
#if ASTRAEA_HAVE_CUDA
  // One rank per GPU: ranks on a node take its devices in turn.
  const int device = local_rank() % static_cast<int>(devices.size());
  spdlog::info("backend: cuda:{} ({})", device, cuda_status());
  return make_cuda_backend(device);
#else
  ASTRAEA_FAIL("--backend cuda: this build has no CUDA backend");
#endif
}

std::unique_ptr<Backend> make_auto(int threads) {
  if (cuda_devices().empty()) {
    spdlog::info("backend auto: cpu ({})", cuda_status());
    return make_cpu_backend(threads);
  }
  return make_cuda(threads);
}

}  // namespace

const Registry<BackendFactory>& backend_registry() {
  static const Registry<BackendFactory> r(
      "backend", {{"auto", "CUDA when a device exists, else the CPU", make_auto},
                  {"cpu", "OpenBLAS + OpenMP lanes (always built; the reference)", make_cpu_backend},
                  {"cuda", "cuBLAS + kernels on GPU (local rank mod GPUs; CUDA builds)", make_cuda}});
  return r;
}

std::unique_ptr<Backend> make_backend(const std::string& name, int threads) {
  return backend_registry().at(name, "--backend").make(threads);
}

}  // namespace astraea
