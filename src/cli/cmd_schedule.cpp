// `astraea schedule`: the mediator scheduler alone — on synthetic client histograms (profiling
// scheduling overhead without training) or on a real partition's (`--histograms`, the clients.csv
// `astraea partition` writes) — printing the time, the mediators and how close they are to
// uniform: mean, sample-weighted and max mediator KL against the floor (the pooled clients' KL).
// `--out groups.csv` writes the groups for other systems: mediator, client, order in the chain.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>

#include "astraea/backend/backend_registry.hpp"
#include "astraea/core/error.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "astraea/fl/schedule_quality.hpp"
#include "astraea/fl/synthetic_population.hpp"
#include "astraea/io/partition_csv.hpp"
#include "astraea/kernels/kl_score.hpp"
#include "commands.hpp"

namespace astraea::cli {
namespace {

struct ScheduleCommand {
  PopulationSpec population;
  std::string histograms;  // a clients.csv instead of the synthetic population
  std::string out;         // groups.csv
  std::string start;       // groups.csv to balance instead of the greedy's groups
  int gamma = 10;
  int repeat = 1;
  std::string algorithm = "greedy";
  std::string balance = "mean";
  int balance_passes = 2;
  double balance_worst_ratio = 0;
  std::string backend = "cpu";  // for "batched"
  int threads = 0;
};

void run(const ScheduleCommand& o) {
  const auto t0 = std::chrono::steady_clock::now();
  ClientHistograms h;
  std::string source;
  if (!o.histograms.empty()) {
    h = read_clients_csv(o.histograms);
    source = o.histograms;
  } else {
    const PopulationSpec& p = o.population;
    h.classes = p.classes;
    h.counts = synthetic_histograms(p);
    h.ids.resize(p.clients);
    std::iota(h.ids.begin(), h.ids.end(), 0);
    source = fmt::format("synthetic: Dirichlet({}) mixes, sizes 1 + lognormal(log {}, {})", p.skew, p.median_size,
                         p.size_sigma);
  }
  const double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t clients = static_cast<int64_t>(h.ids.size());
  std::unique_ptr<Backend> backend;
  if (o.algorithm == "batched") backend = make_backend(o.backend, o.threads);
  SchedulerOptions options;
  options.gamma = o.gamma;
  options.seed = o.population.seed;
  options.backend = backend.get();
  options.balance = o.balance;
  options.balance_passes = o.balance_passes;
  options.balance_worst_ratio = o.balance_worst_ratio;
  const std::unique_ptr<MediatorScheduler> scheduler = make_scheduler(o.algorithm, options);
  // --start: another grouping (rows) for the balanced search to start from.
  MediatorGroups start;
  if (!o.start.empty()) {
    ASTRAEA_REQUIRE(o.algorithm == "balanced", "--start {}: only --algorithm balanced starts from given groups", o.start);
    start = read_groups_csv(o.start);
    try {
      chains_to_positions(start, h.ids);
    } catch (const Error& e) {
      ASTRAEA_FAIL("{}: {}", o.start, e.what());  // what is wrong lies in the file
    }
  }
  BalanceOptions balance;
  balance.gamma = o.gamma;
  balance.objective = o.balance;
  balance.passes = o.balance_passes;
  balance.worst_ratio = o.balance_worst_ratio;
  balance.seed = o.population.seed;
  balance.round = 1;
  MediatorGroups groups;
  double best = 1e30;
  for (int r = 0; r < o.repeat; ++r) {
    const auto t = std::chrono::steady_clock::now();
    if (start.empty()) {
      groups = scheduler->schedule_rows(h.counts.data(), h.classes, h.ids, 1);
    } else {
      try {
        groups = balance_mediators(h.counts.data(), h.classes, start, balance);
      } catch (const Error& e) {
        ASTRAEA_FAIL("{}: {}", o.start, e.what());  // what is wrong lies in the file
      }
      positions_to_chains(groups, h.ids);
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  // Client ids to rows.
  std::unordered_map<int64_t, size_t> row_of;
  for (size_t i = 0; i < h.ids.size(); ++i) row_of[h.ids[i]] = i;
  const ScheduleQuality q = schedule_quality(groups, h.classes, [&](int64_t k) {
    return h.counts.data() + row_of.at(k) * size_t(h.classes);
  });
  double client_kl = 0;
  for (int64_t k = 0; k < clients; ++k) client_kl += kl_to_uniform(h.counts.data() + k * h.classes, h.classes);
  if (!o.out.empty()) write_groups_csv(groups, o.out);
  std::printf("clients             %lld (%d classes; %s)\n", static_cast<long long>(clients), h.classes, source.c_str());
  std::printf("scheduler           %s%s%s, gamma %d\n", o.algorithm.c_str(),
              backend ? (" on " + backend->name()).c_str() : "", o.start.empty() ? "" : (" from " + o.start).c_str(), o.gamma);
  std::printf("time                %.4f s (best of %d; histograms loaded in %.3f s)\n", best, o.repeat, load);
  std::printf("mediators           %zu\n", groups.size());
  std::printf("mean mediator KL    %.4f\n", q.mean_kl);
  std::printf("weighted mediator KL %.4f (floor %.4f, gap %.4f)\n", q.weighted_kl, q.floor_kl, q.gap());
  std::printf("max mediator KL     %.4f\n", q.max_kl);
  std::printf("mean client KL      %.4f\n", clients ? client_kl / clients : 0.0);
  if (!o.out.empty()) std::printf("wrote               %s\n", o.out.c_str());
}

}  // namespace

void add_schedule_command(CLI::App& app) {
  auto o = std::make_shared<ScheduleCommand>();
  CLI::App* cmd = app.add_subcommand("schedule", "Run the mediator scheduler alone (synthetic or real histograms)");
  cmd->add_option("--histograms", o->histograms, "clients.csv (as `astraea partition` writes): schedule these clients")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "write the groups: mediator,client,order");
  cmd->add_option("--start", o->start,
                  "balanced: improve these groups (mediator,client,order, e.g. another system's) instead of the greedy's")
      ->check(CLI::ExistingFile);
  cmd->add_option("--clients", o->population.clients, "synthetic: online clients")->check(CLI::PositiveNumber);
  cmd->add_option("--classes", o->population.classes, "synthetic: classes")->check(CLI::Range(2, 1 << 16));
  cmd->add_option("--gamma", o->gamma, "mediator size")->check(CLI::PositiveNumber);
  cmd->add_option("--skew", o->population.skew, "synthetic: Dirichlet concentration of the label mixes")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--median-size", o->population.median_size, "synthetic: median client size")->check(CLI::Range(1.0, 1e9));
  cmd->add_option("--size-sigma", o->population.size_sigma, "synthetic: lognormal sigma of client sizes")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", o->population.seed, "seed (synthetic histograms, random groups)");
  cmd->add_option("--repeat", o->repeat, "time the best of this many runs")->check(CLI::PositiveNumber);
  std::string algorithms;
  for (const auto& e : scheduler_registry().entries()) algorithms += "\n  " + e.name + ": " + e.help;
  cmd->add_option("--algorithm", o->algorithm, "a registered scheduler (astraea.scheduler):" + algorithms)
      ->check(CLI::IsMember(scheduler_registry().names()));
  cmd->add_option("--balance", o->balance, "balanced: the objective, mean (sample-weighted) or max mediator KL")
      ->check(CLI::IsMember({"mean", "max"}));
  cmd->add_option("--balance-passes", o->balance_passes, "balanced: improvement passes at most")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--balance-worst-ratio", o->balance_worst_ratio,
                  "balanced, mean: then lower the worst mediator until it is within this many times the weighted mean "
                  "(0: off)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--backend", o->backend, "backend for --algorithm batched: cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--threads", o->threads, "CPU backend threads (0: all)")->check(CLI::NonNegativeNumber);
  cmd->callback([o] { run(*o); });
}

}  // namespace astraea::cli
