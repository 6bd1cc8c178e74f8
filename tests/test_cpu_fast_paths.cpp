// The CPU backend runs some functors through fast paths (a sample or a replica row at a time,
// vectorised loops) while the CUDA backend calls them per element. Each fast path must give the
// per-element calls' values exactly: the CPU is the GPU's reference.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "astraea/backend/backend.hpp"
#include "astraea/kernels/activation.hpp"
#include "astraea/kernels/gather.hpp"
#include "astraea/kernels/spatial.hpp"
#include "astraea/kernels/update.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The CPU backend walks Im2col and Col2im a sample at a time (no divisions, no bounds checks inside
// the image); the device calls them per (row, channel). Both must give the same values, exactly.
TEST(ConvFunctors, SamplePathsEqualPerElementCalls) {
  const auto be = make_backend("cpu", 1);
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1, 1);
  // in_h, in_w, in_c, out_h, out_w, kernel_h, kernel_w, stride, pad
  for (const ConvGeometry g : {ConvGeometry{7, 6, 3, 5, 4, 3, 3, 1, 0}, ConvGeometry{7, 6, 2, 7, 6, 3, 3, 1, 1},
                               ConvGeometry{9, 9, 1, 3, 3, 5, 5, 2, 0}, ConvGeometry{8, 7, 2, 4, 4, 3, 3, 2, 1},
                               ConvGeometry{5, 5, 4, 4, 4, 2, 2, 1, 0}}) {
    const int64_t samples = 3, rows = samples * g.out_positions();
    std::vector<float> x(size_t(samples * g.in_pixels())), dcols(size_t(rows * g.patch()));
    for (auto& v : x) v = u(rng);
    for (auto& v : dcols) v = u(rng);
    std::vector<float> cols_fast(dcols.size(), kNaN), cols_each(dcols.size(), kNaN);
    be->launch(Im2col{x.data(), cols_fast.data(), g}, rows, g.in_c);
    const Im2col each{x.data(), cols_each.data(), g};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < g.in_c; ++c) each(r, c);
    ASSERT_EQ(cols_fast, cols_each) << "im2col, kernel " << g.kernel_h << " stride " << g.stride << " pad " << g.pad;
    std::vector<float> dx_fast(x.size(), kNaN), dx_each(x.size(), kNaN);
    const int64_t pixels = samples * g.in_h * g.in_w;
    be->launch(Col2im{dcols.data(), dx_fast.data(), g}, pixels, g.in_c);
    const Col2im gather{dcols.data(), dx_each.data(), g};
    for (int64_t p = 0; p < pixels; ++p)
      for (int64_t c = 0; c < g.in_c; ++c) gather(p, c);
    ASSERT_EQ(dx_fast, dx_each) << "col2im, kernel " << g.kernel_h << " stride " << g.stride << " pad " << g.pad;
  }
}

// The CPU backend runs OptimizerUpdate a replica row at a time, vectorised; the device per element.
// Every optimizer and every combination of step flags must give the same values exactly.
TEST(OptimizerUpdate, RowPathEqualsPerElementCalls) {
  const auto be = make_backend("cpu", 1);
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> u(-1, 1);
  const int64_t P = 37, R = 16;  // every flag combination: replica r has flags r
  std::vector<ReplicaStep> steps(R);
  for (int64_t r = 0; r < R; ++r) {
    steps[r].flags = uint32_t(r);
    steps[r].bias_correction1 = 1.0f + 0.1f * r;
    steps[r].bias_correction2 = 1.0f + 0.3f * r;
    steps[r].coef = 0.05f * (r + 1);
  }
  for (const OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kMomentum, OptimizerKind::kAdam}) {
    std::vector<float> w(R * P), grad(R * P), m(R * P), v(R * P), global(P), acc(P);
    for (auto* a : {&w, &grad, &m, &v, &global, &acc})
      for (auto& e : *a) e = u(rng);
    for (auto& e : v) e = std::fabs(e);
    auto w2 = w, m2 = m, v2 = v, acc2 = acc;
    OptimizerParams opt;
    opt.kind = kind;
    opt.lr = 0.03f;
    be->launch(OptimizerUpdate{opt, w.data(), grad.data(), m.data(), v.data(), global.data(), acc.data(), steps.data(), P},
               R, P);
    const OptimizerUpdate each{opt, w2.data(), grad.data(), m2.data(), v2.data(), global.data(), acc2.data(), steps.data(), P};
    for (int64_t r = 0; r < R; ++r)
      for (int64_t j = 0; j < P; ++j) each(r, j);
    EXPECT_EQ(w, w2) << "weights, optimizer " << int(kind);
    EXPECT_EQ(m, m2) << "first moments, optimizer " << int(kind);
    EXPECT_EQ(v, v2) << "second moments, optimizer " << int(kind);
    EXPECT_EQ(acc, acc2) << "aggregate, optimizer " << int(kind);
  }
}

