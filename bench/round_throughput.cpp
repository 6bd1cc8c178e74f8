// Throughput of local training in one FedAvg round, next to this machine's own sgemm rate and a plain
// per-replica OpenBLAS loop, both measured in the same run; and the cost of a round against its
// client count at equal work. FLOPs per sample: forward + weight gradients + input gradients of all
// but the first parameterised layer (Model::train_flops_per_sample).
//
//   build/bench/round_throughput [--threads N] [--quick]
//
// Prints a Markdown table (bench/RESULTS.md keeps the figures with machine and date).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <cblas.h>
#include <omp.h>

#include "astraea/backend/backend.hpp"
#include "astraea/data/client_store.hpp"
#include "astraea/data/synthetic.hpp"
#include "astraea/fl/replica_trainer.hpp"

using namespace astraea;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Best of several 1024^3 sgemm calls with every core (OpenBLAS's own threading).
double sgemm_gflops(int threads) {
  const int n = 1024;
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n, 0.0f);
  openblas_set_num_threads(threads);
  double best = 0;
  for (int i = 0; i < 6; ++i) {
    const auto t = Clock::now();
    cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    best = std::max(best, 2.0 * n * n * n / seconds(t) / 1e9);
  }
  return best;
}

// The reference the engine is held to: a plain per-replica loop of OpenBLAS calls for the mlp
// (784-200-200-10), one thread per replica, SGD fused into the weight-gradient GEMM (beta = 1).
// Returns samples/s.
double plain_mlp_loop(int batch, int replicas, int steps, int threads) {
  const int dims[4] = {784, 200, 200, 10};
  const int64_t P = 784 * 200 + 200 * 200 + 200 * 10;
  std::vector<float> weights(size_t(replicas) * P, 0.01f);
  openblas_set_num_threads(1);
  const auto t = Clock::now();
#pragma omp parallel for schedule(dynamic) num_threads(threads)
  for (int r = 0; r < replicas; ++r) {
    std::vector<float> act[4], grad[4];
    for (int l = 0; l < 4; ++l) {
      act[l].assign(size_t(batch) * dims[l], 0.5f);
      grad[l].assign(size_t(batch) * dims[l], 0.01f);
    }
    float* w[3] = {weights.data() + r * P, nullptr, nullptr};
    w[1] = w[0] + 784 * 200;
    w[2] = w[1] + 200 * 200;
    for (int s = 0; s < steps; ++s) {
      for (int l = 0; l < 3; ++l) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, dims[l + 1], dims[l], 1.0f, act[l].data(), dims[l],
                    w[l], dims[l], 0.0f, act[l + 1].data(), dims[l + 1]);
        if (l < 2) for (auto& v : act[l + 1]) v = v > 0 ? v : 0;
      }
      for (int l = 2; l >= 0; --l) {
        if (l > 0) {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, dims[l], dims[l + 1], 1.0f, grad[l + 1].data(),
                      dims[l + 1], w[l], dims[l], 0.0f, grad[l].data(), dims[l]);
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dims[l + 1], dims[l], batch, -0.01f, grad[l + 1].data(),
                    dims[l + 1], act[l].data(), dims[l], 1.0f, w[l], dims[l]);
        if (l > 0) for (size_t i = 0; i < grad[l].size(); ++i) grad[l][i] = act[l][i] > 0 ? grad[l][i] : 0.0f;
      }
    }
  }
  return double(replicas) * steps * batch / seconds(t);
}

struct Setup {
  Dataset train;
  ClientStore store{10};
};

// `clients` clients of `per_client` samples each over a synthetic 28x28x1, 10-class pool.
Setup make_setup(int64_t clients, int64_t per_client) {
  SyntheticSpec spec;
  spec.train_samples = clients * per_client;
  spec.test_samples = 10;
  Setup s;
  s.train = make_synthetic(spec, 7).train;
  for (int64_t k = 0; k < clients; ++k) {
    std::vector<int32_t> ids(per_client);
    std::iota(ids.begin(), ids.end(), static_cast<int32_t>(k * per_client));
    s.store.add_client(ids.data(), per_client, s.train.labels);
  }
  return s;
}

struct RoundTiming {
  double train_seconds;
  int64_t samples;
};

