#include "reference_layers.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace astraea::testing::ref {

std::vector<double> dense(const double* x, int in, const double* w, const double* b, int out) {
  std::vector<double> y(out);
  for (int o = 0; o < out; ++o) {
    double s = b[o];
    for (int i = 0; i < in; ++i) s += w[int64_t(o) * in + i] * x[i];
    y[o] = s;
  }
  return y;
}

std::vector<double> conv2d(const double* x, int h, int w, int c, const double* weight, const double* bias, int oc,
                           int kernel, int stride, int pad) {
  const int oh_n = (h + 2 * pad - kernel) / stride + 1, ow_n = (w + 2 * pad - kernel) / stride + 1;
  std::vector<double> y(int64_t(oh_n) * ow_n * oc);
  for (int oh = 0; oh < oh_n; ++oh)
    for (int ow = 0; ow < ow_n; ++ow)
      for (int o = 0; o < oc; ++o) {
        double s = bias[o];
        for (int ch = 0; ch < c; ++ch)
          for (int ki = 0; ki < kernel; ++ki)
            for (int kj = 0; kj < kernel; ++kj) {
              const int ih = oh * stride - pad + ki, iw = ow * stride - pad + kj;
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;  // zero padding
              s += weight[((int64_t(o) * c + ch) * kernel + ki) * kernel + kj] * x[(int64_t(ih) * w + iw) * c + ch];
            }
        y[(int64_t(oh) * ow_n + ow) * oc + o] = s;
      }
  return y;
}

std::vector<double> max_pool(const double* x, int h, int w, int c, int size) {
  const int oh_n = h / size, ow_n = w / size;
  std::vector<double> y(int64_t(oh_n) * ow_n * c);
  for (int oh = 0; oh < oh_n; ++oh)
    for (int ow = 0; ow < ow_n; ++ow)
      for (int ch = 0; ch < c; ++ch) {
        double best = -INFINITY;
        for (int a = 0; a < size; ++a)
          for (int b = 0; b < size; ++b)
            best = std::max(best, x[(int64_t(oh * size + a) * w + ow * size + b) * c + ch]);
        y[(int64_t(oh) * ow_n + ow) * c + ch] = best;
      }
  return y;
}

std::vector<double> relu(const double* x, int64_t n) {
  std::vector<double> y(n);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : 0.0;
  return y;
}

std::vector<double> flatten_nhwc(const double* x, int h, int w, int c) {
  std::vector<double> y(int64_t(h) * w * c);
  for (int i = 0; i < h; ++i)
    for (int j = 0; j < w; ++j)
      for (int ch = 0; ch < c; ++ch) y[(int64_t(ch) * h + i) * w + j] = x[(int64_t(i) * w + j) * c + ch];
  return y;
}

std::vector<double> scale(const double* x, const float* mask, int64_t n) {
  std::vector<double> y(n);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * double(mask[i]);
  return y;
}

std::vector<float> uniform(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& f : v) f = d(gen);
  return v;
}

std::vector<float> away_from_zero(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::bernoulli_distribution sign(0.5);
  std::vector<float> v(n);
  for (float& f : v) f = sign(gen) ? d(gen) : -d(gen);
  return v;
}

namespace {

template <typename R>
::testing::AssertionResult close_impl(const std::string& what, const std::vector<float>& a, const std::vector<R>& ref,
                                      double atol, double rtol) {
  if (a.size() != ref.size()) {
    return ::testing::AssertionFailure() << what << ": size " << a.size() << " vs reference " << ref.size();
  }
  size_t bad = 0;
  std::ostringstream first;
  for (size_t i = 0; i < a.size(); ++i) {
    const double r = double(ref[i]), v = double(a[i]);
    const bool ok = std::isfinite(v) && std::isfinite(r) && std::fabs(v - r) <= atol + rtol * std::fabs(r);
    if (!ok && ++bad <= 5) first << "\n  [" << i << "] got " << v << ", reference " << r;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << bad << " of " << a.size() << " outside atol " << atol
                                       << " + rtol " << rtol << first.str();
}

}  // namespace

::testing::AssertionResult all_close(const std::string& what, const std::vector<float>& a,
                                     const std::vector<double>& ref, double atol, double rtol) {
  return close_impl(what, a, ref, atol, rtol);
}

::testing::AssertionResult all_close(const std::string& what, const std::vector<float>& a, const std::vector<float>& ref,
                                     double atol, double rtol) {
  return close_impl(what, a, ref, atol, rtol);
}

}  // namespace astraea::testing::ref
