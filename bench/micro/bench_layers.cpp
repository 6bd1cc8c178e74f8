// Replica-batched layers through Layer::forward / Layer::backward with a LayerPass on the CPU
// backend (make_backend("cpu", 1): one lane, OpenBLAS single-threaded), R replicas with their own
// parameters (param_stride = param_count) x B samples per call:
//   dense_784_200          dense 784 -> 200 (mlp's first layer)
//   conv5x5s2_28x28x1_12   conv 5x5, stride 2, valid, 28x28x1 -> 12x12x12 (emnist_cnn's first layer)
//   conv3x3_32x32x32_64    conv 3x3, stride 1, valid, 32x32x32 -> 30x30x64 (pfl_cnn's second layer)
// FLOPs per sample: forward 2 * in * out (dense), 2 * out_positions * patch * out_channels (conv)
// (Layer::forward_flops); backward twice that (input gradients and weight gradients; the input
// gradient is always computed). Reports FLOP/s and samples/s. Backward runs after one forward
// (the conv's saved im2col patches) and times the backward alone.
//
//   ninja -C build astraea_micro_bench
//   build/bench/astraea_micro_bench --benchmark_filter=Layer [--benchmark_min_time=0.05]
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "astraea/backend/backend.hpp"
#include "astraea/nn/layer.hpp"

namespace {

using LayerFactory = std::function<std::unique_ptr<astraea::Layer>()>;

const LayerFactory kDense = [] { return astraea::make_dense(astraea::TensorShape{1, 1, 784}, 200); };
const LayerFactory kConv5x5 = [] { return astraea::make_conv2d(astraea::TensorShape{28, 28, 1}, 12, 5, 2, false); };
const LayerFactory kConv3x3 = [] { return astraea::make_conv2d(astraea::TensorShape{32, 32, 32}, 64, 3, 1, false); };

std::vector<float> random_floats(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// Everything one layer call needs, host vectors (the CPU backend's memory is host memory).
struct LayerBench {
  std::unique_ptr<astraea::Backend> backend;
  std::unique_ptr<astraea::Layer> layer;
  int replicas, batch;
  int64_t param_count;
  std::vector<float> params, x, y, dy, dx, grads, saved, scratch;
  astraea::LayerPass pass;

  LayerBench(const LayerFactory& make, int r, int b) : backend(astraea::make_backend("cpu", 1)), layer(make()), replicas(r), batch(b) {
    layer->place(0, 0);  // parameter offsets inside the vector (a model builder would do this)
    param_count = layer->param_count();
    const size_t rb = static_cast<size_t>(r) * b;
    const size_t in = static_cast<size_t>(layer->input_shape().size()), out = static_cast<size_t>(layer->output_shape().size());
    params = random_floats(static_cast<size_t>(r) * param_count, 0.05f, 1);
    x = random_floats(rb * in, 1.0f, 2);
    y.assign(rb * out, 0.0f);
    dy = random_floats(rb * out, 0.01f, 3);
    dx.assign(rb * in, 0.0f);
    grads.assign(static_cast<size_t>(r) * param_count, 0.0f);
    saved.assign(static_cast<size_t>(r) * layer->saved_floats(b), 0.0f);
    scratch.assign(static_cast<size_t>(r) * layer->scratch_floats(b), 0.0f);
    pass.backend = backend.get();
    pass.replicas = r;
    pass.batch = b;
    pass.params = params.data();
    pass.param_stride = param_count;
    pass.training = true;
    pass.saved = saved.empty() ? nullptr : saved.data();
    pass.scratch = scratch.empty() ? nullptr : scratch.data();
  }
  double flops_per_call() const { return layer->forward_flops() * replicas * batch; }
};

void report(benchmark::State& state, const LayerBench& lb, double flops_per_call) {
  const double calls = static_cast<double>(state.iterations());
  state.counters["FLOPS"] = benchmark::Counter(calls * flops_per_call, benchmark::Counter::kIsRate);
  state.counters["samples"] = benchmark::Counter(calls * lb.replicas * lb.batch, benchmark::Counter::kIsRate);
}

void BM_LayerForward(benchmark::State& state, const LayerFactory& make) {
  LayerBench lb(make, static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) {
    lb.layer->forward(lb.pass, lb.x.data(), lb.y.data());
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(lb.y.data());
  report(state, lb, lb.flops_per_call());
}

void BM_LayerBackward(benchmark::State& state, const LayerFactory& make) {
  LayerBench lb(make, static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  lb.layer->forward(lb.pass, lb.x.data(), lb.y.data());
  const astraea::GradTarget grad{lb.grads.data(), lb.param_count, 1.0f, 0.0f};
  for (auto _ : state) {
    lb.layer->backward(lb.pass, lb.x.data(), lb.y.data(), lb.dy.data(), lb.dx.data(), grad);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(lb.dx.data());
  benchmark::DoNotOptimize(lb.grads.data());
  report(state, lb, 2.0 * lb.flops_per_call());
}

void axes(benchmark::internal::Benchmark* b) {
  b->ArgsProduct({{1, 8}, {10, 50}})->ArgNames({"replicas", "batch"})->Unit(benchmark::kMicrosecond);
}

BENCHMARK_CAPTURE(BM_LayerForward, dense_784_200, kDense)->Apply(axes);
BENCHMARK_CAPTURE(BM_LayerBackward, dense_784_200, kDense)->Apply(axes);
BENCHMARK_CAPTURE(BM_LayerForward, conv5x5s2_28x28x1_12, kConv5x5)->Apply(axes);
BENCHMARK_CAPTURE(BM_LayerBackward, conv5x5s2_28x28x1_12, kConv5x5)->Apply(axes);
BENCHMARK_CAPTURE(BM_LayerForward, conv3x3_32x32x32_64, kConv3x3)->Apply(axes);
BENCHMARK_CAPTURE(BM_LayerBackward, conv3x3_32x32x32_64, kConv3x3)->Apply(axes);

}  // namespace
