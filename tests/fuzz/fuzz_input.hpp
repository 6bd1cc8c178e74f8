// Shared by the fuzz targets: the input as a file the readers can open (they take paths), in
// /dev/shm when it exists. Only astraea::Error may leave a reader; anything else aborts the target.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "astraea/core/error.hpp"

namespace astraea::fuzz {

inline std::string write_input(const uint8_t* data, size_t size, const char* name) {
  static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  const std::string path = dir + "/astraea-fuzz-" + std::to_string(getpid()) + "-" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

template <typename F>
void expect_only_errors(F&& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

}  // namespace astraea::fuzz
