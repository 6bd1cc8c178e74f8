// `astraea run`: one federated training run; writes DIR/rounds.jsonl, DIR/summary.json and
// DIR/model.safetensors, and a progress line per round on stderr. Checkpoints every
// train.checkpoint_every rounds, after the last and on SIGINT/SIGTERM (after the round in flight;
// a second signal ends the process at once); --resume continues from DIR's checkpoint. Under an
// MPI launcher the run spans the ranks (ranks/communicator.hpp); rank 0 writes DIR.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "astraea/backend/backend_registry.hpp"
#include "astraea/core/error.hpp"
#include "astraea/core/trace.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/ranks/communicator.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/io/checkpoint.hpp"
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
  bool resume = false;
};

volatile std::sig_atomic_t stop_signal = 0;

void on_stop_signal(int sig) {
  stop_signal = sig;
  std::signal(sig, SIG_DFL);  // a second one is not caught
}

// The checkpoint to resume from, checked against this run's config and model: round 0 if none.
Checkpoint resume_point(const RunOptions& o, const ExperimentConfig& config, const Dataset& train, bool writer) {
  const std::string path = checkpoint_path(o.out);
  if (!o.resume) {
    if (!writer) return {};
    // A fresh run: an earlier run's checkpoint in DIR no longer matches DIR's rounds.jsonl.
    std::error_code ec;
    if (std::filesystem::remove(path, ec)) spdlog::info("removed {} (an earlier run's; this one starts fresh)", path);
    return {};
  }
  if (!std::filesystem::exists(path)) {
    spdlog::info("--resume: no {} yet, starting at round 1", path);
    return {};
  }
  const auto model = make_model(config.train.model, TensorShape{train.height, train.width, train.channels}, train.classes);
  Checkpoint c = read_checkpoint(o.out, *model);
  const std::vector<std::string> differ = config_differences(c.config_json, config_as_json(config));
  if (!differ.empty()) {
    std::string keys;
    for (const auto& k : differ) keys += (keys.empty() ? "" : ", ") + k;
    ASTRAEA_FAIL("{}: was written by a run with other settings ({}): --resume continues the same experiment only "
                 "(train.rounds may grow); choose another --out for a new one",
                 path, keys);
  }
  spdlog::info("resuming after round {} from {}", c.round, path);
  return c;
}

