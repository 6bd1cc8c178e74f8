// The backends by name: "cpu" (always built), "cuda" (CUDA builds, with a device) and "auto"
// (CUDA when a device exists, else CPU).
#pragma once

#include <memory>

#include "astraea/backend/backend.hpp"
#include "astraea/core/registry.hpp"

namespace astraea {

using BackendFactory = std::unique_ptr<Backend> (*)(int threads);
const Registry<BackendFactory>& backend_registry();

}  // namespace astraea
