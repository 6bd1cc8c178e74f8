// The exact greedy's spread bound: it never rules out a lane that scores within the cutoff (by
// brute force over random mediators, candidates and cutoffs at the lanes' own scores), it does rule
// out lanes far above it and lanes only the tightest quadratic reaches, every kernel gives the
// plain loop's bits, and it declines what lies past its integer range.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "astraea/fl/mediator_score.hpp"
#include "astraea/fl/spread_bound.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

// The largest share q of one class whose two-bin KL to uniform is at most `cutoff` (the greedy's
// q*, computed here independently by bisection, then nudged up as its table does).
double share_for(double cutoff, int classes) {
  const double u = 1.0 / classes;
  auto d = [&](double q) { return q >= 1 ? std::log(double(classes)) : q * std::log(q / u) + (1 - q) * std::log((1 - q) / (1 - u)); };
  if (d(1.0) <= cutoff) return 1.0;
  double lo = u, hi = 1.0;
  for (int i = 0; i < 60; ++i) (d(0.5 * (lo + hi)) <= cutoff ? lo : hi) = 0.5 * (lo + hi);
  return std::min(1.0, hi * (1 + 1e-9));
}

// A random run of blocks in the screen's layout and a random open mediator.
struct Blocks {
  int classes = 0;
  size_t blocks = 0;
  std::vector<int64_t> merged;
  std::vector<int32_t> rows;        // [blocks x kScreenLanes][classes]
  std::vector<ScreenCount> counts;  // [blocks][classes][kScreenLanes]
  std::vector<int32_t> sizes, squares;
  int64_t largest = 0;
  const int32_t* row(size_t lane) const { return &rows[lane * size_t(classes)]; }
};

Blocks random_run(std::mt19937& rng, int classes, size_t blocks) {
  Blocks r;
  r.classes = classes;
  r.blocks = blocks;
  r.merged.resize(size_t(classes));
  const int64_t spread = rng() % 3 == 0 ? 30 : 400;
  const bool flat = rng() % 2;  // a nearly uniform mediator: its near misses are the hard case
  const int64_t level = 1 + int64_t(rng() % spread);
  for (auto& v : r.merged) v = flat ? level + int64_t(rng() % (level / 8 + 1)) : (rng() % 4 == 0 ? 0 : int64_t(rng() % spread));
  if (std::all_of(r.merged.begin(), r.merged.end(), [](int64_t v) { return v == 0; })) r.merged[0] = 1;
  const size_t lanes = blocks * kScreenLanes;
  r.rows.assign(lanes * size_t(classes), 0);
  r.counts.assign(lanes * size_t(classes), 0);
  for (size_t k = 0; k < lanes; ++k) {
    int32_t* row = &r.rows[k * size_t(classes)];
    const int size = rng() % 5 == 0 ? 0 : 1 + int(rng() % (k % 3 ? 60 : kScreenCountMax));
    const int y = int(rng() % classes);
    for (int i = 0; i < size; ++i) ++row[rng() % 3 ? rng() % classes : y];
    if (flat && k % 4 == 0) {  // a candidate that nearly completes the mediator to uniform
      const int64_t top = *std::max_element(r.merged.begin(), r.merged.end()) + 3;
      for (int z = 0; z < classes; ++z) row[z] = int32_t(std::min<int64_t>(kScreenCountMax, top - r.merged[size_t(z)]));
    }
    int32_t s = 0, q = 0;
    for (int z = 0; z < classes; ++z) {
      const int32_t c = std::min(row[z], kScreenCountMax);
      row[z] = c;
      r.counts[(k / kScreenLanes * size_t(classes) + size_t(z)) * kScreenLanes + k % kScreenLanes] = ScreenCount(c);
      s += c;
      q += c * c;
    }
    r.sizes.push_back(s);
    r.squares.push_back(q);
    r.largest = std::max<int64_t>(r.largest, s);
  }
  return r;
}

