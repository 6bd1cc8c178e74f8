// A CPU stand-in for a device's convolution library: the CPU backend for everything, plus
// Backend::conv_* as direct loops over NCHW tensors. It lets the layer's library path (NCHW copies,
// scratch layout, the order of its gradient calls, replica strides) be tested here against the
// float64 reference and finite differences; the CUDA backend's cuDNN calls are tested on a GPU.
#pragma once

#include <memory>

#include "astraea/backend/backend.hpp"

namespace astraea::testing {

std::unique_ptr<Backend> make_loop_conv_backend();

}  // namespace astraea::testing
