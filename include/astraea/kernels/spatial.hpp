// Spatial layer bodies (NHWC per sample) shared by both backends, called as f(row, channel):
// im2col/col2im for convolution, max-pooling, and the NHWC <-> NCHW change of the flatten layer that
// makes weights match PyTorch's layout. `samples` below counts every sample of every replica.
#pragma once

#include <cstdint>

#include "astraea/core/host_device.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_SPATIAL_OPS(X) \
  X(Im2col) \
  X(Col2im) \
  X(MaxPoolForward) \
  X(MaxPoolBackward) \
  X(NhwcNchw)

struct ConvGeometry {
  int in_h, in_w, in_c;
  int out_h, out_w;
  int kernel_h, kernel_w;
  int stride, pad;
  ASTRAEA_HD int64_t patch() const { return int64_t(in_c) * kernel_h * kernel_w; }
  ASTRAEA_HD int64_t in_pixels() const { return int64_t(in_h) * in_w * in_c; }
  ASTRAEA_HD int64_t out_positions() const { return int64_t(out_h) * out_w; }
};

// (row, c) over [samples * out_positions] x in_c: the kernel window of input channel c for one
// output position, zero outside the image. Patch columns are ordered (c, ki, kj), so a conv weight
// [OC x patch] is PyTorch's [OC, C, KH, KW].
struct Im2col {
  const float* x;
  float* cols;
  ConvGeometry g;
  ASTRAEA_HD void operator()(int64_t row, int64_t c) const {
    const int64_t sample = row / g.out_positions(), p = row % g.out_positions();
    window(sample, static_cast<int>(p / g.out_w), static_cast<int>(p % g.out_w), row, c);
  }
  // The CPU backend's path: every row of one sample, without a division per row and without bounds
  // checks for windows inside the image (the same values).
  void sample_rows(int64_t sample) const {
    int64_t row = sample * g.out_positions();
    const float* xs = x + sample * g.in_pixels();
    for (int oh = 0; oh < g.out_h; ++oh) {
      const int ih0 = oh * g.stride - g.pad;
      const bool rows_inside = ih0 >= 0 && ih0 + g.kernel_h <= g.in_h;
      for (int ow = 0; ow < g.out_w; ++ow, ++row) {
        const int iw0 = ow * g.stride - g.pad;
        if (!rows_inside || iw0 < 0 || iw0 + g.kernel_w > g.in_w) {
          for (int c = 0; c < g.in_c; ++c) window(sample, oh, ow, row, c);
          continue;
        }
        float* out = cols + row * g.patch();
        for (int c = 0; c < g.in_c; ++c) {
          for (int ki = 0; ki < g.kernel_h; ++ki) {
            const float* in = xs + (int64_t(ih0 + ki) * g.in_w + iw0) * g.in_c + c;
            for (int kj = 0; kj < g.kernel_w; ++kj) *out++ = in[int64_t(kj) * g.in_c];
          }
        }
      }
    }
  }
  ASTRAEA_HD void window(int64_t sample, int oh, int ow, int64_t row, int64_t c) const {
    const float* xs = x + sample * g.in_pixels() + c;
    float* out = cols + row * g.patch() + c * g.kernel_h * g.kernel_w;
    for (int ki = 0; ki < g.kernel_h; ++ki) {
      const int ih = oh * g.stride - g.pad + ki;
      for (int kj = 0; kj < g.kernel_w; ++kj) {
        const int iw = ow * g.stride - g.pad + kj;
        const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
        out[ki * g.kernel_w + kj] = inside ? xs[(int64_t(ih) * g.in_w + iw) * g.in_c] : 0.0f;
      }
    }
  }
};

