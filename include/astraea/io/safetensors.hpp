// The safetensors format (a little-endian u64 header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data), so a researcher loads the weights
// with the safetensors library in PyTorch, JAX or TensorFlow.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace astraea {

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  const float* data = nullptr;  // shape's product of floats
};

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

struct LoadedTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Reads an F32 safetensors file (and its string metadata, when asked); throws naming the file
// when it is malformed.
std::map<std::string, LoadedTensor> read_safetensors(const std::string& path,
                                                     std::map<std::string, std::string>* metadata = nullptr);

}  // namespace astraea
