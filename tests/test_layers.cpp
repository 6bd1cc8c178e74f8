// The layers one at a time on the CPU backend: the float32 forward against an independent double
// reference (tests/reference_layers.*), and Layer::backward against central finite differences of
// L = sum(y * g) through that reference, for the input and every parameter. Replicas get different
// parameters (and dropout keys) so that a replica mix-up shows. Then the GradTarget modes: plain,
// fused SGD into a copy or into the weights themselves, general (alpha, beta), a target stride
// other than the parameter stride, and a parameter stride of 0 (shared weights).
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "astraea/backend/backend.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/kernels/activation.hpp"
#include "astraea/nn/layer.hpp"
#include "reference_layers.hpp"
#include "loop_conv_backend.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

namespace ref = astraea::testing::ref;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kAtol = 1e-4, kRtol = 1e-3;  // float32 engine vs float64 reference
constexpr double kStep = 1e-5;                // central-difference step (float64)

// Reference forward of sample b of replica r: x is that sample, params that replica's vector.
using RefForward = std::function<std::vector<double>(int r, int b, const double* x, const double* params)>;

// One layer's inputs, parameters and pass on the CPU backend, and the engine's results.
struct LayerData {
  LayerData(const Layer& l, int replicas, int batch, uint32_t seed, std::vector<uint32_t> replica_keys = {},
            std::unique_ptr<Backend> backend = nullptr)
      : layer(l), R(replicas), B(batch), P(l.param_count()), nin(l.input_shape().size()),
        nout(l.output_shape().size()), be(backend ? std::move(backend) : make_backend("cpu", 1)),
        keys(std::move(replica_keys)) {
    params = ref::uniform(size_t(R * P), -0.5f, 0.5f, seed);  // a different vector per replica
    x = ref::away_from_zero(size_t(R * B * nin), 0.05f, 1.0f, seed + 1);
    g = ref::uniform(size_t(R * B * nout), -1.0f, 1.0f, seed + 2);
    // NaN-filled, so a layer that reads scratch it did not write shows.
    scratch.assign(size_t(std::max<int64_t>(1, R * l.scratch_floats(B))), kNaN);
    saved.assign(size_t(std::max<int64_t>(1, R * l.saved_floats(B))), kNaN);
    if (keys.empty())
      for (int r = 0; r < R; ++r) keys.push_back(1000u + 17u * uint32_t(r));
    pass.backend = be.get();
    pass.replicas = R;
    pass.batch = B;
    pass.params = params.data();
    pass.param_stride = P;
    pass.training = true;
    pass.replica_key = keys.data();
    pass.seed = 4242;
    pass.step = 3;
    pass.round = 2;
    pass.scratch = scratch.data();
    pass.saved = saved.data();
  }

  std::vector<float> forward() const {
    std::vector<float> y(size_t(R * B * nout), kNaN);
    layer.forward(pass, x.data(), y.data());
    return y;
  }
  // dy = g, after forward(); returns dx and writes parameter gradients through `target`.
  std::vector<float> backward(const std::vector<float>& y, const GradTarget& target) const {
    std::vector<float> dx(size_t(R * B * nin), kNaN);
    layer.backward(pass, x.data(), y.data(), g.data(), dx.data(), target);
    return dx;
  }

  const Layer& layer;
  int R, B;
  int64_t P, nin, nout;
  std::unique_ptr<Backend> be;
  std::vector<float> params, x, g, scratch, saved;
  std::vector<uint32_t> keys;
  LayerPass pass;
};

double dot(const std::vector<double>& y, const float* g) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += y[i] * double(g[i]);
  return s;
}

