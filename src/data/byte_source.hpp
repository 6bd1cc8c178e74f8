// Reading files, transparently gunzipped (zlib reads plain files as is), with errors that name the
// file. Inflation is bounded: a reader asks for what the format's header promises, so a small file
// that inflates to gigabytes is refused after the promised size, not after filling memory.
// Private to src/data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace astraea {

class GzReader {
 public:
  explicit GzReader(const std::string& path);  // throws when it cannot be opened
  ~GzReader();
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Up to `bytes` more bytes (fewer only at the end of the data); throws on corrupt or truncated gzip.
  std::vector<uint8_t> read(uint64_t bytes);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* file_ = nullptr;  // gzFile
};

// The whole (decompressed) file, refused with an error naming it when it holds more than `limit`
// bytes.
std::vector<uint8_t> read_all_bytes(const std::string& path, uint64_t limit);

// Bytes the process may reasonably hold: physical memory.
uint64_t memory_limit_bytes();

}  // namespace astraea
