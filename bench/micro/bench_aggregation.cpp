// Server aggregation: the WeightedDeltaSum functor, acc[j] += sum_r coef[r] (w[r][j] - global[j]),
// through the CPU backend (make_backend("cpu", 1)->launch(f, 1, P): one thread, as one lane runs
// it). Bytes counted per call: (R + 2) * P * 4 read (R replicas, global, acc) + P * 4 written.
// BM_MemcpyCeiling is the ceiling to read it against: one std::memcpy moving the same bytes over
// the same working set ((R + 3) * P * 2 bytes copied: as many read plus as many written), counted
// the same way (read + written). The ratio of the two bytes_per_second columns is the functor's
// share of this machine's single-thread copy bandwidth.
// Params: 199210 = mlp, 1626442 = pfl_cnn.
//
//   ninja -C build astraea_micro_bench
//   build/bench/astraea_micro_bench --benchmark_filter='WeightedDeltaSum|MemcpyCeiling' [--benchmark_min_time=0.05]
#include <cstdint>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "astraea/backend/backend.hpp"

namespace {

int64_t traffic_bytes(int64_t replicas, int64_t params) {
  return (replicas + 2) * params * static_cast<int64_t>(sizeof(float)) + params * static_cast<int64_t>(sizeof(float));
}

void BM_WeightedDeltaSum(benchmark::State& state) {
  const int64_t replicas = state.range(0), params = state.range(1);
  auto backend = astraea::make_backend("cpu", 1);
  std::vector<float> global(params), weights(replicas * params), coef(replicas), acc(params, 0.0f);
  for (int64_t j = 0; j < params; ++j) global[j] = 0.001f * static_cast<float>(j % 1000);
  for (int64_t r = 0; r < replicas; ++r) {
    coef[r] = 1.0f / static_cast<float>(replicas);
    for (int64_t j = 0; j < params; ++j) weights[r * params + j] = global[j] + 1e-4f * static_cast<float>((r + j) % 7);
  }
  const astraea::WeightedDeltaSum f{acc.data(), weights.data(), global.data(), coef.data(), replicas, params};
  for (auto _ : state) {
    backend->launch(f, 1, params);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(acc.data());
  state.SetBytesProcessed(state.iterations() * traffic_bytes(replicas, params));
  state.counters["params"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(params), benchmark::Counter::kIsRate);
}

void BM_MemcpyCeiling(benchmark::State& state) {
  const int64_t replicas = state.range(0), params = state.range(1);
  const size_t copied = static_cast<size_t>(traffic_bytes(replicas, params) / 2);
  std::vector<char> src(copied, 1), dst(copied, 0);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), copied);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(dst.data());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(2 * copied));
}

BENCHMARK(BM_WeightedDeltaSum)
    ->ArgsProduct({{1, 8, 64}, {199210, 1626442}})
    ->ArgNames({"replicas", "params"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemcpyCeiling)
    ->ArgsProduct({{1, 8, 64}, {199210, 1626442}})
    ->ArgNames({"replicas", "params"})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
