// Device discovery in a build without CUDA: there is never a device.
#include "astraea/backend/device_info.hpp"

namespace astraea {

std::vector<DeviceInfo> cuda_devices() { return {}; }
std::string cuda_status() { return "no CUDA device: this build has no CUDA backend (ASTRAEA_CUDA=OFF or no nvcc)"; }

}  // namespace astraea
