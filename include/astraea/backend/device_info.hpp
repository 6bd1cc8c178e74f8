// What accelerators this process can use. Always callable: without a CUDA build or without a
// device, it reports none.
#pragma once

#include <string>
#include <vector>

namespace astraea {

struct DeviceInfo {
  int index = 0;
  std::string name;
  size_t total_memory = 0;
  int compute_major = 0;
  int compute_minor = 0;
  int multiprocessors = 0;
};

// Devices the CUDA runtime reports; empty without CUDA support or a driver.
std::vector<DeviceInfo> cuda_devices();
// One line saying why no device is available, or which is (for logs).
std::string cuda_status();

}  // namespace astraea