// Forward against the reference; dx and parameter gradients against central differences.
void check_layer(const LayerData& d, const RefForward& reference) {
  const int R = d.R, B = d.B;
  const int64_t P = d.P, nin = d.nin, nout = d.nout;
  const std::vector<double> xd(d.x.begin(), d.x.end()), pd(d.params.begin(), d.params.end());
  auto sample_loss = [&](int r, int b, const double* xs, const double* pr) {
    const std::vector<double> y = reference(r, b, xs, pr);
    EXPECT_EQ(int64_t(y.size()), nout);
    return dot(y, d.g.data() + (int64_t(r) * B + b) * nout);
  };

  std::vector<double> y_ref;
  for (int r = 0; r < R; ++r)
    for (int b = 0; b < B; ++b) {
      const std::vector<double> y = reference(r, b, xd.data() + (int64_t(r) * B + b) * nin, pd.data() + r * P);
      ASSERT_EQ(int64_t(y.size()), nout);
      y_ref.insert(y_ref.end(), y.begin(), y.end());
    }

  const std::vector<float> y = d.forward();
  EXPECT_TRUE(ref::all_close(d.layer.kind() + " forward", y, y_ref, kAtol, kRtol));

  std::vector<float> grad(size_t(R * P), kNaN);  // NaN: beta = 0 must not read the target
  const std::vector<float> dx = d.backward(y, GradTarget{grad.data(), P, 1.0f, 0.0f});

  std::vector<double> fd_dx(size_t(R * B * nin));
  for (int r = 0; r < R; ++r)
    for (int b = 0; b < B; ++b) {
      const int64_t at = (int64_t(r) * B + b) * nin;
      std::vector<double> xs(xd.begin() + at, xd.begin() + at + nin);
      for (int64_t i = 0; i < nin; ++i) {
        const double keep = xs[size_t(i)];
        xs[size_t(i)] = keep + kStep;
        const double up = sample_loss(r, b, xs.data(), pd.data() + r * P);
        xs[size_t(i)] = keep - kStep;
        const double down = sample_loss(r, b, xs.data(), pd.data() + r * P);
        xs[size_t(i)] = keep;
        fd_dx[size_t(at + i)] = (up - down) / (2 * kStep);
      }
    }
  EXPECT_TRUE(ref::all_close(d.layer.kind() + " input gradient", dx, fd_dx, kAtol, kRtol));

  std::vector<double> fd_grad(size_t(R * P));
  for (int r = 0; r < R; ++r) {
    std::vector<double> pr(pd.begin() + r * P, pd.begin() + (r + 1) * P);
    auto replica_loss = [&]() {
      double s = 0;
      for (int b = 0; b < B; ++b) s += sample_loss(r, b, xd.data() + (int64_t(r) * B + b) * nin, pr.data());
      return s;
    };
    for (int64_t j = 0; j < P; ++j) {
      const double keep = pr[size_t(j)];
      pr[size_t(j)] = keep + kStep;
      const double up = replica_loss();
      pr[size_t(j)] = keep - kStep;
      const double down = replica_loss();
      pr[size_t(j)] = keep;
      fd_grad[size_t(r * P + j)] = (up - down) / (2 * kStep);
    }
  }
  EXPECT_TRUE(ref::all_close(d.layer.kind() + " parameter gradient", grad, fd_grad, kAtol, kRtol));
}

// Reference closures over one layer's shapes and parameter offsets.
RefForward dense_ref(const Layer& l) {
  const int in = l.input_shape().c, out = l.output_shape().c;
  const int64_t w = l.params()[0].offset, bias = l.params()[1].offset;
  return [=](int, int, const double* x, const double* p) { return ref::dense(x, in, p + w, p + bias, out); };
}

RefForward conv_ref(const Layer& l, int kernel, int stride, int pad) {
  const TensorShape in = l.input_shape();
  const int oc = l.output_shape().c;
  const int64_t w = l.params()[0].offset, bias = l.params()[1].offset;
  return [=](int, int, const double* x, const double* p) {
    return ref::conv2d(x, in.h, in.w, in.c, p + w, p + bias, oc, kernel, stride, pad);
  };
}

struct ConvCase {
  TensorShape in;
  int out_channels, kernel, stride;
  bool same;
};

