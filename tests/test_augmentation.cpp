// Augmentation ratios against hand-computed cases, the affine transform against independent
// references, and the client-side application against its ratios.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <set>
#include <numeric>

#include "astraea/backend/backend.hpp"
#include "astraea/data/augmentation.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/data/synthetic.hpp"
#include "synthetic_federation.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

AugmentationConfig config(const std::string& method) {
  AugmentationConfig c;
  c.method = method;
  return c;
}

TEST(AugmentationRatios, PowerRuleByHand) {
  // mean = 250: classes below it grow by (250 / C)^alpha.
  auto c = config("power");
  c.alpha = 1.0;
  auto r = augmentation_ratios({500, 250, 125, 125}, c);
  EXPECT_DOUBLE_EQ(r[0], 1.0);  // above the mean: untouched (power never downsamples)
  EXPECT_DOUBLE_EQ(r[1], 1.0);  // at the mean
  EXPECT_DOUBLE_EQ(r[2], 2.0);
  EXPECT_DOUBLE_EQ(r[3], 2.0);
  c.alpha = 0.5;
  r = augmentation_ratios({500, 250, 125, 125}, c);
  EXPECT_DOUBLE_EQ(r[2], std::sqrt(2.0));
}

TEST(AugmentationRatios, ZscoreRuleByHand) {
  // Four classes of 1000, a dominant one (5000) and a rare one (50), tau_d = 1.5.
  const std::vector<int64_t> sizes = {1000, 1000, 1000, 1000, 5000, 50};
  auto c = config("zscore");
  c.tau_d = 1.5;
  const double mu = 9050.0 / 6;
  double ss = 0;
  for (auto s : sizes) ss += (s - mu) * (s - mu);
  const double sigma = std::sqrt(ss / 6);
  const auto r = augmentation_ratios(sizes, c);
  const double z_big = (5000 - mu) / sigma, z_rare = (50 - mu) / sigma, z_mid = (1000 - mu) / sigma;
  ASSERT_GT(z_big, 1.5);
  ASSERT_LT(z_rare, -1 / 1.5);
  EXPECT_NEAR(r[4], (sigma * std::sqrt(z_big * 1.5) + mu) / 5000, 1e-12);
  EXPECT_LT(r[4], 1.0);  // downsampled
  EXPECT_NEAR(r[5], (mu - sigma * std::sqrt(z_rare * (-1 / 1.5))) / 50, 1e-12);
  EXPECT_GT(r[5], 1.0);  // augmented
  ASSERT_GT(z_mid, -1 / 1.5);
  EXPECT_EQ(r[0], 1.0);  // between the thresholds: untouched
  // The sample deviation changes sigma and therefore the ratios.
  c.sample_sigma = true;
  EXPECT_NE(augmentation_ratios(sizes, c)[5], r[5]);
}

TEST(AugmentationRatios, EdgeCases) {
  EXPECT_EQ(augmentation_ratios({50, 50, 50}, config("zscore")), (std::vector<double>{1, 1, 1}));  // sigma = 0
  EXPECT_EQ(augmentation_ratios({50, 50, 50}, config("power")), (std::vector<double>{1, 1, 1}));
  const auto absent = augmentation_ratios({300, 0, 30}, config("power"));
  EXPECT_EQ(absent[1], 1.0);  // nothing to augment
  EXPECT_DOUBLE_EQ(absent[2], std::pow(110.0 / 30, 0.67));  // the absent class still counts in the mean
  EXPECT_EQ(augmentation_ratios({1, 1000}, config("none")), (std::vector<double>{1, 1}));
}

std::vector<uint8_t> ramp(int h, int w) {
  std::vector<uint8_t> img(h * w);
  for (int i = 0; i < h * w; ++i) img[i] = static_cast<uint8_t>(7 * i % 251);
  return img;
}

std::vector<uint8_t> apply(const std::vector<uint8_t>& src, const AffineMap& m, int h, int w) {
  std::vector<uint8_t> out(src.size());
  for (int y = 0; y < h; ++y) affine_row(src.data(), out.data(), m, 1, h, w, y);
  return out;
}

