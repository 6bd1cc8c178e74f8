// Sums a buffer of device memory across the ranks of a run on the devices themselves (NCCL, one
// rank per GPU), instead of staging it through host memory and MPI. Every rank gets the same bits.
// The communicator builds one from an id that rank 0 makes and broadcasts (ranks/communicator).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace astraea {

class Backend;

class DeviceAllReduce {
 public:
  virtual ~DeviceAllReduce() = default;
  // data (n floats of the backend's device memory) = the sum over ranks, in place, on the
  // backend's stream.
  virtual void sum(float* data, size_t n) = 0;
};

// Whether this build has NCCL (CUDA builds where CMake found it).
bool device_all_reduce_available();
// A fresh id (rank 0 makes it; every rank passes the same bytes to make_device_all_reduce).
std::vector<uint8_t> make_device_all_reduce_id();
// This rank's member of the `size`-rank group named by `id`, on `backend` (a CUDA backend).
// Collective: every rank calls it. Throws naming the NCCL error.
std::unique_ptr<DeviceAllReduce> make_device_all_reduce(Backend& backend, const std::vector<uint8_t>& id, int rank,
                                                        int size);

}  // namespace astraea
