// The exact greedy's per-candidate bound: below every candidate's true score (by brute force over
// random mediators and candidates), and the same bits from every kernel the CPU runs.
#include <algorithm>
#include <random>

#include "astraea/fl/mediator_score.hpp"
#include "astraea/fl/rest_bound.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

struct Case {
  std::vector<int64_t> merged;
  std::vector<int32_t> rows;  // [kBoundLanes x classes], each row's largest count in class y
  std::vector<int32_t> peaks, sizes;
  int y = 0;
};

Case random_case(std::mt19937& rng, int classes, int cap) {
  Case c;
  c.y = int(rng() % classes);
  c.merged.resize(classes);
  for (auto& v : c.merged) v = rng() % 3 == 0 ? 0 : int64_t(rng() % 60);
  if (std::all_of(c.merged.begin(), c.merged.end(), [](int64_t v) { return v == 0; })) c.merged[0] = 1;
  c.rows.assign(size_t(kBoundLanes) * classes, 0);
  for (int l = 0; l < kBoundLanes; ++l) {
    int32_t* row = &c.rows[size_t(l) * classes];
    const int size = 1 + int(rng() % (l == 0 ? 2 * cap : 40));  // lane 0 may pass the table's cap
    for (int k = 0; k < size; ++k) ++row[rng() % 3 == 0 ? c.y : rng() % classes];
    std::swap(row[c.y], *std::max_element(row, row + classes));  // y dominant
    c.peaks.push_back(row[c.y]);
    int32_t s = 0;
    for (int z = 0; z < classes; ++z) s += row[z];
    c.sizes.push_back(s);
  }
  return c;
}

TEST(RestBound, NeverAboveTheScoreAndTheSameFromEveryKernel) {
  std::mt19937 rng(17);
  for (int trial = 0; trial < 400; ++trial) {
    const int classes = 2 + trial % 11, cap = 8 + trial % 40;
    const Case c = random_case(rng, classes, cap);
    const MediatorScore score(classes, 1 << 14);
    RestTable table(classes, score, cap);
    table.reset(c.merged.data());
    int64_t total = 0;
    for (int64_t v : c.merged) total += v;
    const RestBoundInputs in{score.f_table(), score.log_table(), table.row(c.y), cap,
                             static_cast<int32_t>(c.merged[c.y]), static_cast<int32_t>(total), score.log_classes()};
    // With the lane's exact score as the cutoff a lane must pass (its bound is at most its score);
    // just below the bound's own value it must not.
    for (int l = 0; l < kBoundLanes; ++l) {
      const double exact = score.score(c.merged.data(), &c.rows[size_t(l) * classes]);
      std::vector<int32_t> peaks(kBoundLanes, c.peaks[l]), sizes(kBoundLanes, c.sizes[l]);
      for (const RestBoundVariant& v : rest_bound_variants()) {
        if (!v.supported) continue;
        EXPECT_EQ(v.kernel(in, peaks.data(), sizes.data(), exact + 1e-12), 0xFFu)
            << v.name << ", trial " << trial << ", lane " << l << ": bound above the score " << exact;
      }
    }
    // Every kernel passes the same lanes at every cutoff.
    const auto plain = rest_bound_variants().front().kernel;
    for (double cutoff : {0.0, 0.01, 0.05, 0.1, 0.3, 1.0}) {
      const uint32_t expected = plain(in, c.peaks.data(), c.sizes.data(), cutoff);
      for (const RestBoundVariant& v : rest_bound_variants()) {
        if (!v.supported) continue;
        EXPECT_EQ(v.kernel(in, c.peaks.data(), c.sizes.data(), cutoff), expected) << v.name;
      }
    }
  }
}

// The table's rests never fall as the rest grows (what lets a capped rest bound a larger one), and
// a candidate with nothing to spread is bounded by its own score, so a cutoff just below that
// score rejects it.
TEST(RestBound, RestsRiseWithTheRest) {
  const int classes = 5, cap = 300;
  const MediatorScore score(classes, 1 << 12);
  RestTable table(classes, score, cap);
  const std::vector<int64_t> merged = {40, 5, 3, 17, 120};
  table.reset(merged.data());
  for (int y = 0; y < classes; ++y) {
    const double* w = table.row(y);
    for (int r = 1; r <= cap; ++r) ASSERT_GE(w[r], w[r - 1]) << "class " << y << ", r " << r;
  }
  // 50 samples all of class 4, which already holds most of the mediator.
  const RestBoundInputs in{score.f_table(), score.log_table(), table.row(4), cap, 120, 185, score.log_classes()};
  std::vector<int32_t> row = {0, 0, 0, 0, 50};
  const double exact = score.score(merged.data(), row.data());
  const std::vector<int32_t> peaks(kBoundLanes, 50), sizes(kBoundLanes, 50);
  for (const RestBoundVariant& v : rest_bound_variants()) {
    if (!v.supported) continue;
    EXPECT_EQ(v.kernel(in, peaks.data(), sizes.data(), exact - 1e-9), 0u) << v.name;
    EXPECT_EQ(v.kernel(in, peaks.data(), sizes.data(), exact + 1e-9), 0xFFu) << v.name;
  }
}

}  // namespace
}  // namespace astraea