void check_conv(const ConvCase& c, int replicas, int batch, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "conv " << c.in.h << "x" << c.in.w << "x" << c.in.c << " -> " << c.out_channels
                                    << ", kernel " << c.kernel << ", stride " << c.stride << (c.same ? " same" : " valid"));
  const auto layer = make_conv2d(c.in, c.out_channels, c.kernel, c.stride, c.same);
  layer->place(0, 0);
  const int pad = c.same ? c.kernel / 2 : 0;
  const TensorShape out = layer->output_shape();
  EXPECT_EQ(out.h, (c.in.h + 2 * pad - c.kernel) / c.stride + 1);
  EXPECT_EQ(out.w, (c.in.w + 2 * pad - c.kernel) / c.stride + 1);
  EXPECT_EQ(out.c, c.out_channels);
  ASSERT_EQ(layer->params().size(), 2u);
  EXPECT_EQ(layer->params()[0].shape, (std::vector<int64_t>{c.out_channels, c.in.c, c.kernel, c.kernel}));
  EXPECT_EQ(layer->params()[1].shape, (std::vector<int64_t>{c.out_channels}));
  check_layer(LayerData(*layer, replicas, batch, seed), conv_ref(*layer, c.kernel, c.stride, pad));
}

TEST(LayerGradient, Dense) {
  const auto layer = make_dense(TensorShape{1, 1, 7}, 5);
  layer->place(1, 0);
  ASSERT_EQ(layer->params().size(), 2u);
  EXPECT_EQ(layer->params()[0].name, "1.weight");
  EXPECT_EQ(layer->params()[0].shape, (std::vector<int64_t>{5, 7}));
  EXPECT_EQ(layer->params()[1].name, "1.bias");
  EXPECT_EQ(layer->params()[1].shape, (std::vector<int64_t>{5}));
  check_layer(LayerData(*layer, 3, 2, 11), dense_ref(*layer));
}

TEST(LayerGradient, Conv2dValid) { check_conv({{6, 5, 3}, 4, 3, 1, false}, 2, 3, 21); }

TEST(LayerGradient, Conv2dSame) {
  check_conv({{5, 4, 2}, 3, 3, 1, true}, 3, 2, 31);
  check_conv({{4, 4, 1}, 2, 5, 1, true}, 2, 2, 32);  // padding 2, wider than half the image
}

TEST(LayerGradient, Conv2dStride2) {
  check_conv({{8, 7, 2}, 3, 3, 2, false}, 2, 3, 41);  // the last row of the input is never read
  check_conv({{6, 6, 2}, 4, 2, 2, false}, 3, 2, 42);
  check_conv({{7, 7, 1}, 2, 5, 2, false}, 2, 2, 43);  // as emnist_cnn's first layer
}

// The library engine (Backend::conv_* over NCHW copies; here direct loops standing in for cuDNN)
// against the float64 reference and finite differences, on the same cases as im2col.
TEST(LayerGradient, Conv2dThroughALibrary) {
  const std::vector<std::pair<ConvCase, int>> cases = {{{{6, 5, 3}, 4, 3, 1, false}, 51},
                                                       {{{5, 4, 2}, 3, 3, 1, true}, 52},
                                                       {{{4, 4, 1}, 2, 5, 1, true}, 53},
                                                       {{{8, 7, 2}, 3, 3, 2, false}, 54}};
  for (const auto& [c, seed] : cases) {
    SCOPED_TRACE(::testing::Message() << "library conv " << c.in.h << "x" << c.in.w << "x" << c.in.c << ", kernel "
                                      << c.kernel << ", stride " << c.stride);
    const auto layer = make_conv2d(c.in, c.out_channels, c.kernel, c.stride, c.same);
    layer->place(0, 0);
    const int64_t patches = layer->saved_floats(3);
    layer->use_library_conv(true);
    EXPECT_EQ(layer->saved_floats(3), 3 * c.in.size()) << "the library keeps the input, not the patches";
    EXPECT_LT(layer->saved_floats(3), patches);
    check_layer(LayerData(*layer, 2, 3, seed, {}, testing::make_loop_conv_backend()),
                conv_ref(*layer, c.kernel, c.stride, c.same ? c.kernel / 2 : 0));
  }
}

