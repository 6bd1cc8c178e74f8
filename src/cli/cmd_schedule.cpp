// `astraea schedule`: times the mediator scheduler alone on synthetic client histograms and prints
// the time, the number of mediators and the mean mediator and client KL — profiling scheduling
// overhead without training.
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>

#include "astraea/backend/backend.hpp"
#include "astraea/core/error.hpp"
#include "astraea/kernels/kl_score.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "astraea/fl/synthetic_population.hpp"
#include "commands.hpp"

namespace astraea::cli {
namespace {

struct ScheduleOptions {
  PopulationSpec population;
  int gamma = 10;
  int repeat = 1;
  std::string algorithm = "greedy";
  std::string backend = "cpu";  // for "batched"
  int threads = 0;
};

double mean_kl(const std::vector<int32_t>& h, int classes, const MediatorGroups& groups) {
  double sum = 0;
  std::vector<int64_t> merged(classes);
  for (const auto& g : groups) {
    std::fill(merged.begin(), merged.end(), 0);
    for (int64_t k : g)
      for (int y = 0; y < classes; ++y) merged[y] += h[size_t(k) * classes + y];
    sum += kl_to_uniform(merged.data(), classes);
  }
  return groups.empty() ? 0.0 : sum / groups.size();
}

void run(const ScheduleOptions& o) {
  const PopulationSpec& p = o.population;
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<int32_t> h = synthetic_histograms(p);
  const double gen = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<int64_t> ids(p.clients);
  std::iota(ids.begin(), ids.end(), 0);
  std::unique_ptr<Backend> backend;
  if (o.algorithm == "batched") backend = make_backend(o.backend, o.threads);
  SchedulerOptions options;
  options.gamma = o.gamma;
  options.seed = p.seed;
  options.backend = backend.get();
  const std::unique_ptr<MediatorScheduler> scheduler = make_scheduler(o.algorithm, options);
  MediatorGroups groups;
  double best = 1e30;
  for (int r = 0; r < o.repeat; ++r) {
    const auto t = std::chrono::steady_clock::now();
    groups = scheduler->schedule_rows(h.data(), p.classes, ids, 1);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  double client_kl = 0;
  for (int64_t k = 0; k < p.clients; ++k) client_kl += kl_to_uniform(h.data() + k * p.classes, p.classes);
  std::printf("clients          %lld (%d classes, Dirichlet(%g) mixes, sizes 1 + lognormal(log %g, %g))\n",
              static_cast<long long>(p.clients), p.classes, p.skew, p.median_size, p.size_sigma);
  std::printf("scheduler        %s%s, gamma %d\n", o.algorithm.c_str(),
              backend ? (" on " + backend->name()).c_str() : "", o.gamma);
  std::printf("time             %.4f s (best of %d; histograms generated in %.3f s)\n", best, o.repeat, gen);
  std::printf("mediators        %zu\n", groups.size());
  std::printf("mean mediator KL %.4f\n", mean_kl(h, p.classes, groups));
  std::printf("mean client KL   %.4f\n", client_kl / p.clients);
}

}  // namespace

void add_schedule_command(CLI::App& app) {
  auto o = std::make_shared<ScheduleOptions>();
  CLI::App* cmd = app.add_subcommand("schedule", "Time the mediator scheduler alone on synthetic client histograms");
  cmd->add_option("--clients", o->population.clients, "online clients")->check(CLI::PositiveNumber);
  cmd->add_option("--classes", o->population.classes, "classes")->check(CLI::Range(2, 1 << 20));
  cmd->add_option("--gamma", o->gamma, "mediator size")->check(CLI::PositiveNumber);
  cmd->add_option("--skew", o->population.skew, "Dirichlet concentration of the label mixes")->check(CLI::PositiveNumber);
  cmd->add_option("--median-size", o->population.median_size, "median client size")->check(CLI::Range(1.0, 1e9));
  cmd->add_option("--size-sigma", o->population.size_sigma, "lognormal sigma of client sizes")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", o->population.seed, "seed");
  cmd->add_option("--repeat", o->repeat, "time the best of this many runs")->check(CLI::PositiveNumber);
  std::string algorithms;
  for (const auto& e : scheduler_registry().entries()) algorithms += "\n  " + e.name + ": " + e.help;
  cmd->add_option("--algorithm", o->algorithm, "a registered scheduler (astraea.scheduler):" + algorithms)
      ->check(CLI::IsMember(scheduler_registry().names()));
  cmd->add_option("--backend", o->backend, "backend for --algorithm batched: cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--threads", o->threads, "CPU backend threads (0: all)")->check(CLI::NonNegativeNumber);
  cmd->callback([o] { run(*o); });
}

}  // namespace astraea::cli
