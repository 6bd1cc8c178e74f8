// The exact greedy's float screen (score_screen.hpp) and the spread bound before it
// (spread_bound.hpp): nanoseconds per block of sixteen candidates, for every kernel this CPU runs,
// over a working set of blocks that stays in L1 (`blocks` = 16) or spills to L2/L3 (4096). Counts
// follow the synthetic populations' Dirichlet(0.3) mixes of about twenty samples, so some lanes
// pass the near rows' end.
//
//   ninja -C build astraea_micro_bench
//   build/bench/astraea_micro_bench --benchmark_filter='ScoreScreen|SpreadBound'
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "astraea/fl/mediator_score.hpp"
#include "astraea/fl/score_screen.hpp"
#include "astraea/fl/spread_bound.hpp"

namespace {

// Blocks of synthetic clients in the screen's layout, with each lane's size and squared counts.
struct Blocks {
  int classes = 10;
  std::vector<astraea::ScreenCount> counts;
  std::vector<int32_t> sizes, squares;
  int64_t most = 0, largest = 0;
};

Blocks make_blocks(size_t blocks) {
  Blocks r;
  const int classes = r.classes;
  std::mt19937 rng(5);
  r.counts.resize(blocks * classes * astraea::kScreenLanes);
  r.sizes.resize(blocks * astraea::kScreenLanes);
  r.squares.resize(r.sizes.size());
  std::gamma_distribution<double> mix(0.3, 1.0);
  std::lognormal_distribution<double> size(std::log(20.0), 1.0);
  for (size_t b = 0; b < blocks; ++b) {
    for (int l = 0; l < astraea::kScreenLanes; ++l) {
      std::vector<double> w(classes);
      double sum = 0;
      for (double& v : w) sum += (v = mix(rng));
      int32_t s = 0, q = 0;
      for (int y = 0; y < classes; ++y) {
        const int32_t c = std::min(astraea::kScreenCountMax, int32_t(w[size_t(y)] / sum * (1 + size(rng))));
        r.counts[(b * classes + size_t(y)) * astraea::kScreenLanes + size_t(l)] = static_cast<astraea::ScreenCount>(c);
        s += c;
        q += c * c;
        r.most = std::max<int64_t>(r.most, c);
      }
      r.sizes[b * astraea::kScreenLanes + size_t(l)] = s;
      r.squares[b * astraea::kScreenLanes + size_t(l)] = q;
      r.largest = std::max<int64_t>(r.largest, s);
    }
  }
  return r;
}

const std::vector<int64_t> kMerged = {40, 3, 17, 0, 25, 60, 8, 12, 30, 5};

void BM_ScoreScreen(benchmark::State& state) {
  const auto variants = astraea::screen_variants();
  const auto& variant = variants[size_t(state.range(0))];
  if (!variant.supported) {
    state.SkipWithError("kernel not supported by this CPU");
    return;
  }
  const size_t blocks = size_t(state.range(1));
  const Blocks r = make_blocks(blocks);
  const int classes = r.classes;
  const auto& counts = r.counts;
  const auto& sizes = r.sizes;
  const astraea::MediatorScore score(classes, 1 << 16);
  astraea::ScoreScreen screen(score);
  screen.reset(kMerged.data(), r.most, r.largest);
  const float cutoff = screen.widened(0.01);
  uint32_t sink = 0;
  for (auto _ : state) {
    for (size_t b = 0; b < blocks; ++b)
      sink += variant.kernel(screen.inputs(), &counts[b * classes * astraea::kScreenLanes],
                             &sizes[b * astraea::kScreenLanes], cutoff, nullptr);
  }
  benchmark::DoNotOptimize(sink);
  state.counters["ns_per_block"] =
      benchmark::Counter(double(blocks), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetLabel(variant.name);
}
BENCHMARK(BM_ScoreScreen)->ArgsProduct({{0, 1, 2}, {16, 4096}})->ArgNames({"kernel", "blocks"});

// The spread bound (spread_bound.hpp) ahead of the screen: runs of eight blocks per call.
void BM_SpreadBound(benchmark::State& state) {
  const auto variants = astraea::spread_variants();
  const auto& variant = variants[size_t(state.range(0))];
  if (!variant.supported) {
    state.SkipWithError("kernel not supported by this CPU");
    return;
  }
  const size_t blocks = size_t(state.range(1)), run = 8;
  const Blocks r = make_blocks(blocks);
  astraea::SpreadBound bound(r.classes);
  bound.reset(kMerged.data(), r.largest);
  astraea::SpreadInputs in = bound.inputs();
  astraea::set_spread_cutoff(in, 0.01, 0.14);
  std::vector<uint32_t> masks(run);
  uint32_t sink = 0;
  for (auto _ : state) {
    for (size_t b = 0; b < blocks; b += run) {
      variant.kernel(in, &r.counts[b * size_t(r.classes) * astraea::kScreenLanes], &r.sizes[b * astraea::kScreenLanes],
                     &r.squares[b * astraea::kScreenLanes], run, masks.data());
      sink += masks[0];
    }
  }
  benchmark::DoNotOptimize(sink);
  state.counters["ns_per_block"] =
      benchmark::Counter(double(blocks), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetLabel(variant.name);
}
BENCHMARK(BM_SpreadBound)->ArgsProduct({{0, 1, 2}, {16, 4096}})->ArgNames({"kernel", "blocks"});

}  // namespace