// Per-phase totals over the run: total, mean per round, share of the rounds' wall time.
void print_profile(const std::vector<RoundResult>& rounds, double io_seconds) {
  struct Row {
    const char* name;
    double total = 0;
  };
  std::vector<Row> rows = {{"augment"},     {"sample"},    {"schedule"}, {"plan"}, {"train"},
                           {"communicate"}, {"aggregate"}, {"evaluate"}, {"io"}};
  double wall = io_seconds;
  for (const RoundResult& r : rounds) {
    const PhaseTimes& t = r.times;
    const double v[] = {t.augment, t.sample, t.schedule, t.plan, t.train, t.communicate, t.aggregate, t.evaluate};
    for (size_t i = 0; i < 8; ++i) rows[i].total += v[i];
    wall += r.seconds + t.augment;
  }
  rows[8].total = io_seconds;
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
  // Ranks of an MPI launch compute alike; rank 0 alone logs progress and writes DIR.
  const std::unique_ptr<Communicator> ranks = make_communicator();
  const bool writer = ranks->rank() == 0;
  if (!writer && spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
  if (ranks->size() > 1) spdlog::info("{} ranks (MPI): each trains its share of every round's mediators", ranks->size());
  if (!o.trace.empty()) {
    Tracer::instance().enable(writer ? o.trace : fmt::format("{}.rank{}", o.trace, ranks->rank()), ranks->rank());
  }
  const TrainTest data = load_data(config.data, config.seed);
  const Checkpoint resumed = resume_point(o, config, data.train, writer);
  const ClientStore store = make_partition(config.partition, data.train.labels, data.train.classes);
  const PartitionStats pstats = partition_stats(store);
  spdlog::info("{}: {} clients, {} samples, max/min class ratio {:.1f}, mean client KL {:.3f}", config.name,
               store.num_clients(), store.total_samples(), pstats.max_min_ratio, pstats.mean_client_kl);
  std::unique_ptr<Backend> backend = make_backend(config.train.backend, config.train.threads);
  FederatedRun fl(config.train, config.astraea, config.seed, data.train, data.test, store, *backend, ranks.get());
  nlohmann::json extra;
  if (const AugmentedData* aug = fl.augmentation()) {
    extra["augmentation"] = augmentation_report(*aug, data.train);
    spdlog::info("augmentation {}: {} generated, {} dropped samples, {:.1f} MB extra storage ({:.1f} s)",
                 config.astraea.augmentation.method, extra["augmentation"]["generated"].get<int64_t>(),
                 extra["augmentation"]["dropped"].get<int64_t>(), aug->extra_bytes() / 1e6, fl.augment_seconds());
  }
  extra["ranks"] = ranks->size();
  spdlog::info("backend {} ({} lanes, {} replicas per call), model {}", backend->name(), backend->lanes(),
               fl.trainer().tile(), fl.model().describe());
  if (resumed.round > 0) fl.set_global_params(resumed.params);
  std::optional<RunReport> report;
  if (writer) report.emplace(o.out, config, resumed.round);
  const std::string config_json = config_as_json(config);
  std::vector<RoundResult> history;
  double io_seconds = 0;
  stop_signal = 0;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  int round = resumed.round, checkpointed = resumed.round;
  bool stop = false;
  while (round < config.train.rounds && !stop) {
    const RoundResult r = fl.run_round(++round);
    if (writer) {
      PhaseScope io("io", &io_seconds);
      report->add_round(r);
      if (config.train.checkpoint_every > 0 && round % config.train.checkpoint_every == 0) {
        write_checkpoint(o.out, fl.model(), Checkpoint{checkpointed = round, config_json, fl.global_params()});
      }
    }
    history.push_back(r);
    if (r.evaluated) {
      spdlog::info("round {:>4}/{}  train loss {:.4f}  test acc {:6.2f}%  macro F1 {:.3f}  {:.3f} s/round", round,
                   config.train.rounds, r.train_loss, 100 * r.test.accuracy, r.test.macro_f1, r.seconds);
    } else {
      spdlog::info("round {:>4}/{}  train loss {:.4f}  {:.3f} s/round", round, config.train.rounds, r.train_loss,
                   r.seconds);
    }
    stop = ranks->any(stop_signal != 0);  // every rank stops after the same round
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  const bool interrupted = stop && round < config.train.rounds;
  if (writer) {
    PhaseScope io("io", &io_seconds);
    Checkpoint last{round, config_json, fl.global_params()};
    report->write_model(fl.model(), last.params);
    // After the last round, or the one a signal let finish.
    if (round > checkpointed) write_checkpoint(o.out, fl.model(), last);
    report->write_summary(fl.model(), backend->name(), extra);
    spdlog::info("wrote {}/rounds.jsonl, summary.json, model.safetensors, checkpoint.safetensors", o.out);
  }
  if (interrupted) {
    spdlog::warn("stopped by a signal after round {} of {}: continue with the same command and --resume", round,
                 config.train.rounds);
  }
  if (Tracer::instance().enabled()) {
    Tracer::instance().write();
    spdlog::info("wrote {} (open in https://ui.perfetto.dev)", Tracer::instance().path());
  }
  if (o.profile && writer) print_profile(history, io_seconds);
  if (interrupted) throw Interrupted{128 + (stop_signal ? int(stop_signal) : SIGTERM)};
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run federated training (FedAvg or Astraea) and write its reports");
  cmd->add_option("--config", opts->config, "experiment TOML file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "output directory")->required();
  cmd->add_option("--set", opts->overrides, "override a config key: section.key=value (repeatable)");
  cmd->add_option("--backend", opts->backend, "auto, cpu or cuda (overrides train.backend)")
      ->check(CLI::IsMember(backend_registry().names()));
  cmd->add_option("--threads", opts->threads, "CPU threads (overrides train.threads; 0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--trace", opts->trace, "write a Chrome trace of every phase (and every replica on each CPU lane)");
  cmd->add_flag("--profile", opts->profile, "print a per-phase table at the end (total, mean, share of the run)");
  cmd->add_flag("--resume", opts->resume,
                "continue from DIR/checkpoint.safetensors when there is one (same config; train.rounds may grow)");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace astraea::cli
