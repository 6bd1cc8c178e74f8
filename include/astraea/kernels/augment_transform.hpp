// The augmentation transform, written once for both backends: one random op per generated image,
// drawn among those its class allows — an affine map about the image centre (shift, rotation,
// shear, zoom, horizontal flip; bilinear sampling, zero fill) or a brightness/contrast jitter of
// the pixel values. The op and its parameter are a pure function of (seed, client, sample, copy).
#pragma once

#include <cmath>
#include <cstdint>

#include "astraea/core/host_device.hpp"
#include "astraea/core/rng.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_AUGMENT_OPS(X) \
  X(AugmentImages)

struct AugmentRanges {
  float shift = 0.1f;         // +- fraction of the image size
  float rotation = 25.0f;     // +- degrees
  float shear = 25.0f;        // +- degrees
  float zoom_min = 0.5f;      // zoom factor range
  float zoom_max = 1.5f;
  float brightness = 0.2f;    // +- fraction of the full pixel range added
  float contrast = 0.2f;      // contrast factor in 1 +- this, about mid-grey
};

enum class AugmentOp : int { kShift = 0, kRotation = 1, kShear = 2, kZoom = 3, kFlip = 4, kBrightness = 5 };
constexpr int kAugmentOps = 6;
// A class's allowed ops, one bit per AugmentOp; the papers' four affine ops by default.
constexpr uint32_t kAffineOps = 0xFu;
constexpr uint32_t kAllOps = (1u << kAugmentOps) - 1;

// Output pixel p (relative to the centre) reads source pixel inv * (p - t) (relative to the centre),
// and its value becomes gain * v + bias.
struct AffineMap {
  float inv[4];  // row-major 2x2 inverse of the forward linear part
  float tx, ty;  // forward translation, pixels
  float gain, bias;
};

ASTRAEA_HD_INLINE AffineMap identity_map() { return AffineMap{{1, 0, 0, 1}, 0, 0, 1, 0}; }

// The forward map of `op` with parameter `a` (shift: fractions ax, ay of w, h; angles in degrees;
// zoom: factor; brightness: a the added fraction of 255, b the contrast factor), for an h x w image.
ASTRAEA_HD_INLINE AffineMap make_affine(AugmentOp op, float a, float b, int h, int w) {
  AffineMap m = identity_map();
  const float rad = a * 3.14159265358979f / 180.0f;
  switch (op) {
    case AugmentOp::kShift:
      m.tx = a * w;
      m.ty = b * h;
      break;
    case AugmentOp::kRotation: {  // forward [[c, -s], [s, c]]; inverse is its transpose
      const float c = cosf(rad), s = sinf(rad);
      m.inv[0] = c, m.inv[1] = s, m.inv[2] = -s, m.inv[3] = c;
      break;
    }
    case AugmentOp::kShear:  // forward [[1, tan], [0, 1]]
      m.inv[1] = -tanf(rad);
      break;
    case AugmentOp::kZoom:  // forward a * I
      m.inv[0] = m.inv[3] = 1.0f / a;
      break;
    case AugmentOp::kFlip:  // x -> -x
      m.inv[0] = -1.0f;
      break;
    case AugmentOp::kBrightness:  // v -> b (v - 127.5) + 127.5 + 255 a
      m.gain = b;
      m.bias = 127.5f * (1.0f - b) + 255.0f * a;
      break;
  }
  return m;
}

// The n-th (from 0) set bit of `mask`.
ASTRAEA_HD_INLINE int nth_set_bit(uint32_t mask, uint32_t n) {
  for (int op = 0; op < 32; ++op)
    if ((mask >> op) & 1u) {
      if (n == 0) return op;
      --n;
    }
  return 0;
}

ASTRAEA_HD_INLINE int count_bits(uint32_t mask) {
  int n = 0;
  for (; mask; mask &= mask - 1) ++n;
  return n;
}

