#include "byte_source.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

#include <zlib.h>

#include "astraea/core/error.hpp"

namespace astraea {

std::vector<uint8_t> read_all_bytes(const std::string& path) {
  gzFile raw = gzopen(path.c_str(), "rb");
  if (raw == nullptr) ASTRAEA_FAIL("{}: cannot open ({})", path, std::strerror(errno));
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(raw, gzclose);
  gzbuffer(raw, 1 << 20);
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> chunk(1 << 20);
  for (;;) {
    const int got = gzread(raw, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) {
      int code = 0;
      const char* what = gzerror(raw, &code);
      ASTRAEA_FAIL("{}: corrupt or truncated gzip data ({})", path, what);
    }
    if (got == 0) break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + got);
  }
  // zlib reports a stream cut short only through gzerror once it hits EOF.
  int code = 0;
  const char* what = gzerror(raw, &code);
  if (code != Z_OK && code != Z_STREAM_END) ASTRAEA_FAIL("{}: corrupt or truncated gzip data ({})", path, what);
  return bytes;
}

}  // namespace astraea
