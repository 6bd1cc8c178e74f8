// Astraea's data augmentation on a synthetic 28x28x1, 10-class pool:
//  - BM_AugmentClients: augment_clients(store, train, config, seed, backend), the whole server-side
//    step (ratios, per-sample draws, image generation on `lanes` CPU threads, the new client store),
//    over a partition of the pool (`samples` images) with a zipf:1 global profile into samples / 100
//    clients (lognormal:1 sizes, Dirichlet(0.5) mixes), power rule (alpha 0.67).
//  - BM_AugmentImages: the AugmentImages functor alone over `jobs` generated images (random sources
//    from a 10,000-image pool), make_backend("cpu", 1)->launch(f, jobs, 28): one thread.
// Both report generated images per second and bytes per second, counting per generated image its
// source image read and the image written (2 * 784 bytes; the bilinear taps re-read cached bytes).
//
//   ninja -C build astraea_micro_bench
//   build/bench/astraea_micro_bench --benchmark_filter=Augment [--benchmark_min_time=0.05]
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "astraea/backend/backend.hpp"
#include "astraea/data/augmentation.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/data/synthetic.hpp"
#include "micro_common.hpp"

namespace {

struct AugmentInput {
  astraea::Dataset train;
  astraea::ClientStore store;
};

const AugmentInput& augment_input(int64_t samples) {
  static astraea::micro::LastCache<int64_t, AugmentInput> cache;
  return cache.get(samples, [&] {
    astraea::SyntheticSpec spec;
    spec.train_samples = samples;
    spec.test_samples = 10;
    AugmentInput in;
    in.train = astraea::make_synthetic(spec, 7).train;
    astraea::PartitionSpec part;
    part.method = "astraea";
    part.clients = samples / 100;
    part.global = "zipf:1";
    part.sizes = "lognormal:1";
    part.local = "random";
    part.local_beta = 0.5;
    part.seed = 3;
    in.store = astraea::make_partition(part, in.train.labels, in.train.classes);
    return in;
  });
}

void BM_AugmentClients(benchmark::State& state) {
  const int64_t samples = state.range(0);
  const int lanes = static_cast<int>(state.range(1));
  const AugmentInput& in = augment_input(samples);
  auto backend = astraea::make_backend("cpu", lanes);
  astraea::AugmentationConfig config;
  config.method = "power";
  config.alpha = 0.67;
  int64_t generated = 0, originals = in.store.total_samples();
  for (auto _ : state) {
    const astraea::AugmentedData out = astraea::augment_clients(in.store, in.train, config, 11, *backend);
    generated = static_cast<int64_t>(out.labels.size());
    benchmark::DoNotOptimize(out.images.data());
  }
  const double images = static_cast<double>(state.iterations()) * static_cast<double>(generated);
  state.counters["images"] = benchmark::Counter(images, benchmark::Counter::kIsRate);
  state.counters["generated"] = static_cast<double>(generated);
  state.counters["originals"] = static_cast<double>(originals);
  state.SetBytesProcessed(state.iterations() * generated * 2 * static_cast<int64_t>(in.train.sample_bytes()));
}

void BM_AugmentImages(benchmark::State& state) {
  const int64_t jobs = state.range(0);
  static const astraea::Dataset pool = [] {
    astraea::SyntheticSpec spec;
    spec.train_samples = 10000;
    spec.test_samples = 10;
    return astraea::make_synthetic(spec, 7).train;
  }();
  auto backend = astraea::make_backend("cpu", 1);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int32_t> source(0, static_cast<int32_t>(pool.n - 1));
  std::vector<astraea::AugmentJob> list(jobs);
  for (int64_t j = 0; j < jobs; ++j) {
    list[j] = astraea::make_augment_job(source(rng), 11, static_cast<uint32_t>(j / 64), static_cast<uint32_t>(j % 64), 0,
                                        astraea::AugmentRanges{}, pool.height, pool.width, astraea::kAffineOps);
  }
  const int64_t bytes = static_cast<int64_t>(pool.sample_bytes());
  std::vector<uint8_t> out(static_cast<size_t>(jobs * bytes));
  const astraea::AugmentImages f{pool.images.data(), list.data(), out.data(), pool.channels, pool.height, pool.width};
  for (auto _ : state) {
    backend->launch(f, jobs, pool.height);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(out.data());
  const double images = static_cast<double>(state.iterations()) * static_cast<double>(jobs);
  state.counters["images"] = benchmark::Counter(images, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * jobs * 2 * bytes);
}

BENCHMARK(BM_AugmentClients)
    ->ArgsProduct({{12000, 60000}, {1, 2}})
    ->ArgNames({"samples", "lanes"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AugmentImages)->Arg(1000)->Arg(10000)->Arg(100000)->ArgNames({"jobs"})->Unit(benchmark::kMillisecond);

}  // namespace
