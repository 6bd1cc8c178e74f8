#include "astraea/experiment/experiment.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <unistd.h>
#include <optional>

#include <spdlog/spdlog.h>

#include "astraea/core/error.hpp"
#include "astraea/core/trace.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/experiment/stop_signals.hpp"
#include "astraea/io/checkpoint.hpp"
#include "astraea/io/output_file.hpp"
#include "astraea/io/run_report.hpp"

namespace astraea {
namespace {

// The checkpoint to resume from, checked against this run's config and model: round 0 if none.
Checkpoint resume_point(const RunOptions& o, const ExperimentConfig& config, const Model& model, bool writer) {
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
  Checkpoint c = read_checkpoint(o.out, model);
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

// On a terminal, one progress line rewritten in place: rounds done, s/round, ETA, the latest
// accuracy. Elsewhere (a log file, a batch job), a plain line per round.
class Progress {
 public:
  Progress(int first, int rounds, const std::string& label)
      : tty_(isatty(STDERR_FILENO) && spdlog::get_level() <= spdlog::level::info), first_(first), rounds_(rounds),
        label_(label), start_(std::chrono::steady_clock::now()) {}
  ~Progress() { finish(); }
  void update(const RoundResult& r) {
    if (r.evaluated) accuracy_ = fmt::format("  test acc {:6.2f}%", 100 * r.test.accuracy);
    if (!tty_) return plain(r);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double per = elapsed / std::max(1, r.round - first_);
    const int eta = static_cast<int>(per * (rounds_ - r.round));
    const int filled = rounds_ > 0 ? 24 * r.round / rounds_ : 0;
    std::fprintf(stderr, "\r%s[%s%s] %d/%d  %.3f s/round  ETA %d:%02d%s   ", label_.empty() ? "" : (label_ + " ").c_str(),
                 std::string(size_t(filled), '#').c_str(), std::string(size_t(24 - filled), '.').c_str(), r.round,
                 rounds_, per, eta / 60, eta % 60, accuracy_.c_str());
    std::fflush(stderr);
    open_ = true;
  }
  void finish() {
    if (open_) std::fputc('\n', stderr);
    open_ = false;
  }

 private:
  void plain(const RoundResult& r) const {
    const std::string who = label_.empty() ? "" : fmt::format("{:>16} ", label_);
    if (r.evaluated) {
      spdlog::info("{}round {:>4}/{}  train loss {:.4f}  test acc {:6.2f}%  macro F1 {:.3f}  {:.3f} s/round", who,
                   r.round, rounds_, r.train_loss, 100 * r.test.accuracy, r.test.macro_f1, r.seconds);
    } else {
      spdlog::info("{}round {:>4}/{}  train loss {:.4f}  {:.3f} s/round", who, r.round, rounds_, r.train_loss,
                   r.seconds);
    }
  }
  bool tty_;
  int first_, rounds_;
  std::string label_, accuracy_;
  std::chrono::steady_clock::time_point start_;
  bool open_ = false;
};

}  // namespace

Experiment::Experiment(const ExperimentConfig& config, Communicator* ranks)
    : config_(config), ranks_(ranks && ranks->size() > 1 ? ranks : nullptr) {
  data_ = load_data(config.data, config.seed);
  if (int(config.class_names.size()) > data_.train.classes) {
    ASTRAEA_FAIL("classes.file names {} classes, the data has {}", config.class_names.size(), data_.train.classes);
  }
  store_ = make_partition(config.partition, data_.train.labels, data_.train.classes);
  const PartitionStats stats = partition_stats(store_);
  spdlog::info("{}: {} clients, {} samples, max/min class ratio {:.1f}, mean client KL {:.3f}", config.name,
               store_.num_clients(), store_.total_samples(), stats.max_min_ratio, stats.mean_client_kl);
  backend_ = make_backend(config.train.backend, config.train.threads);
}

Experiment::~Experiment() = default;

RunOutcome Experiment::run(const RunOptions& options) { return run(config_, options); }

RunOutcome Experiment::run(const ExperimentConfig& config, const RunOptions& o) {
  const bool write = writer() && !o.out.empty();
  ASTRAEA_REQUIRE(!o.resume || !o.out.empty(), "resuming needs the output directory of the run to continue");
  if (!backend_->set_tf32(config.train.tf32)) {
    spdlog::warn("train.tf32 = true has no effect on the {} backend (GEMMs stay in float32)", backend_->name());
  }
  FederatedRun fl(config.train, config.astraea, config.algorithm, config.seed, data_.train, data_.test, store_, *backend_,
                  ranks_, Scenario{config.systems, config.feedback, config.drift});
  RunOutcome outcome;
  outcome.backend = backend_->name();
  nlohmann::json extra = o.extra;
  if (const AugmentedData* aug = fl.augmentation()) {
    outcome.augmentation = augmentation_report(*aug, data_.train);
    extra["augmentation"] = outcome.augmentation;
    spdlog::info("augmentation {}: {} generated, {} dropped samples, {:.1f} MB extra storage ({:.1f} s)",
                 config.astraea.augmentation.method, outcome.augmentation["generated"].get<int64_t>(),
                 outcome.augmentation["dropped"].get<int64_t>(), aug->extra_bytes() / 1e6, fl.augment_seconds());
  }
  extra["ranks"] = ranks_ ? ranks_->size() : 1;
  extra["global_class_sizes"] = store_.global_histogram();
  spdlog::info("backend {} ({} lanes, {} replicas per call), model {}", backend_->name(), backend_->lanes(),
               fl.trainer().tile(), fl.model().describe());

  const Checkpoint resumed = o.out.empty() ? Checkpoint{} : resume_point(o, config, fl.model(), writer());
  if (resumed.round > 0) {
    fl.set_global_params(resumed.params);
    fl.restore_algorithm_state(resumed.state, checkpoint_path(o.out));
  }
  std::optional<DirectoryLock> lock;
  std::optional<RunReport> report;
  if (write) {
    create_output_directory(o.out);
    lock.emplace(o.out);
    report.emplace(o.out, config, resumed.round);
  }
  if (report) outcome.rounds = report->history();
  const std::string config_json = config_as_json(config);

  // Signals stay deferred until the final outputs are written.
  std::optional<StopSignals> signals;
  if (o.stop_on_signal) signals.emplace();
  int round = resumed.round, checkpointed = resumed.round;
  bool stop = false;
  std::optional<Diverged> diverged;
  Progress progress(resumed.round, config.train.rounds, o.label);
  while (round < config.train.rounds && !stop) {
    RoundResult r;
    try {
      r = fl.run_round(round + 1);
    } catch (const Diverged& d) {
      diverged.emplace(d);
      break;
    }
    ++round;
    if (report) {
      PhaseScope io("io", &outcome.io_seconds);
      report->add_round(r);
      if (config.train.checkpoint_every > 0 && round % config.train.checkpoint_every == 0) {
        write_checkpoint(o.out, fl.model(),
                         Checkpoint{checkpointed = round, config_json, fl.global_params(), fl.algorithm_state()});
      }
    }
    outcome.rounds.push_back(r);
    progress.update(r);
    const bool asked = o.on_round && !o.on_round(r);
    const bool local_stop = asked || StopSignals::pending() != 0;
    stop = ranks_ ? ranks_->any(local_stop) : local_stop;  // every rank stops after the same round
  }
  progress.finish();
  outcome.signal = StopSignals::pending();
  outcome.last_round = round;
  outcome.stopped = stop && round < config.train.rounds;
  // A diverged round left the model as it was after `round` unless the server update itself failed.
  const bool model_good = !diverged || diverged->model_intact();
  if (diverged) {
    outcome.diverged_round = diverged->round();
    outcome.diverged = diverged->what();
    extra["diverged"] = {{"round", diverged->round()}, {"message", diverged->what()}};
  }
  if (report) {
    PhaseScope io("io", &outcome.io_seconds);
    // Checkpoint first, then the model, then the summary: each replaced atomically.
    Checkpoint last{round, config_json, fl.global_params(), fl.algorithm_state()};
    if (model_good && round > checkpointed) write_checkpoint(o.out, fl.model(), last);
    if (model_good) report->write_model(fl.model(), last.params);
    outcome.summary = report->write_summary(fl.model(), backend_->name(), extra);
    spdlog::info("wrote {}/rounds.jsonl, summary.json{}", o.out,
                 model_good ? ", model.safetensors, checkpoint.safetensors" : "");
  } else {
    outcome.summary = summarize(outcome.rounds, config.train.target_accuracy);
  }
  outcome.summary.diverged_round = outcome.diverged_round;
  if (model_good) {
    outcome.params = fl.global_params();
    outcome.tensors = fl.model().tensors();
  }
  signals.reset();
  if (outcome.stopped) {
    spdlog::warn("stopped after round {} of {}: continue with the same command and --resume", round,
                 config.train.rounds);
  }
  if (diverged) {
    spdlog::error("{}", diverged->what());
    if (write) {
      spdlog::error("{}: the last good model is that of round {}{}", o.out, model_good ? round : checkpointed,
                    model_good ? "" : " (its checkpoint)");
    }
  }
  return outcome;
}

}  // namespace astraea
