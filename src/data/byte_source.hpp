// Reads a whole file, transparently gunzipping it (zlib reads plain files as is), with errors that
// name the file. Private to src/data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace astraea {

// The file's (decompressed) bytes. Throws astraea::Error when it cannot be opened or the gzip
// stream is corrupt or truncated.
std::vector<uint8_t> read_all_bytes(const std::string& path);

}  // namespace astraea