TEST(WeightedDeltaSum, BlockedPathEqualsPerElementCalls) {
  const auto be = make_backend("cpu", 1);
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> u(-1, 1);
  for (const int64_t R : {1, 3, 8}) {
    for (const int64_t P : {5, 2048, 4101}) {  // one block, exactly one, a ragged last block
      std::vector<float> w(R * P), global(P), coef(R), acc(P);
      for (auto* a : {&w, &global, &coef, &acc})
        for (auto& e : *a) e = u(rng);
      auto acc2 = acc;
      be->launch(WeightedDeltaSum{acc.data(), w.data(), global.data(), coef.data(), R, P}, 1, P);
      const WeightedDeltaSum each{acc2.data(), w.data(), global.data(), coef.data(), R, P};
      for (int64_t j = 0; j < P; ++j) each(0, j);
      ASSERT_EQ(acc, acc2) << R << " replicas, " << P << " params";
    }
  }
}

TEST(BiasGrad, RowPathEqualsPerElementCalls) {
  const auto be = make_backend("cpu", 1);
  std::mt19937 rng(10);
  std::uniform_real_distribution<float> u(-1, 1);
  for (const int64_t features : {3, 1024, 1500}) {
    for (const float beta : {0.0f, 1.0f}) {
      const int64_t R = 3, batch = 7, stride = features + 5, offset = 2;
      std::vector<float> dy(R * batch * features), target(R * stride);
      for (auto& v : dy) v = u(rng);
      for (auto& v : target) v = u(rng);
      auto target2 = target;
      be->launch(BiasGrad{dy.data(), target.data(), stride, offset, batch, features, -0.1f, beta}, R, features);
      const BiasGrad each{dy.data(), target2.data(), stride, offset, batch, features, -0.1f, beta};
      for (int64_t r = 0; r < R; ++r)
        for (int64_t j = 0; j < features; ++j) each(r, j);
      ASSERT_EQ(target, target2) << features << " features, beta " << beta;
    }
  }
}

TEST(GatherImages, SamplePathEqualsPerElementCalls) {
  const auto be = make_backend("cpu", 1);
  std::mt19937 rng(9);
  for (const int channels : {1, 3}) {
    const int h = 5, w = 4, base = 6, extra = 3;
    std::vector<uint8_t> base_images(size_t(base) * channels * h * w), extra_images(size_t(extra) * channels * h * w);
    for (auto& v : base_images) v = uint8_t(rng());
    for (auto& v : extra_images) v = uint8_t(rng());
    const std::vector<int32_t> labels(base, 0), extra_labels(extra, 1);
    const SamplePool pool{base_images.data(), labels.data(), base, extra_images.data(), extra_labels.data(), channels, h, w};
    const std::vector<int32_t> ids = {4, -1, 7, 0, 8, -1};  // originals, augmented, masked rows
    const int64_t rows = int64_t(ids.size()), plane = h * w;
    std::vector<float> fast(size_t(rows * plane * channels), kNaN), each(fast.size(), kNaN);
    be->launch(GatherImages{pool, ids.data(), fast.data()}, rows, plane);
    const GatherImages g{pool, ids.data(), each.data()};
    for (int64_t s = 0; s < rows; ++s)
      for (int64_t hw = 0; hw < plane; ++hw) g(s, hw);
    ASSERT_EQ(fast, each) << channels << " channels";
  }
}

}  // namespace
}  // namespace astraea