std::vector<uint32_t> masks_of(SpreadKernel kernel, const SpreadInputs& in, const Blocks& r) {
  std::vector<uint32_t> m(r.blocks);
  kernel(in, r.counts.data(), r.sizes.data(), r.squares.data(), r.blocks, m.data());
  return m;
}

TEST(SpreadBound, RulesOutOnlyLanesAboveTheCutoff) {
  std::mt19937 rng(31);
  int64_t far = 0, far_out = 0;  // lanes scoring above 4x the cutoff, and those ruled out
  for (int trial = 0; trial < 400; ++trial) {
    const int classes = 2 + trial % 15;
    const Blocks r = random_run(rng, classes, 1 + trial % 4);
    const MediatorScore score(classes, 1 << 15);
    SpreadBound bound(classes);
    ASSERT_TRUE(bound.reset(r.merged.data(), r.largest)) << "trial " << trial;
    std::vector<double> exact(r.blocks * kScreenLanes);
    for (size_t k = 0; k < exact.size(); ++k) exact[k] = score.score(r.merged.data(), r.row(k));
    // Cutoffs at lanes' own scores (the boundary) and between them.
    std::vector<double> cutoffs = {0.0, 1e-6};
    for (int i = 0; i < 6; ++i) cutoffs.push_back(exact[rng() % exact.size()] * (i % 2 ? 1.0 : 0.5));
    for (double cutoff : cutoffs) {
      SpreadInputs in = bound.inputs();
      set_spread_cutoff(in, cutoff, share_for(cutoff, classes));
      for (const SpreadVariant& v : spread_variants()) {
        if (!v.supported) continue;
        const std::vector<uint32_t> m = masks_of(v.kernel, in, r);
        for (size_t k = 0; k < exact.size(); ++k) {
          const bool kept = m[k / kScreenLanes] >> (k % kScreenLanes) & 1u;
          if (exact[k] <= cutoff) {
            ASSERT_TRUE(kept) << v.name << ", trial " << trial << ", lane " << k << ": scores " << exact[k]
                              << " within the cutoff " << cutoff;
          } else if (exact[k] > 4 * cutoff && cutoff > 0 && std::string(v.name) == "plain") {
            ++far;
            far_out += !kept;
          }
        }
      }
    }
  }
  ASSERT_GT(far, 1000);
  EXPECT_GT(double(far_out) / double(far), 0.5) << far_out << " of " << far << " lanes above 4x the cutoff ruled out";
}

// h(r) >= k (r - 1)^2 on [0, N q*] holds for k up to h(N q*) / (N q* - 1)^2, the coefficient used.
// A mediator whose merged mass puts 0.8 in one class and the rest evenly scores K; the bound with
// that coefficient is above 0.7 K there, with 3 / (2 (N q* + 2)) it is below (0.67 K at ten classes,
// 0.54 K at sixteen).
TEST(SpreadBound, TakesTheTightestQuadraticCoefficient) {
  for (int classes : {10, 16}) {
    const int64_t rest = 20, peak = 4 * rest * (classes - 1);  // a share of 0.8
    std::vector<int64_t> merged(size_t(classes), rest / 2);
    merged[0] = peak - 2 * rest;
    Blocks r;
    r.classes = classes;
    r.blocks = 1;
    r.rows.assign(size_t(classes) * kScreenLanes, 0);
    r.counts.assign(size_t(classes) * kScreenLanes, 0);
    for (int l = 0; l < kScreenLanes; ++l) {  // every lane brings the merged counts to (peak, rest, ...)
      int32_t size = 0, squares = 0;
      for (int y = 0; y < classes; ++y) {
        const int32_t x = int32_t((y == 0 ? peak : rest) - merged[size_t(y)]);
        r.rows[size_t(l * classes + y)] = x;
        r.counts[size_t(y * kScreenLanes + l)] = ScreenCount(x);
        size += x;
        squares += x * x;
      }
      r.sizes.push_back(size);
      r.squares.push_back(squares);
      r.largest = size;
    }
    const double kl = MediatorScore(classes, 1 << 15).score(merged.data(), r.row(0));
    SpreadBound bound(classes);
    ASSERT_TRUE(bound.reset(merged.data(), r.largest));
    SpreadInputs in = bound.inputs();
    const double cutoff = 0.7 * kl;
    set_spread_cutoff(in, cutoff, share_for(cutoff, classes));
    for (const SpreadVariant& v : spread_variants()) {
      if (!v.supported) continue;
      EXPECT_EQ(masks_of(v.kernel, in, r)[0], 0u) << v.name << ", " << classes << " classes";
    }
  }
}

