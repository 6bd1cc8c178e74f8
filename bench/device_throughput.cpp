// Device-level throughput through the Backend interface, so one program measures the CPU or a GPU:
//   build/bench/device_throughput --backend cuda     (or cpu)
// - GEMM: 4096^3 sgemm rate (the ceiling training is compared with);
// - copy: device-to-device copy bandwidth of 1 GiB (cpu: 256 MiB), the ceiling for aggregation;
// - aggregation: WeightedDeltaSum over R replicas x P parameters, bytes/s against the copy rate
//   (target on a GPU: >= 80% of the copy bandwidth);
// - KLD scoring: every candidate of 10^6 clients x 10 classes against an open mediator
//   (target on a GPU: <= 2 ms).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "astraea/backend/backend.hpp"

using namespace astraea;

namespace {

// Best of `repeats` timings of f(), synchronised.
template <typename F>
double best_seconds(Backend& be, int repeats, F&& f) {
  f();  // warm-up
  be.synchronize();
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto t = std::chrono::steady_clock::now();
    f();
    be.synchronize();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "auto";
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--backend") && i + 1 < argc) name = argv[++i];
  std::unique_ptr<Backend> be;
  try {
    be = make_backend(name, 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  const bool gpu = be->is_device();
  std::printf("backend %s\n\n| measurement | size | time | rate |\n|---|---|---|---|\n", be->name().c_str());

  {  // GEMM ceiling
    const int n = gpu ? 4096 : 1024;
    DeviceArray<float> a(*be, size_t(n) * n), b(*be, size_t(n) * n), c(*be, size_t(n) * n);
    be->zero(a.data(), a.bytes());
    be->zero(b.data(), b.bytes());
    const double s = best_seconds(*be, 5, [&] {
      be->gemm_strided_batched(Trans::kNo, Trans::kNo, n, n, n, 1.0f, a.data(), n, 0, b.data(), n, 0, 0.0f, c.data(), n,
                               0, 1);
    });
    std::printf("| sgemm | %d^3 | %.3f ms | %.1f GFLOP/s |\n", n, 1e3 * s, 2.0 * n * n * n / s / 1e9);
  }
  double copy_rate = 0;
  {  // copy ceiling
    const size_t bytes = gpu ? (size_t(1) << 30) : (size_t(1) << 28);
    DeviceArray<uint8_t> src(*be, bytes), dst(*be, bytes);
    be->zero(src.data(), bytes);
    const double s = best_seconds(*be, 5, [&] { be->copy(dst.data(), src.data(), bytes); });
    copy_rate = 2.0 * bytes / s;  // read + write
    std::printf("| copy | %zu MiB | %.3f ms | %.1f GB/s (read + write) |\n", bytes >> 20, 1e3 * s, copy_rate / 1e9);
  }
  for (int64_t replicas : {8, 64}) {  // aggregation
    const int64_t params = 1626442;  // pfl_cnn
    DeviceArray<float> w(*be, size_t(replicas * params)), global(*be, size_t(params)), acc(*be, size_t(params)),
        coef(*be, size_t(replicas));
    be->zero(w.data(), w.bytes());
    be->zero(global.data(), global.bytes());
    be->zero(acc.data(), acc.bytes());
    be->zero(coef.data(), coef.bytes());
    const double s = best_seconds(*be, 10, [&] {
      be->launch(WeightedDeltaSum{acc.data(), w.data(), global.data(), coef.data(), replicas, params}, 1, params);
    });
    const double bytes = double(replicas + 3) * params * 4;  // read w, global, acc; write acc
    std::printf("| aggregation (WeightedDeltaSum) | %lld x %lld | %.3f ms | %.1f GB/s (%.0f%% of copy) |\n",
                (long long)replicas, (long long)params, 1e3 * s, bytes / s / 1e9, 100 * bytes / s / copy_rate);
  }
  {  // KLD scoring
    const int64_t clients = 1000000;
    const int classes = 10;
    std::vector<int32_t> h(size_t(clients) * classes);
    std::mt19937 rng(1);
    for (auto& v : h) v = static_cast<int32_t>(rng() % 8);
    std::vector<int64_t> merged = {40, 10, 30, 25, 5, 60, 15, 35, 20, 10};
    DeviceArray<int32_t> dh(*be, h.size());
    DeviceArray<int64_t> dm(*be, merged.size());
    DeviceArray<double> scores(*be, size_t(clients));
    dh.upload(h.data(), h.size());
    dm.upload(merged.data(), merged.size());
    const double s = best_seconds(*be, 10, [&] {
      be->launch(KldScores{dh.data(), dm.data(), scores.data(), classes}, 1, clients);
    });
    std::printf("| KLD scoring | %lld clients x %d classes | %.3f ms | %.1f M clients/s |\n", (long long)clients, classes,
                1e3 * s, clients / s / 1e6);
  }
  return 0;
}
