// `astraea run`: one federated training run through the library's run driver
// (experiment/experiment.hpp): DIR/rounds.jsonl, summary.json, model.safetensors and checkpoints,
// a progress line per round on stderr, --resume, a clean stop on SIGINT/SIGTERM/SIGHUP (exit
// 128 + signal), and the --trace / --profile outputs.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "astraea/backend/backend_registry.hpp"
#include "astraea/core/error.hpp"
#include "astraea/core/trace.hpp"
#include "astraea/experiment/experiment.hpp"
#include "astraea/io/config.hpp"
#include "astraea/ranks/communicator.hpp"
#include "commands.hpp"

namespace astraea::cli {
namespace {

struct RunCommand {
  std::string config;
  std::string out;
  std::vector<std::string> overrides;
  std::string backend;
  int threads = -1;
  std::string trace;
  bool profile = false;
  bool resume = false;
};

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

void run(const RunCommand& o) {
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
  Experiment experiment(config, ranks.get());
  RunOptions options;
  options.out = o.out;
  options.resume = o.resume;
  const RunOutcome outcome = experiment.run(options);
  if (Tracer::instance().enabled()) {
    Tracer::instance().write();
    spdlog::info("wrote {} (open in https://ui.perfetto.dev)", Tracer::instance().path());
  }
  if (o.profile && writer) print_profile(outcome.rounds, outcome.io_seconds);
  if (!outcome.diverged.empty()) ASTRAEA_FAIL("{}", outcome.diverged);
  if (outcome.stopped) throw Interrupted{128 + (outcome.signal ? outcome.signal : SIGTERM)};
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunCommand>();
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
