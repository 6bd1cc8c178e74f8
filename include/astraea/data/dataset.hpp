// A labelled image data set held as one uint8 tensor [n x channels x height x width] (the layout of
// IDX and CIFAR files) plus int labels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace astraea {

struct Dataset {
  std::vector<uint8_t> images;  // n * sample_bytes(), sample-major, each sample C x H x W
  std::vector<int32_t> labels;  // n, each in [0, classes)
  int64_t n = 0;
  int channels = 0;
  int height = 0;
  int width = 0;
  int classes = 0;
  std::string name;  // where it came from, for messages and reports

  size_t sample_bytes() const { return static_cast<size_t>(channels) * height * width; }
  const uint8_t* image(int64_t i) const { return images.data() + static_cast<size_t>(i) * sample_bytes(); }
  std::vector<int64_t> class_histogram() const;
  std::string shape_string() const;  // "60000 x 1 x 28 x 28"
};

struct TrainTest {
  Dataset train;
  Dataset test;
};

}  // namespace astraea
