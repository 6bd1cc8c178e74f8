#include "astraea/io/safetensors.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "astraea/core/error.hpp"
#include "astraea/io/output_file.hpp"

namespace astraea {

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    uint64_t count = 1;
    for (int64_t d : t.shape) count *= static_cast<uint64_t>(d);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + 4 * count}}};
    offset += 4 * count;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  AtomicFile out(path);
  const uint64_t n = text.size();
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  out.write(len, 8);
  out.write(text);
  static_assert(sizeof(float) == 4, "F32");
  for (const NamedTensor& t : tensors) {
    uint64_t count = 1;
    for (int64_t d : t.shape) count *= static_cast<uint64_t>(d);
    out.write(t.data, 4 * count);  // x86/ARM: little-endian
  }
  out.commit();
}

std::map<std::string, LoadedTensor> read_safetensors(const std::string& path,
                                                     std::map<std::string, std::string>* metadata) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) ASTRAEA_FAIL("{}: cannot open (not a regular file)", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) ASTRAEA_FAIL("{}: cannot open", path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  if (in.bad()) ASTRAEA_FAIL("{}: read failed", path);
  if (bytes.size() < 8) ASTRAEA_FAIL("{}: not a safetensors file ({} bytes)", path, bytes.size());
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(static_cast<uint8_t>(bytes[i])) << (8 * i);
  if (n > bytes.size() - 8) ASTRAEA_FAIL("{}: header of {} bytes runs past the end", path, n);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  } catch (const nlohmann::json::exception& e) {
    ASTRAEA_FAIL("{}: bad header: {}", path, e.what());
  }
  const size_t data = 8 + n;
  std::map<std::string, LoadedTensor> out;
  if (!header.is_object()) ASTRAEA_FAIL("{}: bad header: not a JSON object", path);
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (metadata) {
        for (const auto& [k, v] : info.items()) {
          if (!v.is_string()) ASTRAEA_FAIL("{}: metadata {} is not a string", path, k);
          (*metadata)[k] = v.get<std::string>();
        }
      }
      continue;
    }
    if (!info.is_object() || !info.contains("dtype") || info["dtype"] != "F32") {
      ASTRAEA_FAIL("{}: tensor {} is not F32", path, name);
    }
    LoadedTensor t;
    std::vector<uint64_t> range;
    try {
      t.shape = info.at("shape").get<std::vector<int64_t>>();
      range = info.at("data_offsets").get<std::vector<uint64_t>>();
    } catch (const nlohmann::json::exception& e) {
      ASTRAEA_FAIL("{}: tensor {}: {}", path, name, e.what());
    }
    // Every product and sum checked: a crafted header must not reach outside the file.
    uint64_t count = 1;
    for (int64_t d : t.shape) {
      if (d < 0 || __builtin_mul_overflow(count, static_cast<uint64_t>(d), &count)) {
        ASTRAEA_FAIL("{}: tensor {} has a bad shape", path, name);
      }
    }
    uint64_t size = 0;
    const uint64_t available = bytes.size() - data;
    if (__builtin_mul_overflow(count, uint64_t{4}, &size) || range.size() != 2 || range[0] > range[1] ||
        range[1] > available || range[1] - range[0] != size) {
      ASTRAEA_FAIL("{}: tensor {} has a bad byte range", path, name);
    }
    t.data.resize(count);
    if (size > 0) std::memcpy(t.data.data(), bytes.data() + data + range[0], size);
    out.emplace(name, std::move(t));
  }
  return out;
}

}  // namespace astraea
