#include "astraea/data/synthetic.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

TEST(Synthetic, FollowsItsRuleAndIsBalancedAndReproducible) {
  SyntheticSpec spec;
  spec.classes = 7;
  spec.height = 6;
  spec.width = 5;
  spec.channels = 2;
  spec.train_samples = 700;
  spec.test_samples = 70;
  const TrainTest a = make_synthetic(spec, 42);
  const TrainTest b = make_synthetic(spec, 42);
  const TrainTest c = make_synthetic(spec, 43);
  EXPECT_EQ(a.train.images, b.train.images);
  EXPECT_NE(a.train.images, c.train.images);
  EXPECT_EQ(a.train.sample_bytes(), 60u);
  for (int64_t h : a.train.class_histogram()) EXPECT_EQ(h, 100);
  for (int64_t i = 0; i < a.train.n; ++i) ASSERT_EQ(synthetic_nearest_prototype(spec, 42, a.train.image(i)), a.train.labels[i]);
  for (int64_t i = 0; i < a.test.n; ++i) ASSERT_EQ(synthetic_nearest_prototype(spec, 42, a.test.image(i)), a.test.labels[i]);
  EXPECT_NE(a.train.images.size(), 0u);
}

TEST(Synthetic, RejectsBadSpecs) {
  SyntheticSpec spec;
  spec.classes = 1;
  EXPECT_ERROR_MENTIONS(make_synthetic(spec, 1), "data.classes");
  spec = SyntheticSpec{};
  spec.noise = 1.5f;
  EXPECT_ERROR_MENTIONS(make_synthetic(spec, 1), "data.noise");
}

}  // namespace
}  // namespace astraea
