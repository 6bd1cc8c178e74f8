// Shared helpers for the test suite: scratch files and error-message matching.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "astraea/core/error.hpp"

namespace astraea::testing {

// A fresh directory under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);
void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace astraea::testing

// Expects `stmt` to throw astraea::Error whose message contains every given fragment.
#define EXPECT_ERROR_MENTIONS(stmt, ...)                                          \
  do {                                                                            \
    try {                                                                         \
      stmt;                                                                       \
      ADD_FAILURE() << "expected astraea::Error from " #stmt;                      \
    } catch (const ::astraea::Error& e) {                                         \
      for (const std::string& frag : std::vector<std::string>{__VA_ARGS__}) {      \
        EXPECT_NE(std::string(e.what()).find(frag), std::string::npos)           \
            << "message \"" << e.what() << "\" lacks \"" << frag << "\"";         \
      }                                                                           \
    }                                                                             \
  } while (0)