// (pixel, c) over [samples * in_h * in_w] x in_c: dx = the sum of dcols over every patch entry that
// read this input (a gather, so no atomics). The output positions covering input row ih are
// oh in [ceil((ih + pad - kh + 1) / stride), floor((ih + pad) / stride)], likewise for columns.
struct Col2im {
  const float* dcols;
  float* dx;
  ConvGeometry g;
  ASTRAEA_HD static int first_cover(int i, int pad, int k, int stride) {
    const int t = i + pad - k + 1;
    return t <= 0 ? 0 : (t + stride - 1) / stride;
  }
  ASTRAEA_HD int last_cover(int i, int out) const {
    const int t = (i + g.pad) / g.stride;
    return t < out - 1 ? t : out - 1;
  }
  ASTRAEA_HD void operator()(int64_t pixel, int64_t c) const {
    const int64_t per = int64_t(g.in_h) * g.in_w;
    const int64_t sample = pixel / per, hw = pixel % per;
    const int ih = static_cast<int>(hw / g.in_w), iw = static_cast<int>(hw % g.in_w);
    gather(sample, ih, iw, c, first_cover(ih, g.pad, g.kernel_h, g.stride), last_cover(ih, g.out_h),
           first_cover(iw, g.pad, g.kernel_w, g.stride), last_cover(iw, g.out_w));
  }
  // The CPU backend's path: every pixel of one sample, the covering ranges computed once per row
  // and column.
  void sample_pixels(int64_t sample) const {
    for (int ih = 0; ih < g.in_h; ++ih) {
      const int oh0 = first_cover(ih, g.pad, g.kernel_h, g.stride), oh1 = last_cover(ih, g.out_h);
      for (int iw = 0; iw < g.in_w; ++iw) {
        const int ow0 = first_cover(iw, g.pad, g.kernel_w, g.stride), ow1 = last_cover(iw, g.out_w);
        for (int c = 0; c < g.in_c; ++c) gather(sample, ih, iw, c, oh0, oh1, ow0, ow1);
      }
    }
  }
  ASTRAEA_HD void gather(int64_t sample, int ih, int iw, int64_t c, int oh0, int oh1, int ow0, int ow1) const {
    const float* base = dcols + sample * g.out_positions() * g.patch() + c * g.kernel_h * g.kernel_w;
    float sum = 0;
    for (int oh = oh0; oh <= oh1; ++oh) {
      const int ki = ih + g.pad - oh * g.stride;
      for (int ow = ow0; ow <= ow1; ++ow) {
        const int kj = iw + g.pad - ow * g.stride;
        sum += base[(int64_t(oh) * g.out_w + ow) * g.patch() + ki * g.kernel_w + kj];
      }
    }
    dx[((sample * g.in_h + ih) * g.in_w + iw) * g.in_c + c] = sum;
  }
};

struct PoolGeometry {
  int in_h, in_w, channels;
  int out_h, out_w;
  int size;  // window = stride = size, floor mode (PyTorch's default)
};

// (out_pixel, c) over [samples * out_h * out_w] x channels.
struct MaxPoolForward {
  const float* x;
  float* y;
  PoolGeometry g;
  ASTRAEA_HD void operator()(int64_t out_pixel, int64_t c) const {
    const int64_t per = int64_t(g.out_h) * g.out_w;
    const int64_t sample = out_pixel / per, hw = out_pixel % per;
    const int oh = static_cast<int>(hw / g.out_w), ow = static_cast<int>(hw % g.out_w);
    const float* xs = x + sample * int64_t(g.in_h) * g.in_w * g.channels + c;
    float best = xs[(int64_t(oh * g.size) * g.in_w + ow * g.size) * g.channels];
    for (int a = 0; a < g.size; ++a)
      for (int b = 0; b < g.size; ++b) {
        const float v = xs[(int64_t(oh * g.size + a) * g.in_w + ow * g.size + b) * g.channels];
        best = v > best ? v : best;
      }
    y[out_pixel * g.channels + c] = best;
  }
};

// (in_pixel, c) over [samples * in_h * in_w] x channels: dy of the window if this input holds the
// window's first maximum (the forward's choice), else 0.
struct MaxPoolBackward {
  const float* x;
  const float* dy;
  float* dx;
  PoolGeometry g;
  ASTRAEA_HD void operator()(int64_t in_pixel, int64_t c) const {
    const int64_t per = int64_t(g.in_h) * g.in_w;
    const int64_t sample = in_pixel / per, hw = in_pixel % per;
    const int ih = static_cast<int>(hw / g.in_w), iw = static_cast<int>(hw % g.in_w);
    const int oh = ih / g.size, ow = iw / g.size;
    float& out = dx[in_pixel * g.channels + c];
    if (oh >= g.out_h || ow >= g.out_w) {
      out = 0.0f;
      return;
    }
    const float* xs = x + sample * per * g.channels + c;
    int best_a = 0, best_b = 0;
    float best = xs[(int64_t(oh * g.size) * g.in_w + ow * g.size) * g.channels];
    for (int a = 0; a < g.size; ++a)
      for (int b = 0; b < g.size; ++b) {
        const float v = xs[(int64_t(oh * g.size + a) * g.in_w + ow * g.size + b) * g.channels];
        if (v > best) best = v, best_a = a, best_b = b;
      }
    const bool mine = oh * g.size + best_a == ih && ow * g.size + best_b == iw;
    out = mine ? dy[((sample * g.out_h + oh) * g.out_w + ow) * g.channels + c] : 0.0f;
  }
};

// (sample * channels + c, hw): between NHWC and NCHW per sample; `to_nchw` picks the direction.
// The NCHW side is the contiguous one.
struct NhwcNchw {
  const float* in;
  float* out;
  int64_t hw_count;  // h * w
  int64_t channels;
  bool to_nchw;
  ASTRAEA_HD void operator()(int64_t plane, int64_t hw) const {
    const int64_t sample = plane / channels, c = plane % channels;
    const int64_t nchw = plane * hw_count + hw;
    const int64_t nhwc = (sample * hw_count + hw) * channels + c;
    if (to_nchw) {
      out[nchw] = in[nhwc];
    } else {
      out[nhwc] = in[nchw];
    }
  }
};

}  // namespace astraea