// A fused SGD step (the gradient written into the weights themselves) must compute the input
// gradient from the weights before the step, as im2col + GEMM does.
TEST(Conv2dLibrary, FusedStepReadsTheWeightsBeforeUpdatingThem) {
  const ConvCase c{{6, 6, 2}, 3, 3, 1, true};
  auto engine = [&](bool library) {
    const auto layer = make_conv2d(c.in, c.out_channels, c.kernel, c.stride, c.same);
    layer->place(0, 0);
    layer->use_library_conv(library);
    LayerData d(*layer, 3, 2, 61, {}, library ? testing::make_loop_conv_backend() : make_backend("cpu", 1));
    std::vector<float> weights = d.params;
    d.pass.params = weights.data();
    const std::vector<float> y = d.forward();
    const std::vector<float> dx = d.backward(y, GradTarget{weights.data(), d.P, -0.1f, 1.0f});
    return std::make_pair(dx, weights);
  };
  const auto [dx_gemm, w_gemm] = engine(false);
  const auto [dx_lib, w_lib] = engine(true);
  std::vector<double> dx_ref(dx_gemm.begin(), dx_gemm.end()), w_ref(w_gemm.begin(), w_gemm.end());
  EXPECT_TRUE(ref::all_close("input gradient", dx_lib, dx_ref, 1e-5, 1e-5));
  EXPECT_TRUE(ref::all_close("stepped weights", w_lib, w_ref, 1e-5, 1e-5));
}

TEST(LayerGradient, MaxPool) {
  for (const auto& [in, size] : std::vector<std::pair<TensorShape, int>>{{{5, 7, 3}, 2}, {{7, 6, 2}, 3}, {{4, 4, 2}, 2}}) {
    SCOPED_TRACE(::testing::Message() << "pool " << size << " over " << in.h << "x" << in.w << "x" << in.c);
    const auto layer = make_max_pool(in, size);
    layer->place(0, 0);
    EXPECT_EQ(layer->output_shape(), (TensorShape{in.h / size, in.w / size, in.c}));  // floor mode
    check_layer(LayerData(*layer, 3, 2, 51 + uint32_t(size)), [=](int, int, const double* x, const double*) {
      return ref::max_pool(x, in.h, in.w, in.c, size);
    });
  }
}

TEST(LayerGradient, Relu) {
  const TensorShape in{2, 3, 4};
  const auto layer = make_relu(in);
  layer->place(0, 0);
  check_layer(LayerData(*layer, 2, 3, 61), [=](int, int, const double* x, const double*) {
    return ref::relu(x, in.size());
  });
}

TEST(LayerGradient, Flatten) {
  const TensorShape in{3, 4, 2};
  const auto layer = make_flatten(in);
  layer->place(0, 0);
  EXPECT_EQ(layer->output_shape(), (TensorShape{1, 1, 24}));
  check_layer(LayerData(*layer, 2, 3, 71), [=](int, int, const double* x, const double*) {
    return ref::flatten_nhwc(x, in.h, in.w, in.c);
  });
}

// The Dropout functor run on ones for replica r alone (its key, a one-replica launch): the scale
// each element of that replica gets. The layer must draw the same mask inside a multi-replica tile.
std::vector<float> dropout_mask(const LayerData& d, int layer_index, float rate, int r, uint32_t round) {
  const int64_t per = int64_t(d.B) * d.nin;
  const std::vector<float> ones(size_t(per), 1.0f);
  std::vector<float> mask(size_t(per), kNaN);
  const uint32_t salt = (round << 8) + uint32_t(layer_index);
  d.be->launch(Dropout{ones.data(), mask.data(), &d.keys[size_t(r)], d.pass.seed, d.pass.step, salt, per, rate}, 1,
               Dropout::quads(per));
  return mask;
}