TEST(AffineTransform, IdentityReturnsTheImage) {
  const auto img = ramp(9, 7);
  EXPECT_EQ(apply(img, identity_map(), 9, 7), img);
  EXPECT_EQ(apply(img, make_affine(AugmentOp::kZoom, 1.0f, 0, 9, 7), 9, 7), img);
  EXPECT_EQ(apply(img, make_affine(AugmentOp::kRotation, 0.0f, 0, 9, 7), 9, 7), img);
}

TEST(AffineTransform, WholePixelShiftMovesPixelsAndZeroFills) {
  const int h = 6, w = 5;
  const auto img = ramp(h, w);
  // shift by +2 columns (0.4 * 5) and -1 row (-1/6 * 6)
  const auto out = apply(img, make_affine(AugmentOp::kShift, 0.4f, -1.0f / 6, h, w), h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int sx = x - 2, sy = y + 1;
      const uint8_t expected = (sx >= 0 && sx < w && sy >= 0 && sy < h) ? img[sy * w + sx] : 0;
      EXPECT_EQ(out[y * w + x], expected) << x << "," << y;
    }
}

TEST(AffineTransform, QuarterTurnOfASquareImage) {
  const int n = 5;
  const auto img = ramp(n, n);
  const auto out = apply(img, make_affine(AugmentOp::kRotation, 90.0f, 0, n, n), n, n);
  // Forward map (x, y) -> (-y, x) about the centre: out(x', y') = img(y', n - 1 - x').
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) EXPECT_EQ(out[y * n + x], img[(n - 1 - x) * n + y]) << x << "," << y;
}

TEST(AffineTransform, RandomOpsAreKeyedAndInRange) {
  AugmentRanges r;
  int ops[4] = {0, 0, 0, 0};
  for (uint32_t copy = 0; copy < 400; ++copy) {
    const AffineMap a = random_affine(1, 2, 3, copy, r, 28, 28);
    const AffineMap b = random_affine(1, 2, 3, copy, r, 28, 28);
    EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0);
    EXPECT_LE(std::fabs(a.tx), 0.1f * 28 + 1e-4f);
    const float det = a.inv[0] * a.inv[3] - a.inv[1] * a.inv[2];
    EXPECT_GE(det, 1.0f / (1.5f * 1.5f) - 1e-4f);  // zoom in [0.5, 1.5] -> inverse det in [0.44, 4]
    EXPECT_LE(det, 4.0f + 1e-4f);
    const Philox4 bits = philox(1, RngStream::kAugmentTransform, 2, 3, copy, 0);
    ++ops[bits.v[0] % 4];
  }
  for (int o : ops) EXPECT_GT(o, 60);  // each op about a quarter of the time
}

TEST(AugmentClients, FollowsTheRatiosAndKeepsOwnership) {
  testing::FederationSpec spec;
  spec.train_samples = 3000;
  spec.test_samples = 1000;
  spec.classes = 5;
  spec.data_seed = 2;
  spec.clients = 30;
  spec.method = "astraea";
  spec.global = "zipf:1.5";
  spec.partition_seed = 1;
  const testing::SyntheticFederation f(spec);
  const TrainTest& data = f.data;
  const ClientStore& store = f.store;
  auto c = config("power");
  c.alpha = 1.0;
  auto be = make_backend("cpu", 2);
  const AugmentedData aug = augment_clients(store, data.train, c, 9, *be);
  const auto before = store.global_histogram();
  const auto after = aug.clients.global_histogram();
  for (int y = 0; y < 5; ++y) {
    // Stochastic rounding per sample: the expected class size is R_y * C_y.
    EXPECT_NEAR(after[y], aug.ratios[y] * before[y], 4 * std::sqrt(before[y] + 1.0)) << "class " << y;
  }
  EXPECT_GT(aug.labels.size(), 0u);
  EXPECT_EQ(aug.extra_bytes(), int64_t(aug.labels.size() * (64 + 4)));
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    EXPECT_EQ(aug.clients.size(k), store.size(k) + aug.generated_per_client[k] - aug.dropped_per_client[k]);
    // A client's generated samples are copies of its own samples' classes.
    for (int64_t i = 0; i < aug.clients.size(k); ++i) {
      const int32_t id = aug.clients.samples(k)[i];
      if (id < data.train.n) continue;
      const int32_t label = aug.labels[id - data.train.n];
      EXPECT_GT(store.histogram_row(k)[label], 0);
      EXPECT_GT(aug.ratios[label], 1.0);
    }
  }
  auto one = make_backend("cpu", 1);
  const AugmentedData again = augment_clients(store, data.train, c, 9, *one);
  EXPECT_EQ(again.images, aug.images);  // independent of the lane count
}

