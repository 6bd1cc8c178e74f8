// Backend selection by name; the CUDA backend exists only in builds with ASTRAEA_HAVE_CUDA.
#include <spdlog/spdlog.h>

#include "astraea/backend/backend.hpp"
#include "astraea/backend/device_info.hpp"
#include "astraea/core/error.hpp"
#include "cpu_backend.hpp"

namespace astraea {

#if ASTRAEA_HAVE_CUDA
std::unique_ptr<Backend> make_cuda_backend(int device);  // cuda/cuda_backend.cu
#endif

std::unique_ptr<Backend> make_backend(const std::string& name, int threads) {
  if (name == "cpu") return make_cpu_backend(threads);
  if (name != "cuda" && name != "auto") {
    ASTRAEA_FAIL("--backend {}: unknown backend (expected auto, cpu or cuda)", name);
  }
  const bool have_device = !cuda_devices().empty();
  if (name == "auto") {
    if (!have_device) {
      spdlog::info("backend auto: cpu ({})", cuda_status());
      return make_cpu_backend(threads);
    }
  } else if (!have_device) {
    ASTRAEA_FAIL("--backend cuda: {}; use --backend cpu or auto", cuda_status());
  }
#if ASTRAEA_HAVE_CUDA
  spdlog::info("backend: cuda ({})", cuda_status());
  return make_cuda_backend(0);
#else
  ASTRAEA_FAIL("--backend cuda: this build has no CUDA backend");
#endif
}

}  // namespace astraea
