// Independent reference implementations for the layer and model tests: plain loops in double
// precision over ONE sample of ONE replica, written from PyTorch's definitions (not from the
// engine's im2col/GEMM code), plus small helpers for random data and tolerance checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace astraea::testing::ref {

// nn.Linear: y = W x + b, W [out, in] row-major.
std::vector<double> dense(const double* x, int in, const double* w, const double* b, int out);

// nn.Conv2d over one NHWC sample, weight [OC, C, KH, KW], zero padding `pad` on every side.
std::vector<double> conv2d(const double* x, int h, int w, int c, const double* weight, const double* bias, int oc,
                           int kernel, int stride, int pad);

// nn.MaxPool2d(size): window = stride = size, floor mode. NHWC in and out.
std::vector<double> max_pool(const double* x, int h, int w, int c, int size);

// nn.ReLU.
std::vector<double> relu(const double* x, int64_t n);

// nn.Flatten of an NCHW tensor, given the sample in NHWC: output index c * h * w + i * w + j.
std::vector<double> flatten_nhwc(const double* x, int h, int w, int c);

// Inverted dropout with an explicit per-element scale (0 or 1 / (1 - rate)).
std::vector<double> scale(const double* x, const float* mask, int64_t n);

// Deterministic pseudo-random data (std::mt19937 under the given seed).
std::vector<float> uniform(size_t n, float lo, float hi, uint32_t seed);
// Like uniform(-hi, hi) but with |v| >= lo, so ReLU kinks stay far from finite-difference steps.
std::vector<float> away_from_zero(size_t n, float lo, float hi, uint32_t seed);

// Every a[i] is finite and |a[i] - ref[i]| <= atol + rtol * |ref[i]|; names the worst offenders.
::testing::AssertionResult all_close(const std::string& what, const std::vector<float>& a,
                                     const std::vector<double>& ref, double atol, double rtol);
::testing::AssertionResult all_close(const std::string& what, const std::vector<float>& a, const std::vector<float>& ref,
                                     double atol, double rtol);

}  // namespace astraea::testing::ref