TEST(AffineTransform, FlipMirrorsAndBrightnessMapsValues) {
  const int h = 4, w = 5;
  const auto img = ramp(h, w);
  const auto flipped = apply(img, make_affine(AugmentOp::kFlip, 0, 0, h, w), h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) EXPECT_EQ(flipped[y * w + x], img[y * w + (w - 1 - x)]) << x << "," << y;
  EXPECT_EQ(apply(flipped, make_affine(AugmentOp::kFlip, 0, 0, h, w), h, w), img);
  // +10% brightness at contrast 1.5: v -> 1.5 (v - 127.5) + 127.5 + 25.5, clamped to [0, 255].
  const auto bright = apply(img, make_affine(AugmentOp::kBrightness, 0.1f, 1.5f, h, w), h, w);
  for (int i = 0; i < h * w; ++i) {
    const double v = std::floor(1.5 * (img[i] - 127.5) + 127.5 + 25.5 + 0.5);
    EXPECT_EQ(bright[i], uint8_t(std::clamp(v, 0.0, 255.0))) << i;
  }
}

TEST(AffineTransform, OpsComeOnlyFromTheAllowedSet) {
  AugmentRanges r;
  const uint32_t allowed = (1u << int(AugmentOp::kFlip)) | (1u << int(AugmentOp::kBrightness));
  int flips = 0, brights = 0;
  for (uint32_t copy = 0; copy < 400; ++copy) {
    const AffineMap m = random_affine(1, 2, 3, copy, r, 28, 28, allowed);
    const bool flip = m.inv[0] == -1.0f && m.gain == 1.0f;
    const bool bright = m.inv[0] == 1.0f && m.inv[3] == 1.0f && m.tx == 0 && m.ty == 0;
    EXPECT_TRUE(flip != bright) << copy;
    flips += flip;
    brights += bright;
    if (bright) {
      EXPECT_GE(m.gain, 0.8f - 1e-6f);
      EXPECT_LE(m.gain, 1.2f + 1e-6f);
    }
    // The papers' four ops, by default: the same maps as before per-class ops existed.
    const AffineMap a = random_affine(1, 2, 3, copy, r, 28, 28);
    const AffineMap b = random_affine(1, 2, 3, copy, r, 28, 28, kAffineOps);
    EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0);
  }
  EXPECT_GT(flips, 150);
  EXPECT_GT(brights, 150);
  const AffineMap none = random_affine(1, 2, 3, 0, r, 28, 28, 0);
  EXPECT_EQ(std::memcmp(&none, &(const AffineMap&)identity_map(), sizeof(none)), 0);
  EXPECT_EQ(parse_transforms("flip|brightness", "k"), allowed);
  EXPECT_EQ(parse_transforms("shift, rotation,shear zoom", "k"), kAffineOps);
  EXPECT_EQ(parse_transforms("all", "k"), kAllOps);
  EXPECT_EQ(transforms_name(allowed), "flip,brightness");
  EXPECT_ERROR_MENTIONS(parse_transforms("flip,mirror", "classes.transforms"), "classes.transforms", "mirror");
}

