// The CUDA backend's stream, for library calls made outside the backend (NCCL) that must queue
// behind the backend's own work. Private to cuda/.
#pragma once

#include <cuda_runtime.h>

namespace astraea {

class Backend;

// Throws when `backend` is not the CUDA backend.
cudaStream_t cuda_stream_of(Backend& backend);

}  // namespace astraea
