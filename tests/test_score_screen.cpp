// The exact greedy's float screen: within its slack of the exact score on both sides (by brute
// force over random mediators and candidates, counts on both sides of the near table's end), and
// the same bits from every kernel the CPU runs.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "astraea/fl/mediator_score.hpp"
#include "astraea/fl/score_screen.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

struct Block {
  std::vector<int64_t> merged;
  std::vector<int32_t> rows;    // [kScreenLanes x classes]
  std::vector<ScreenCount> counts;  // the screen's layout: [classes][kScreenLanes]
  std::vector<int32_t> sizes;
  int64_t most = 0, largest = 0;
};

Block random_block(std::mt19937& rng, int classes) {
  Block b;
  b.merged.resize(classes);
  const int64_t spread = rng() % 2 ? 60 : 2000;
  for (auto& v : b.merged) v = rng() % 3 == 0 ? 0 : int64_t(rng() % spread);
  if (std::all_of(b.merged.begin(), b.merged.end(), [](int64_t v) { return v == 0; })) b.merged[0] = 1;
  b.rows.assign(size_t(kScreenLanes) * classes, 0);
  b.counts.assign(b.rows.size(), 0);
  for (int l = 0; l < kScreenLanes; ++l) {
    const int y = int(rng() % classes);
    const int size = rng() % 4 == 0 ? 0 : 1 + int(rng() % (l % 2 ? 40 : kScreenCountMax));  // some past the near rows
    int32_t* row = &b.rows[size_t(l) * classes];
    for (int k = 0; k < size; ++k) ++row[rng() % 2 ? y : rng() % classes];
    if (l == 3) row[y] = kScreenTable - 1;  // the near rows' last entry
    if (l == 4) row[y] = kScreenTable;      // the first count past them
    if (l == 5) row[y] = kScreenCountMax;   // the largest count a block holds
    int32_t s = 0;
    for (int z = 0; z < classes; ++z) {
      b.counts[size_t(z) * kScreenLanes + l] = static_cast<ScreenCount>(row[z]);
      s += row[z];
      b.most = std::max<int64_t>(b.most, row[z]);
    }
    b.sizes.push_back(s);
    b.largest = std::max<int64_t>(b.largest, s);
  }
  return b;
}

// A random block and the screen for its mediator (`fits`: the screen's tables took it).
struct Screened {
  Screened(std::mt19937& rng, int n)
      : classes(n), b(random_block(rng, n)), score(n, 1 << 14), screen(score),
        fits(screen.reset(b.merged.data(), b.most, b.largest)) {}
  double exact(int lane) const { return score.score(b.merged.data(), &b.rows[size_t(lane) * classes]); }
  int classes;
  Block b;
  MediatorScore score;
  ScoreScreen screen;
  bool fits;
};

float below(double v) {
  float f = static_cast<float>(v);
  if (static_cast<double>(f) > v) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

TEST(ScoreScreen, WithinItsSlackOfTheExactScoreOnBothSides) {
  std::mt19937 rng(23);
  for (int trial = 0; trial < 600; ++trial) {
    const Screened t(rng, 2 + trial % 11);
    ASSERT_TRUE(t.fits);
    const Block& b = t.b;
    const ScoreScreen& screen = t.screen;
    EXPECT_GT(screen.slack(), 0.0);
    EXPECT_LT(screen.slack(), 1e-4);
    for (int l = 0; l < kScreenLanes; ++l) {
      const double exact = t.exact(l);
      for (const ScreenVariant& v : screen_variants()) {
        if (!v.supported) continue;
        // Within the slack above: the lane passes; a slack below: it does not.
        const uint32_t above = v.kernel(screen.inputs(), b.counts.data(), b.sizes.data(), screen.widened(exact), nullptr);
        const uint32_t under = v.kernel(screen.inputs(), b.counts.data(), b.sizes.data(), below(exact - screen.slack()), nullptr);
        EXPECT_TRUE(above >> l & 1u) << v.name << ", trial " << trial << ", lane " << l << ": screened above "
                                     << exact << " + " << screen.slack();
        EXPECT_FALSE(under >> l & 1u) << v.name << ", trial " << trial << ", lane " << l << ": screened below "
                                      << exact << " - " << screen.slack();
      }
    }
  }
}

TEST(ScoreScreen, EveryKernelGivesThePlainLoopsBits) {
  std::mt19937 rng(29);
  const auto variants = screen_variants();
  const ScreenKernel plain = variants.front().kernel;
  for (int trial = 0; trial < 300; ++trial) {
    const Screened t(rng, 2 + trial % 11);
    ASSERT_TRUE(t.fits);
    const Block& b = t.b;
    const ScoreScreen& screen = t.screen;
    // Cutoffs at the lanes' own scores (ties decided bit for bit) and between them.
    std::vector<float> cutoffs = {0.0f, std::numeric_limits<float>::infinity()};
    for (int l = 0; l < kScreenLanes; ++l) {
      const double exact = t.exact(l);
      for (double d : {-1e-6, -1e-7, 0.0, 1e-7, 1e-6}) cutoffs.push_back(static_cast<float>(exact + d));
    }
    float want_scores[kScreenLanes], scores[kScreenLanes];
    plain(screen.inputs(), b.counts.data(), b.sizes.data(), 0.0f, want_scores);
    // With a size base (the lanes' smallest size, or below it), log(T + s) is read from registers
    // for sizes within 31 of it: the same table entries.
    ScreenInputs based = screen.inputs();
    based.size_base = std::max(0, *std::min_element(b.sizes.begin(), b.sizes.end()) - int(trial % 3));
    for (const ScreenVariant& v : variants) {
      if (!v.supported) continue;
      for (const ScreenInputs& in : {screen.inputs(), based}) {
        v.kernel(in, b.counts.data(), b.sizes.data(), 0.0f, scores);
        for (int l = 0; l < kScreenLanes; ++l)
          ASSERT_EQ(scores[l], want_scores[l]) << v.name << ", trial " << trial << ", lane " << l << ", base "
                                               << in.size_base;
      }
    }
    for (float c : cutoffs) {
      const uint32_t want = plain(screen.inputs(), b.counts.data(), b.sizes.data(), c, nullptr);
      for (const ScreenVariant& v : variants) {
        if (v.supported) {
          EXPECT_EQ(v.kernel(screen.inputs(), b.counts.data(), b.sizes.data(), c, nullptr), want)
              << v.name << ", trial " << trial << ", cutoff " << c;
        }
      }
    }
  }
}

TEST(ScoreScreen, DeclinesCountsPastItsTables) {
  const MediatorScore score(4, 100);
  ScoreScreen screen(score);
  const std::vector<int64_t> merged = {10, 20, 30, 5};  // T = 65
  EXPECT_TRUE(screen.reset(merged.data(), 40, 30));
  EXPECT_FALSE(screen.reset(merged.data(), 40, 40));  // T + s reaches 105
  EXPECT_FALSE(screen.reset(merged.data(), 75, 30));  // m_y + x_y reaches 105
  const std::vector<int64_t> empty = {0, 0, 0, 0};
  EXPECT_FALSE(screen.reset(empty.data(), 1, 1));
}

}  // namespace
}  // namespace astraea