struct Imbalanced {
  Imbalanced() {
    testing::FederationSpec spec;
    spec.train_samples = 1500;
    spec.classes = 4;
    spec.clients = 10;
    spec.method = "astraea";
    spec.global = "linear:0.1";
    f = std::make_unique<testing::SyntheticFederation>(spec);
  }
  std::unique_ptr<testing::SyntheticFederation> f;
};

// Per client, the generated images as a multiset.
std::vector<std::multiset<std::vector<uint8_t>>> generated(const AugmentedData& a, const Dataset& train) {
  std::vector<std::multiset<std::vector<uint8_t>>> out(a.clients.num_clients());
  const size_t bytes = train.sample_bytes();
  for (int64_t k = 0; k < a.clients.num_clients(); ++k)
    for (int64_t i = 0; i < a.clients.size(k); ++i) {
      const int64_t id = a.clients.samples(k)[i] - train.n;
      if (id >= 0) out[k].insert(std::vector<uint8_t>(a.images.begin() + id * bytes, a.images.begin() + (id + 1) * bytes));
    }
  return out;
}

// A replan raising some ratios adds images and never changes those already generated.
TEST(AugmentClients, HigherRatiosOnlyAddImages) {
  const Imbalanced d;
  auto be = make_backend("cpu", 2);
  AugmentationConfig c = config("zscore");
  const std::vector<double> low = {1.0, 1.5, 2.2, 3.0}, high = {1.2, 1.5, 4.7, 3.1};
  const AugmentedData a = augment_clients(d.f->store, d.f->data.train, c, low, 3, *be);
  const AugmentedData b = augment_clients(d.f->store, d.f->data.train, c, high, 3, *be);
  EXPECT_GT(b.images.size(), a.images.size());
  const auto ga = generated(a, d.f->data.train), gb = generated(b, d.f->data.train);
  for (size_t k = 0; k < ga.size(); ++k) {
    EXPECT_TRUE(std::includes(gb[k].begin(), gb[k].end(), ga[k].begin(), ga[k].end())) << "client " << k;
  }
}

// Domain knowledge: a class's ratio cap and its allowed transforms; a class no transform may touch
// gets no copies.
TEST(AugmentClients, PerClassCapsAndTransforms) {
  const Imbalanced d;
  const Dataset& train = d.f->data.train;
  auto be = make_backend("cpu", 2);
  AugmentationConfig c = config("zscore");
  c.class_max_ratio = {0, 0, 2.0};                                   // class 2 capped; 3 not listed
  c.class_ops = {kAffineOps, 0, 1u << int(AugmentOp::kFlip), kAffineOps};  // class 1: none; class 2: flips only
  const AugmentedData a = augment_clients(d.f->store, train, c, {1.0, 3.0, 5.0, 3.0}, 3, *be);
  EXPECT_EQ(a.ratios, (std::vector<double>{1.0, 1.0, 2.0, 3.0}));
  const size_t bytes = train.sample_bytes();
  int flipped = 0;
  for (size_t j = 0; j < a.labels.size(); ++j) {
    EXPECT_NE(a.labels[j], 1);
    if (a.labels[j] != 2) continue;
    // A flip of some original of class 2 held by the same client: check it is a mirror image of one.
    const uint8_t* img = a.images.data() + j * bytes;
    bool found = false;
    for (int64_t i = 0; i < train.n && !found; ++i) {
      if (train.labels[i] != 2) continue;
      const uint8_t* src = train.images.data() + i * bytes;
      bool same = true;
      for (int y = 0; y < train.height && same; ++y)
        for (int x = 0; x < train.width && same; ++x)
          same = img[y * train.width + x] == src[y * train.width + (train.width - 1 - x)];
      found = same;
    }
    EXPECT_TRUE(found) << "generated image " << j;
    ++flipped;
  }
  EXPECT_GT(flipped, 0);
  c.class_ops.resize(7, kAffineOps);
  EXPECT_ERROR_MENTIONS(augment_clients(d.f->store, train, c, {1, 1, 1, 1}, 3, *be), "classes.file");
}

}  // namespace
}  // namespace astraea
