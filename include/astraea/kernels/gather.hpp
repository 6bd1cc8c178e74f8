// Minibatch gathering, shared by both backends: uint8 samples picked by id from the training pool
// (original samples, then augmented ones) into float NHWC activations. An id of -1 is a masked row:
// zeros in, and a label of -1 that the loss ignores.
#pragma once

#include <cstdint>

#include "astraea/core/host_device.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_GATHER_OPS(X) \
  X(GatherImages) \
  X(GatherLabels)

// The training pool as the device sees it: ids [0, base_count) are original samples, ids from
// base_count on index the augmented samples.
struct SamplePool {
  const uint8_t* base_images;
  const int32_t* base_labels;
  int64_t base_count;
  const uint8_t* extra_images;
  const int32_t* extra_labels;
  int channels, height, width;
  ASTRAEA_HD int64_t sample_bytes() const { return int64_t(channels) * height * width; }
  ASTRAEA_HD const uint8_t* image(int32_t id) const {
    return id < base_count ? base_images + id * sample_bytes() : extra_images + (id - base_count) * sample_bytes();
  }
  ASTRAEA_HD int32_t label(int32_t id) const { return id < base_count ? base_labels[id] : extra_labels[id - base_count]; }
};

// (s, hw) over [replicas * batch] x (height * width): out[s][hw][c] = image(ids[s])[c][hw] / 255.
struct GatherImages {
  SamplePool pool;
  const int32_t* ids;
  float* out;
  ASTRAEA_HD void operator()(int64_t s, int64_t hw) const {
    const int32_t id = ids[s];
    const int64_t plane = int64_t(pool.height) * pool.width;
    float* o = out + (s * plane + hw) * pool.channels;
    const uint8_t* img = id < 0 ? nullptr : pool.image(id) + hw;
    for (int c = 0; c < pool.channels; ++c) o[c] = img ? static_cast<float>(img[c * plane]) * (1.0f / 255.0f) : 0.0f;
  }
  // The CPU backend's path: one sample's every pixel, its id read once (the same values).
  void sample(int64_t s) const {
    const int32_t id = ids[s];
    const int64_t plane = int64_t(pool.height) * pool.width;
    const int channels = pool.channels;
    float* __restrict o = out + s * plane * channels;
    if (id < 0) {
      for (int64_t k = 0; k < plane * channels; ++k) o[k] = 0.0f;
      return;
    }
    const uint8_t* __restrict img = pool.image(id);
    if (channels == 1) {  // the common case, unit stride both sides
      for (int64_t hw = 0; hw < plane; ++hw) o[hw] = static_cast<float>(img[hw]) * (1.0f / 255.0f);
      return;
    }
    for (int c = 0; c < channels; ++c)
      for (int64_t hw = 0; hw < plane; ++hw) o[hw * channels + c] = static_cast<float>(img[c * plane + hw]) * (1.0f / 255.0f);
  }
};

// (0, s): the label of each gathered sample, -1 for a masked row.
struct GatherLabels {
  SamplePool pool;
  const int32_t* ids;
  int32_t* out;
  ASTRAEA_HD void operator()(int64_t, int64_t s) const { out[s] = ids[s] < 0 ? -1 : pool.label(ids[s]); }
};

}  // namespace astraea
