// `astraea run`: one federated training run; writes DIR/rounds.jsonl, DIR/summary.json and
// DIR/model.safetensors, and a progress line per round on stderr.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "astraea/backend/backend.hpp"
#include "astraea/core/trace.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/io/config.hpp"
#include "astraea/io/run_report.hpp"
#include "commands.hpp"

namespace astraea::cli {
namespace {

struct RunOptions {
  std::string config;
  std::string out;
  std::vector<std::string> overrides;
  std::string backend;
  int threads = -1;
  std::string trace;
  bool profile = false;
};

// Per-phase totals over the run: total, mean per round, share of the rounds' wall time.
void print_profile(const std::vector<RoundResult>& rounds, double io_seconds) {
  struct Row {
    const char* name;
    double total = 0;
  };
  std::vector<Row> rows = {{"augment"}, {"sample"}, {"schedule"}, {"plan"}, {"train"}, {"aggregate"}, {"evaluate"}, {"io"}};
  double wall = io_seconds;
  for (const RoundResult& r : rounds) {
    const PhaseTimes& t = r.times;
    const double v[] = {t.augment, t.sample, t.schedule, t.plan, t.train, t.aggregate, t.evaluate};
    for (size_t i = 0; i < 7; ++i) rows[i].total += v[i];
    wall += r.seconds + t.augment;
  }
  rows[7].total = io_seconds;
  const double n = std::max<size_t>(rounds.size(), 1);
  std::printf("\n%-10s %10s %14s %8s\n", "phase", "total s", "mean ms/round", "share");
  for (const Row& row : rows) {
    std::printf("%-10s %10.4f %14.3f %7.1f%%\n", row.name, row.total, 1e3 * row.total / n, wall > 0 ? 100 * row.total / wall : 0.0);
  }
  std::printf("%-10s %10.4f %14.3f %7.1f%%\n", "all", wall, 1e3 * wall / n, 100.0);
}

void run(const RunOptions& o) {
  std::vector<std::string> overrides = o.overrides;
  if (!o.backend.empty()) overrides.push_back("train.backend=" + o.backend);
  if (o.threads >= 0) overrides.push_back("train.threads=" + std::to_string(o.threads));
  const ExperimentConfig config = load_config(o.config, overrides);
  if (!o.trace.empty()) Tracer::instance().enable(o.trace);
  const TrainTest data = load_data(config.data, config.seed);
  const ClientStore store = make_partition(config.partition, data.train.labels, data.train.classes);
  const PartitionStats pstats = partition_stats(store);
  spdlog::info("{}: {} clients, {} samples, max/min class ratio {:.1f}, mean client KL {:.3f}", config.name,
               store.num_clients(), store.total_samples(), pstats.max_min_ratio, pstats.mean_client_kl);
  std::unique_ptr<Backend> backend = make_backend(config.train.backend, config.train.threads);
  FederatedRun fl(config.train, config.astraea, config.seed, data.train, data.test, store, *backend);
  nlohmann::json extra;
  if (const AugmentedData* aug = fl.augmentation()) {
    extra["augmentation"] = augmentation_report(*aug, data.train);
    spdlog::info("augmentation {}: {} generated, {} dropped samples, {:.1f} MB extra storage ({:.1f} s)",
                 config.astraea.augmentation.method, extra["augmentation"]["generated"].get<int64_t>(),
                 extra["augmentation"]["dropped"].get<int64_t>(), aug->extra_bytes() / 1e6, fl.augment_seconds());
  }
  spdlog::info("backend {} ({} lanes, {} replicas per call), model {}", backend->name(), backend->lanes(),
               fl.trainer().tile(), fl.model().describe());
  RunReport report(o.out, config);
  std::vector<RoundResult> history;
  double io_seconds = 0;
  for (int round = 1; round <= config.train.rounds; ++round) {
    const RoundResult r = fl.run_round(round);
    {
      PhaseScope io("io", &io_seconds);
      report.add_round(r);
    }
    history.push_back(r);
    if (r.evaluated) {
      spdlog::info("round {:>4}/{}  train loss {:.4f}  test acc {:6.2f}%  macro F1 {:.3f}  {:.3f} s/round", round,
                   config.train.rounds, r.train_loss, 100 * r.test.accuracy, r.test.macro_f1, r.seconds);
    } else {
      spdlog::info("round {:>4}/{}  train loss {:.4f}  {:.3f} s/round", round, config.train.rounds, r.train_loss,
                   r.seconds);
    }
  }
  {
    PhaseScope io("io", &io_seconds);
    report.write_model(fl.model(), fl.global_params());
    report.write_summary(fl.model(), backend->name(), extra);
  }
  spdlog::info("wrote {}/rounds.jsonl, summary.json, model.safetensors", o.out);
  if (Tracer::instance().enabled()) {
    Tracer::instance().write();
    spdlog::info("wrote {} (open in https://ui.perfetto.dev)", Tracer::instance().path());
  }
  if (o.profile) print_profile(history, io_seconds);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run federated training (FedAvg or Astraea) and write its reports");
  cmd->add_option("--config", opts->config, "experiment TOML file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "output directory")->required();
  cmd->add_option("--set", opts->overrides, "override a config key: section.key=value (repeatable)");
  cmd->add_option("--backend", opts->backend, "auto, cpu or cuda (overrides train.backend)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--threads", opts->threads, "CPU threads (overrides train.threads; 0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--trace", opts->trace, "write a Chrome trace of every phase (and every replica on each CPU lane)");
  cmd->add_flag("--profile", opts->profile, "print a per-phase table at the end (total, mean, share of the run)");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace astraea::cli
