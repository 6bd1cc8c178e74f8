// Experiment configs: TOML text through parsing and every key's validation.
#include <string>

#include "astraea/io/config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  astraea::fuzz::expect_only_errors([&] { astraea::parse_config(text, "fuzz.toml"); });
  return 0;
}