// Times the local training of one round over every client of `s` (best of `repeats`).
RoundTiming time_round(Backend& be, const Model& model, const Setup& s, int batch, int repeats) {
  TrainerOptions opt;
  opt.optimizer.kind = OptimizerKind::kSgd;
  opt.optimizer.lr = 0.01f;
  opt.batch = batch;
  ReplicaTrainer trainer(be, model, opt);
  LocalTraining local;
  local.batch = batch;
  std::vector<StepPlan> plans;
  int64_t n = 0;
  for (int64_t k = 0; k < s.store.num_clients(); ++k) {
    plans.push_back(make_step_plan(s.store, {k}, local, 1, 1, static_cast<uint32_t>(k)));
    n += plans.back().samples;
  }
  std::vector<float> coef(plans.size());
  for (size_t m = 0; m < plans.size(); ++m) coef[m] = float(double(plans[m].samples) / n);
  std::vector<float> global(model.num_params()), acc(model.num_params());
  model.init_params(global.data(), 1);
  const SamplePool pool{s.train.images.data(), s.train.labels.data(), s.train.n, nullptr, nullptr, 1, 28, 28};
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const auto t = Clock::now();
    trainer.train(plans, coef, pool, global.data(), acc.data(), 1);
    best = std::min(best, seconds(t));
  }
  return RoundTiming{best, n};
}

}  // namespace

int main(int argc, char** argv) {
  int threads = omp_get_max_threads();
  bool quick = false;
  std::string only;  // e.g. "mlp:10": one throughput case, nothing else (for profiling)
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
  }
  const double ceiling = sgemm_gflops(threads);
  std::printf("sgemm 1024^3, OpenBLAS, %d threads: %.1f GFLOP/s (the ceiling below)\n\n", threads, ceiling);
  auto be = make_backend("cpu", threads);

  std::printf("| model | batch | clients x samples | samples/s | GFLOP/s | %% of sgemm | plain OpenBLAS loop, samples/s | engine / plain |\n"
              "|---|---|---|---|---|---|---|---|\n");
  const int64_t clients = quick ? 16 : 64;
  for (const char* name : {"mlp", "emnist_cnn"}) {
    auto model = make_model(name, TensorShape{28, 28, 1}, 10);
    for (int batch : {10, 50}) {
      if (!only.empty() && only != std::string(name) + ":" + std::to_string(batch)) continue;
      const Setup s = make_setup(clients, quick ? 100 : 600);
      const RoundTiming t = time_round(*be, *model, s, batch, quick ? 1 : 3);
      const double rate = t.samples / t.train_seconds;
      const double gflops = rate * model->train_flops_per_sample() / 1e9;
      std::string plain = "-", ratio = "-";
      if (std::string(name) == "mlp") {
        const double p = plain_mlp_loop(batch, static_cast<int>(clients), static_cast<int>(t.samples / clients / batch),
                                        threads);
        plain = std::to_string(static_cast<long long>(p));
        ratio = std::to_string(static_cast<int>(100 * rate / p)) + "%";
      }
      std::printf("| %s | %d | %lld x %lld | %.0f | %.1f | %.0f%% | %s | %s |\n", name, batch, (long long)clients,
                  (long long)(t.samples / clients), rate, gflops, 100 * gflops / ceiling, plain.c_str(), ratio.c_str());
    }
  }

  if (!only.empty()) return 0;
  std::printf("\nCost against client count at equal work (mlp, batch 10, every client in the round):\n\n");
  std::printf("| clients x samples | train s | samples/s |\n|---|---|---|\n");
  auto mlp = make_model("mlp", TensorShape{28, 28, 1}, 10);
  double base = 0;
  for (auto [clients_n, per] : {std::pair<int64_t, int64_t>{1000, 60}, {10000, 6}}) {
    if (quick) clients_n /= 10;
    const Setup s = make_setup(clients_n, per);
    const RoundTiming t = time_round(*be, *mlp, s, 10, quick ? 1 : 3);
    std::printf("| %lld x %lld | %.3f | %.0f |\n", (long long)clients_n, (long long)per, t.train_seconds,
                t.samples / t.train_seconds);
    if (base == 0) {
      base = t.train_seconds;
    } else {
      std::printf("\nratio (many small clients / few large): %.2fx (target <= 2x)\n", t.train_seconds / base);
    }
  }
  return 0;
}
