#include "byte_source.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <unistd.h>
#include <zlib.h>

#include "astraea/core/error.hpp"

namespace astraea {

GzReader::GzReader(const std::string& path) : path_(path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) ASTRAEA_FAIL("{}: cannot open (a directory)", path);
  gzFile raw = gzopen(path.c_str(), "rb");
  if (raw == nullptr) ASTRAEA_FAIL("{}: cannot open ({})", path, std::strerror(errno));
  gzbuffer(raw, 1 << 20);
  file_ = raw;
}

GzReader::~GzReader() {
  if (file_) gzclose(static_cast<gzFile>(file_));
}

std::vector<uint8_t> GzReader::read(uint64_t bytes) {
  gzFile raw = static_cast<gzFile>(file_);
  std::vector<uint8_t> out;
  constexpr uint64_t kChunk = 1 << 20;
  while (out.size() < bytes) {
    const uint64_t want = std::min<uint64_t>(kChunk, bytes - out.size());
    const size_t at = out.size();
    out.resize(at + want);
    const int got = gzread(raw, out.data() + at, static_cast<unsigned>(want));
    if (got < 0) {
      int code = 0;
      ASTRAEA_FAIL("{}: corrupt or truncated gzip data ({})", path_, gzerror(raw, &code));
    }
    out.resize(at + static_cast<size_t>(got));
    if (got == 0) break;
  }
  if (out.size() < bytes) {
    // zlib reports a stream cut short only through gzerror once it hits EOF.
    int code = 0;
    const char* what = gzerror(raw, &code);
    if (code != Z_OK && code != Z_STREAM_END) ASTRAEA_FAIL("{}: corrupt or truncated gzip data ({})", path_, what);
  }
  return out;
}

std::vector<uint8_t> read_all_bytes(const std::string& path, uint64_t limit) {
  GzReader in(path);
  std::vector<uint8_t> bytes = in.read(limit + 1);
  if (bytes.size() > limit) ASTRAEA_FAIL("{}: holds more than {} bytes (decompressed), more than this reader takes", path, limit);
  return bytes;
}

uint64_t memory_limit_bytes() {
  return static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace astraea
