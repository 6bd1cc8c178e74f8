// The exact greedy's float screen (score_screen.hpp): nanoseconds per block of sixteen candidates,
// for every kernel this CPU runs, over a working set of blocks that stays in L1 (`blocks` = 16) or
// spills to L2/L3 (4096). Counts follow the synthetic populations' Dirichlet(0.3) mixes of about
// twenty samples, so some lanes pass the near rows' end.
//
//   ninja -C build astraea_micro_bench
//   build/bench/astraea_micro_bench --benchmark_filter=ScoreScreen
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "astraea/fl/mediator_score.hpp"
#include "astraea/fl/score_screen.hpp"

namespace {

void BM_ScoreScreen(benchmark::State& state) {
  const auto variants = astraea::screen_variants();
  const auto& variant = variants[size_t(state.range(0))];
  if (!variant.supported) {
    state.SkipWithError("kernel not supported by this CPU");
    return;
  }
  const int classes = 10;
  const size_t blocks = size_t(state.range(1));
  std::mt19937 rng(5);
  std::vector<astraea::ScreenCount> counts(blocks * classes * astraea::kScreenLanes);
  std::vector<int32_t> sizes(blocks * astraea::kScreenLanes);
  std::gamma_distribution<double> mix(0.3, 1.0);
  std::lognormal_distribution<double> size(std::log(20.0), 1.0);
  int64_t most = 0, largest = 0;
  for (size_t b = 0; b < blocks; ++b) {
    for (int l = 0; l < astraea::kScreenLanes; ++l) {
      std::vector<double> w(classes);
      double sum = 0;
      for (double& v : w) sum += (v = mix(rng));
      int32_t s = 0;
      for (int y = 0; y < classes; ++y) {
        const int32_t c = std::min(astraea::kScreenCountMax, int32_t(w[size_t(y)] / sum * (1 + size(rng))));
        counts[(b * classes + size_t(y)) * astraea::kScreenLanes + size_t(l)] = static_cast<astraea::ScreenCount>(c);
        s += c;
        most = std::max<int64_t>(most, c);
      }
      sizes[b * astraea::kScreenLanes + size_t(l)] = s;
      largest = std::max<int64_t>(largest, s);
    }
  }
  const astraea::MediatorScore score(classes, 1 << 16);
  astraea::ScoreScreen screen(score);
  const std::vector<int64_t> merged = {40, 3, 17, 0, 25, 60, 8, 12, 30, 5};
  screen.reset(merged.data(), most, largest);
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

}  // namespace