// Element e of a replica keeps word e % 4 of the Philox draw at counter e / 4, whatever the length
// (the functor serves four elements per call and must stop at the replica's end).
TEST(Dropout, ElementEKeepsWordEMod4OfDrawEDiv4) {
  const auto be = make_backend("cpu", 1);
  const uint32_t keys[2] = {11u, 12u};
  for (int64_t per : {1, 6, 7, 13}) {
    const std::vector<float> in(size_t(2 * per) + 3, 2.0f);
    std::vector<float> out(in.size(), kNaN);
    const float rate = 0.5f;
    be->launch(Dropout{in.data(), out.data(), keys, 5, 3, 9, per, rate}, 2, Dropout::quads(per));
    for (int64_t r = 0; r < 2; ++r) {
      for (int64_t e = 0; e < per; ++e) {
        const Philox4 bits = philox(5, RngStream::kDropout, uint32_t(e / 4), 3, keys[r], 9);
        const float expected = to_unit_float(bits.v[e % 4]) < rate ? 0.0f : 4.0f;
        ASSERT_EQ(out[size_t(r * per + e)], expected) << "per " << per << " replica " << r << " element " << e;
      }
    }
    for (size_t i = size_t(2 * per); i < out.size(); ++i) ASSERT_TRUE(std::isnan(out[i])) << "wrote past the end";
  }
}

TEST(LayerGradient, DropoutTraining) {
  const TensorShape in{2, 3, 4};
  const float rate = 0.4f;
  const auto layer = make_dropout(in, rate);
  layer->place(4, 0);
  const LayerData d(*layer, 3, 2, 81, {901u, 17u, 400000u});
  std::vector<float> mask;
  for (int r = 0; r < d.R; ++r) {
    const std::vector<float> m = dropout_mask(d, 4, rate, r, d.pass.round);
    mask.insert(mask.end(), m.begin(), m.end());
  }
  int dropped = 0;
  for (float m : mask) {
    EXPECT_TRUE(m == 0.0f || m == 1.0f / (1.0f - rate)) << m;
    dropped += m == 0.0f;
  }
  EXPECT_GT(dropped, int(mask.size()) / 5);  // 40% of 144, give or take
  EXPECT_LT(dropped, int(mask.size()) * 3 / 5);
  const int64_t per = int64_t(d.B) * d.nin;
  EXPECT_FALSE(std::equal(mask.begin(), mask.begin() + per, mask.begin() + per)) << "replicas 0 and 1 share a mask";
  EXPECT_FALSE(std::equal(mask.begin() + per, mask.begin() + 2 * per, mask.begin() + 2 * per));
  const int64_t n = in.size();
  check_layer(d, [&](int r, int b, const double* x, const double*) {
    return ref::scale(x, mask.data() + (int64_t(r) * d.B + b) * n, n);
  });
}

TEST(LayerDropout, MasksDependOnRoundAndLayer) {
  const auto layer = make_dropout(TensorShape{1, 1, 32}, 0.5f);
  layer->place(2, 0);
  const LayerData d(*layer, 1, 2, 91);
  EXPECT_NE(dropout_mask(d, 2, 0.5f, 0, 2), dropout_mask(d, 2, 0.5f, 0, 3));
  EXPECT_NE(dropout_mask(d, 2, 0.5f, 0, 2), dropout_mask(d, 5, 0.5f, 0, 2));
}

// Outside training dropout is the identity both ways, so backward matches the forward that ran.
TEST(LayerDropout, EvaluationIsIdentityBothWays) {
  const auto layer = make_dropout(TensorShape{2, 2, 3}, 0.5f);
  layer->place(1, 0);
  LayerData d(*layer, 2, 3, 95);
  d.pass.training = false;
  EXPECT_EQ(d.forward(), d.x);
  EXPECT_EQ(d.backward(d.forward(), GradTarget{}), d.g);
}