// The random op of one generated image, among the ops `allowed` (with the four affine ops, the
// papers' choice: uniform over them).
ASTRAEA_HD_INLINE AffineMap random_affine(uint64_t seed, uint32_t client, uint32_t sample, uint32_t copy,
                                          const AugmentRanges& r, int h, int w, uint32_t allowed = kAffineOps) {
  const Philox4 bits = philox(seed, RngStream::kAugmentTransform, client, sample, copy, 0);
  const int choices = count_bits(allowed);
  if (choices == 0) return identity_map();
  const AugmentOp op = static_cast<AugmentOp>(nth_set_bit(allowed, bits.v[0] % uint32_t(choices)));
  const float u = to_unit_float(bits.v[1]), v = to_unit_float(bits.v[2]);
  switch (op) {
    case AugmentOp::kShift: return make_affine(op, (2 * u - 1) * r.shift, (2 * v - 1) * r.shift, h, w);
    case AugmentOp::kRotation: return make_affine(op, (2 * u - 1) * r.rotation, 0, h, w);
    case AugmentOp::kShear: return make_affine(op, (2 * u - 1) * r.shear, 0, h, w);
    case AugmentOp::kZoom: return make_affine(op, r.zoom_min + u * (r.zoom_max - r.zoom_min), 0, h, w);
    case AugmentOp::kFlip: return make_affine(op, 0, 0, h, w);
    default: return make_affine(op, (2 * u - 1) * r.brightness, 1 + (2 * v - 1) * r.contrast, h, w);
  }
}

// Row y of the output image (all x and channels), from a C x H x W uint8 source, bilinear, zero
// outside.
ASTRAEA_HD_INLINE void affine_row(const uint8_t* src, uint8_t* dst, const AffineMap& m, int channels, int h, int w,
                                  int y) {
  const float cx = 0.5f * (w - 1), cy = 0.5f * (h - 1);
  for (int x = 0; x < w; ++x) {
    const float qx = x - cx - m.tx, qy = y - cy - m.ty;
    const float sx = m.inv[0] * qx + m.inv[1] * qy + cx;
    const float sy = m.inv[2] * qx + m.inv[3] * qy + cy;
    const float fx = floorf(sx), fy = floorf(sy);
    const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
    const float ax = sx - fx, ay = sy - fy;
    for (int c = 0; c < channels; ++c) {
      const uint8_t* plane = src + c * h * w;
      float v = 0;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const int xx = x0 + dx, yy = y0 + dy;
          if (xx < 0 || xx >= w || yy < 0 || yy >= h) continue;
          v += (dx ? ax : 1 - ax) * (dy ? ay : 1 - ay) * plane[yy * w + xx];
        }
      const float r = floorf(m.gain * v + m.bias + 0.5f);
      dst[c * h * w + y * w + x] = static_cast<uint8_t>(r < 0 ? 0 : (r > 255 ? 255 : r));
    }
  }
}

// What one generated image is made of: its source and its map. The map is drawn on the host
// (random_affine) when the job is made, so both backends sample with the same floats: device
// sinf/cosf/tanf differ from the host's in the last bits, and the sampling itself is plain
// multiplies and adds, which the CUDA code compiles without contraction (--fmad=false) like the
// host (-ffp-contract=off). The two backends therefore make the same bytes.
struct AugmentJob {
  int32_t source;  // sample id in the original pool
  AffineMap map;
};

// The job of copy `copy` of sample `sample` (index within client `client`), among the ops `allowed`.
inline AugmentJob make_augment_job(int32_t source, uint64_t seed, uint32_t client, uint32_t sample, uint32_t copy,
                                   const AugmentRanges& ranges, int h, int w, uint32_t allowed) {
  return AugmentJob{source, random_affine(seed, client, sample, copy, ranges, h, w, allowed)};
}

// (image j, row y): generated image j, row y.
struct AugmentImages {
  const uint8_t* images;  // original pool, sample-major C x H x W
  const AugmentJob* jobs;
  uint8_t* out;
  int channels, height, width;
  ASTRAEA_HD void operator()(int64_t j, int64_t y) const {
    const AugmentJob& job = jobs[j];
    const int64_t bytes = int64_t(channels) * height * width;
    affine_row(images + job.source * bytes, out + j * bytes, job.map, channels, height, width, static_cast<int>(y));
  }
};

}  // namespace astraea
