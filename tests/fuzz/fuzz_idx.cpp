// IDX reader: the input's first byte splits it into an images file and a labels file.
#include "astraea/data/readers.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t split = std::min<size_t>(size - 1, data[0] * 4);
  const std::string images = astraea::fuzz::write_input(data + 1 + split, size - 1 - split, "images");
  const std::string labels = astraea::fuzz::write_input(data + 1, split, "labels");
  astraea::fuzz::expect_only_errors([&] { astraea::read_idx(images, labels); });
  return 0;
}
