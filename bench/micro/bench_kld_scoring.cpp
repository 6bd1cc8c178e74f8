// The mediator scheduler's hot loop, literally: one pick scores every remaining client i by
// KL(normalize(h_m + h_i) || uniform) (kl_to_uniform) over a [clients x classes] int32 histogram
// matrix and keeps the argmin. h_m is an open mediator holding 9 clients (gamma = 10, last pick).
// Histograms: Dirichlet(0.3) label mixes, lognormal(1) sizes of mean 60, fixed seed. One thread.
// Reports clients scored per second and histogram bytes read per second.
//
//   ninja -C build astraea_micro_bench
//   build/bench/astraea_micro_bench --benchmark_filter=KldScoring [--benchmark_min_time=0.05]
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "astraea/kernels/kl_score.hpp"
#include "micro_common.hpp"

namespace {

constexpr int kMaxClasses = 64;

const std::vector<int32_t>& histograms(int64_t clients, int classes) {
  static astraea::micro::LastCache<std::pair<int64_t, int>, std::vector<int32_t>> cache;
  return cache.get({clients, classes},
                   [&] { return astraea::micro::synthetic_histograms(clients, classes, 0.3, 1.0, 60.0, 42); });
}

void BM_KldScoring(benchmark::State& state) {
  const int64_t clients = state.range(0);
  const int classes = static_cast<int>(state.range(1));
  if (classes > kMaxClasses) {
    state.SkipWithError("classes > kMaxClasses");
    return;
  }
  const std::vector<int32_t>& h = histograms(clients, classes);

  // The open mediator: the merge of 9 clients drawn from the same population.
  const std::vector<int32_t> members = astraea::micro::synthetic_histograms(9, classes, 0.3, 1.0, 60.0, 7);
  int64_t mediator[kMaxClasses] = {};
  for (int i = 0; i < 9; ++i)
    for (int y = 0; y < classes; ++y) mediator[y] += members[i * classes + y];

  int64_t best_client = -1;
  for (auto _ : state) {
    double best = std::numeric_limits<double>::infinity();
    best_client = -1;
    int64_t merged[kMaxClasses];
    for (int64_t i = 0; i < clients; ++i) {
      const int32_t* row = h.data() + i * classes;
      for (int y = 0; y < classes; ++y) merged[y] = mediator[y] + row[y];
      const double score = astraea::kl_to_uniform(merged, classes);
      if (score < best) {
        best = score;
        best_client = i;
      }
    }
    benchmark::DoNotOptimize(best);
    benchmark::DoNotOptimize(best_client);
  }
  const double scored = static_cast<double>(state.iterations()) * static_cast<double>(clients);
  state.counters["clients"] = benchmark::Counter(scored, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * clients * classes * static_cast<int64_t>(sizeof(int32_t)));
}

BENCHMARK(BM_KldScoring)
    ->ArgsProduct({{1000, 10000, 100000, 1000000}, {10, 47}})
    ->ArgNames({"clients", "classes"})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
