#include "astraea/data/dataset.hpp"

#include <fmt/format.h>

namespace astraea {

std::vector<int64_t> Dataset::class_histogram() const {
  std::vector<int64_t> h(classes, 0);
  for (int32_t y : labels) ++h[y];
  return h;
}

std::string Dataset::shape_string() const { return fmt::format("{} x {} x {} x {}", n, channels, height, width); }

}  // namespace astraea
