// One round of the mediator scheduler: greedy_mediators(histograms, classes, ids, gamma) over every
// client (ids 0..N-1) of a synthetic population with Dirichlet(0.3) label mixes and lognormal(1)
// client sizes (mean 60, fixed seed). Reports clients scheduled per second; `mediators` and
// `mediator_kl` (mean KL of the merged groups to uniform, against `client_kl`, the clients' own
// mean) are checks on the result, not timings.
//
//   ninja -C build astraea_micro_bench
//   build/bench/astraea_micro_bench --benchmark_filter=Scheduler [--benchmark_min_time=0.05]
//
// Larger populations: append to kClients below (e.g. 100000, 1000000).
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "astraea/kernels/kl_score.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "micro_common.hpp"

namespace {

// Axes. Edit freely.
const std::vector<int64_t> kClients = {1000, 3000, 10000};
const std::vector<int64_t> kGamma = {10};
const std::vector<int64_t> kClasses = {10};

const std::vector<int32_t>& histograms(int64_t clients, int classes) {
  static astraea::micro::LastCache<std::pair<int64_t, int>, std::vector<int32_t>> cache;
  return cache.get({clients, classes},
                   [&] { return astraea::micro::synthetic_histograms(clients, classes, 0.3, 1.0, 60.0, 42); });
}

double mean_kl(const std::vector<int32_t>& h, int classes, const astraea::MediatorGroups& groups) {
  double sum = 0;
  std::vector<int64_t> merged(classes);
  for (const auto& g : groups) {
    std::fill(merged.begin(), merged.end(), 0);
    for (int64_t id : g)
      for (int y = 0; y < classes; ++y) merged[y] += h[id * classes + y];
    sum += astraea::kl_to_uniform(merged.data(), classes);
  }
  return groups.empty() ? 0.0 : sum / static_cast<double>(groups.size());
}

void BM_Scheduler(benchmark::State& state) {
  const int64_t clients = state.range(0);
  const int gamma = static_cast<int>(state.range(1));
  const int classes = static_cast<int>(state.range(2));
  const std::vector<int32_t>& h = histograms(clients, classes);
  std::vector<int64_t> ids(clients);
  std::iota(ids.begin(), ids.end(), int64_t{0});

  astraea::MediatorGroups groups;
  for (auto _ : state) {
    groups = astraea::greedy_mediators(h.data(), classes, ids, gamma);
    benchmark::DoNotOptimize(groups.data());
  }
  const double scheduled = static_cast<double>(state.iterations()) * static_cast<double>(clients);
  state.counters["clients"] = benchmark::Counter(scheduled, benchmark::Counter::kIsRate);
  state.counters["mediators"] = static_cast<double>(groups.size());
  state.counters["mediator_kl"] = mean_kl(h, classes, groups);
  astraea::MediatorGroups alone(clients);
  for (int64_t i = 0; i < clients; ++i) alone[i] = {i};
  state.counters["client_kl"] = mean_kl(h, classes, alone);
}

void axes(benchmark::internal::Benchmark* b) {
  for (int64_t n : kClients)
    for (int64_t g : kGamma)
      for (int64_t c : kClasses) b->Args({n, g, c});
}

BENCHMARK(BM_Scheduler)->Apply(axes)->ArgNames({"clients", "gamma", "classes"})->Unit(benchmark::kMillisecond);

}  // namespace
