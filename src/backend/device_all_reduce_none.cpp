// Builds without NCCL: the device all-reduce does not exist and callers stage through the host.
#include "astraea/backend/device_all_reduce.hpp"

#include "astraea/core/error.hpp"

namespace astraea {

bool device_all_reduce_available() { return false; }

std::vector<uint8_t> make_device_all_reduce_id() { ASTRAEA_FAIL("this build has no NCCL (device all-reduce)"); }

std::unique_ptr<DeviceAllReduce> make_device_all_reduce(Backend&, const std::vector<uint8_t>&, int, int) {
  ASTRAEA_FAIL("this build has no NCCL (device all-reduce)");
}

}  // namespace astraea
