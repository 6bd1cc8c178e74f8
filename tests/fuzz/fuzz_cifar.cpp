// CIFAR-10 batch reader.
#include "astraea/data/readers.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = astraea::fuzz::write_input(data, size, "cifar");
  astraea::fuzz::expect_only_errors([&] { astraea::read_cifar10_batch(path); });
  return 0;
}