TEST(SpreadBound, EveryKernelGivesThePlainLoopsBits) {
  std::mt19937 rng(37);
  const auto variants = spread_variants();
  for (int trial = 0; trial < 300; ++trial) {
    const int classes = 2 + trial % 19;  // one to five groups of four classes, and partial ones
    const Blocks r = random_run(rng, classes, 1 + trial % 9);
    SpreadBound bound(classes);
    ASSERT_TRUE(bound.reset(r.merged.data(), r.largest));
    for (double cutoff : {0.0, 1e-4, 3e-3, 0.05, 0.5, std::numeric_limits<double>::infinity()}) {
      SpreadInputs in = bound.inputs();
      set_spread_cutoff(in, cutoff, share_for(cutoff, classes));
      const std::vector<uint32_t> want = masks_of(variants.front().kernel, in, r);
      for (const SpreadVariant& v : variants) {
        if (!v.supported) continue;
        ASSERT_EQ(masks_of(v.kernel, in, r), want) << v.name << ", trial " << trial << ", cutoff " << cutoff;
      }
    }
  }
}

TEST(SpreadBound, DeclinesWhatLiesPastItsRange) {
  SpreadBound bound(4);
  const std::vector<int64_t> fine = {10, 20, 30, 40}, empty = {0, 0, 0, 0}, wide = {1 << 14, 0, 0, 0},
                             large = {6000, 6000, 6000, 6000};
  EXPECT_TRUE(bound.reset(fine.data(), 100));
  EXPECT_FALSE(bound.reset(empty.data(), 100));
  EXPECT_FALSE(bound.reset(wide.data(), 100));  // m_y needs more than two seven-bit halves
  EXPECT_FALSE(bound.reset(large.data(), 100));  // N (T + s)^2 past 2^31
  EXPECT_TRUE(bound.reset(fine.data(), 1000));
  EXPECT_FALSE(bound.reset(fine.data(), 30000));
  // Without a finite cutoff, or with q* = 1, nothing is ruled out.
  ASSERT_TRUE(bound.reset(fine.data(), 100));
  Blocks r;
  r.classes = 4;
  r.blocks = 1;
  r.counts.assign(4 * kScreenLanes, 0);
  r.sizes.assign(kScreenLanes, 0);
  r.squares.assign(kScreenLanes, 0);
  for (int l = 0; l < kScreenLanes; ++l) {  // every lane all of class 0: far from uniform
    r.counts[size_t(l)] = 200;
    r.sizes[size_t(l)] = 200;
    r.squares[size_t(l)] = 200 * 200;
  }
  SpreadInputs in = bound.inputs();
  for (const SpreadVariant& v : spread_variants()) {
    if (!v.supported) continue;
    set_spread_cutoff(in, std::numeric_limits<double>::infinity(), 0.5);
    EXPECT_EQ(masks_of(v.kernel, in, r)[0], 0xffffu) << v.name;
    set_spread_cutoff(in, 0.01, 1.0);
    EXPECT_EQ(masks_of(v.kernel, in, r)[0], 0xffffu) << v.name;
    set_spread_cutoff(in, 0.01, share_for(0.01, 4));
    EXPECT_EQ(masks_of(v.kernel, in, r)[0], 0u) << v.name;
  }
}

}  // namespace
}  // namespace astraea
