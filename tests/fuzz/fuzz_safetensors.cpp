// safetensors reader, and a checkpoint of the logreg model read from the same bytes.
#include "astraea/io/checkpoint.hpp"
#include "astraea/io/safetensors.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = astraea::fuzz::write_input(data, size, "checkpoint.safetensors");
  astraea::fuzz::expect_only_errors([&] { astraea::read_safetensors(path); });
  static const auto model = astraea::make_model("logreg", astraea::TensorShape{4, 4, 1}, 3);
  const std::string dir = path.substr(0, path.rfind('/'));
  // read_checkpoint reads DIR/checkpoint.safetensors: give the input that name.
  const std::string named = dir + "/checkpoint.safetensors";
  std::rename(path.c_str(), named.c_str());
  astraea::fuzz::expect_only_errors([&] { astraea::read_checkpoint(dir, *model); });
  return 0;
}
