// The CPU backend: host memory, OpenBLAS GEMM, functors in plain nested loops. Its calls are
// serial; parallelism comes from the caller running one lane per thread (lanes()).
#pragma once

#include <memory>

#include "astraea/backend/backend.hpp"

namespace astraea {

std::unique_ptr<Backend> make_cpu_backend(int threads);

}  // namespace astraea