// The fused and general GradTarget modes against the plain gradient.
void check_grad_targets(const Layer& layer, uint32_t seed) {
  SCOPED_TRACE(layer.kind());
  const LayerData d(layer, 3, 2, seed);
  const int R = d.R;
  const int64_t P = d.P;
  const std::vector<float> y = d.forward();
  std::vector<float> grad(size_t(R * P), kNaN);
  const std::vector<float> dx = d.backward(y, GradTarget{grad.data(), P, 1.0f, 0.0f});

  // Fused SGD into a copy of the weights: w - lr * grad.
  const float lr = 0.05f;
  std::vector<float> w = d.params, expect(size_t(R * P));
  for (size_t i = 0; i < w.size(); ++i) expect[i] = d.params[i] - lr * grad[i];
  EXPECT_EQ(d.backward(y, GradTarget{w.data(), P, -lr, 1.0f}), dx);
  EXPECT_TRUE(ref::all_close("fused SGD into a copy", w, expect, 1e-6, 1e-6));

  // Fused SGD into the weights being read: the input gradient still sees the old weights.
  LayerData in_place(layer, 3, 2, seed);
  const std::vector<float> dx_in_place =
      in_place.backward(in_place.forward(), GradTarget{in_place.params.data(), P, -lr, 1.0f});
  EXPECT_TRUE(ref::all_close("input gradient with in-place SGD", dx_in_place, dx, 1e-6, 1e-6));
  EXPECT_TRUE(ref::all_close("in-place SGD", in_place.params, expect, 1e-6, 1e-6));

  // General (alpha, beta) into a target whose stride is not the parameter stride; the padding
  // between replicas stays untouched.
  const int64_t stride = P + 5;
  const float alpha = 0.5f, beta = 2.0f;
  std::vector<float> t = ref::uniform(size_t(R * stride), -1.0f, 1.0f, seed + 7), t_expect = t;
  for (int r = 0; r < R; ++r)
    for (int64_t j = 0; j < P; ++j) t_expect[size_t(r * stride + j)] = beta * t[size_t(r * stride + j)] + alpha * grad[size_t(r * P + j)];
  d.backward(y, GradTarget{t.data(), stride, alpha, beta});
  EXPECT_TRUE(ref::all_close("alpha 0.5, beta 2, padded stride", t, t_expect, 1e-6, 1e-6));
}

TEST(LayerGradTarget, FusedAndGeneralModes) {
  const auto dense = make_dense(TensorShape{1, 1, 6}, 4);
  dense->place(0, 0);
  check_grad_targets(*dense, 101);
  const auto conv = make_conv2d(TensorShape{5, 5, 2}, 3, 3, 2, false);
  conv->place(0, 0);
  check_grad_targets(*conv, 102);
}

// A parameter stride of 0: every replica runs replica 0's parameters.
TEST(LayerGradTarget, SharedParametersWithStrideZero) {
  const auto conv = make_conv2d(TensorShape{4, 5, 2}, 3, 3, 1, true);
  conv->place(0, 0);
  LayerData d(*conv, 3, 2, 111);
  d.pass.param_stride = 0;
  const RefForward reference = conv_ref(*conv, 3, 1, 1);
  const std::vector<double> p0(d.params.begin(), d.params.begin() + d.P);
  std::vector<double> y_ref;
  for (int64_t s = 0; s < int64_t(d.R) * d.B; ++s) {
    const std::vector<double> xs(d.x.begin() + s * d.nin, d.x.begin() + (s + 1) * d.nin);
    const std::vector<double> y = reference(0, 0, xs.data(), p0.data());
    y_ref.insert(y_ref.end(), y.begin(), y.end());
  }
  EXPECT_TRUE(ref::all_close("shared-parameter forward", d.forward(), y_ref, kAtol, kRtol));
}

TEST(LayerShapes, BadShapesThrow) {
  EXPECT_ERROR_MENTIONS(make_dense(TensorShape{2, 2, 3}, 4), "not flat");
  EXPECT_ERROR_MENTIONS(make_conv2d(TensorShape{2, 2, 1}, 4, 3, 1, false), "does not fit");
  EXPECT_ERROR_MENTIONS(make_conv2d(TensorShape{8, 8, 1}, 4, 4, 1, true), "same padding");
  EXPECT_ERROR_MENTIONS(make_max_pool(TensorShape{1, 4, 1}, 2), "max-pool");
  EXPECT_ERROR_MENTIONS(make_dropout(TensorShape{1, 1, 4}, 1.0f), "dropout");
}

}  // namespace
}  // namespace astraea
