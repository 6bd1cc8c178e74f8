// `astraea compare`: the papers' ablation on one partition and seed — FedAvg, augmentation only,
// rescheduling only, full Astraea, and Astraea with random mediator groups of the same sizes (does
// the KL greedy matter?). Writes DIR/<variant>/{rounds.jsonl,summary.json,model.safetensors},
// DIR/compare.json and DIR/compare.md. With --seeds a,b,...: the ablation once per seed (partition
// and training both follow experiment.seed) under DIR/seed-<s>/, and DIR/compare.{json,md} with
// each figure's mean and standard deviation over the seeds. Under mpirun the ranks take the seeds
// in turn (DIR on a file system they share).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "astraea/backend/backend_registry.hpp"
#include "astraea/core/error.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/ranks/communicator.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/io/config.hpp"
#include "astraea/io/run_report.hpp"
#include "commands.hpp"

namespace astraea::cli {
namespace {

struct CompareOptions {
  std::string config;
  std::string out;
  std::vector<std::string> overrides;
  std::string backend;
  std::vector<std::string> only;
  std::vector<uint64_t> seeds;
};

struct Variant {
  std::string name;
  std::string description;
  bool augment;
  std::string scheduler;
};

const std::vector<Variant>& variants() {
  static const std::vector<Variant> v = {
      {"fedavg", "FedAvg", false, "none"},
      {"augmentation", "augmentation only", true, "none"},
      {"rescheduling", "rescheduling only", false, "greedy"},
      {"astraea", "Astraea (both)", true, "greedy"},
      {"random_mediators", "Astraea, random mediators", true, "random"},
  };
  return v;
}

// Writes `text` to DIR/name, creating DIR; a failure names the file.
void write_text(const std::string& dir, const std::string& name, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) ASTRAEA_FAIL("--out {}: cannot create the directory ({})", dir, ec.message());
  const std::string path = (std::filesystem::path(dir) / name).string();
  std::ofstream out(path);
  out << text;
  if (!out.flush()) ASTRAEA_FAIL("{}: write failed", path);
}

struct Outcome {
  const Variant* variant;
  nlohmann::json summary;
  std::vector<RoundResult> rounds;
};

std::string pct(double v) { return fmt::format("{:.2f}", 100 * v); }

std::string markdown(const std::vector<Outcome>& outcomes, const std::vector<int>& rare, const ExperimentConfig& c) {
  std::string rare_names;
  for (int y : rare) rare_names += (rare_names.empty() ? "" : ", ") + std::to_string(y);
  std::string md = fmt::format("| variant | best acc % | final acc % | macro F1 | F1 of rarest ({}) | rounds to {}% | MB to {}% "
                               "| mean mediator KL | mean client KL | total MB |\n",
                               rare_names, pct(c.train.target_accuracy), pct(c.train.target_accuracy));
  md += "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Outcome& o : outcomes) {
    const auto& s = o.summary;
    std::string f1;
    for (int y : rare) f1 += (f1.empty() ? "" : " / ") + fmt::format("{:.2f}", s["final_f1"][y].get<double>());
    double med_kl = 0, cli_kl = 0;
    for (const RoundResult& r : o.rounds) med_kl += r.mean_mediator_kl, cli_kl += r.mean_client_kl;
    const double n = std::max<size_t>(o.rounds.size(), 1);
    const auto& t = s.contains("to_target") ? s["to_target"] : nlohmann::json();
    const bool reached = t.contains("round");
    md += fmt::format("| {} | {} | {} | {:.3f} | {} | {} | {} | {:.3f} | {:.3f} | {:.1f} |\n", o.variant->description,
                      pct(s["best_accuracy"].get<double>()), pct(s["final_accuracy"].get<double>()),
                      s["final_macro_f1"].get<double>(), f1, reached ? std::to_string(t["round"].get<int>()) : "—",
                      reached ? fmt::format("{:.1f}", t["bytes_total"].get<double>() / 1e6) : "—", med_kl / n, cli_kl / n,
                      s["bytes_total"].get<double>() / 1e6);
  }
  return md;
}

struct Ablation {
  std::vector<Outcome> outcomes;
  std::vector<int> rare;  // the three rarest classes of the partition
};

// The variants on one config's partition and seed, written under `out`.
Ablation run_ablation(const CompareOptions& o, const ExperimentConfig& config, const std::string& out) {
  const TrainTest data = load_data(config.data, config.seed);
  const ClientStore store = make_partition(config.partition, data.train.labels, data.train.classes);
  std::unique_ptr<Backend> backend = make_backend(config.train.backend, config.train.threads);
  const std::vector<int64_t> global = store.global_histogram();
  std::vector<int> by_size(global.size());
  std::iota(by_size.begin(), by_size.end(), 0);
  std::stable_sort(by_size.begin(), by_size.end(), [&](int a, int b) { return global[a] < global[b]; });
  Ablation result;
  result.rare.assign(by_size.begin(), by_size.begin() + std::min<size_t>(3, by_size.size()));
  const std::vector<int>& rare = result.rare;

  std::vector<Outcome>& outcomes = result.outcomes;
  for (const Variant& v : variants()) {
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), v.name) == o.only.end()) continue;
    AstraeaConfig a = config.astraea;
    if (a.augmentation.method == "none") a.augmentation.method = "zscore";
    if (!v.augment) a.augmentation.method = "none";
    a.scheduler = v.scheduler;
    if (v.scheduler == "none") a.mediator_epochs = 1;
    spdlog::info("variant {}: augmentation {}, scheduler {}, seed {}", v.name, a.augmentation.method, a.scheduler,
                 config.seed);
    FederatedRun fl(config.train, a, config.seed, data.train, data.test, store, *backend);
    const std::string dir = (std::filesystem::path(out) / v.name).string();
    RunReport report(dir, config);
    Outcome outcome{&v, {}, {}};
    for (int round = 1; round <= config.train.rounds; ++round) {
      const RoundResult r = fl.run_round(round);
      report.add_round(r);
      outcome.rounds.push_back(r);
      if (r.evaluated) {
        spdlog::info("{:>16} round {:>4}/{}  test acc {:6.2f}%  rare F1 {:.2f}  {:.3f} s/round", v.name, round,
                     config.train.rounds, 100 * r.test.accuracy, r.test.f1[rare[0]], r.seconds);
      }
    }
    nlohmann::json extra = {{"variant", v.name}, {"scheduler", a.scheduler}, {"augmentation", a.augmentation.method}};
    if (const AugmentedData* aug = fl.augmentation()) extra["augmentation_report"] = augmentation_report(*aug, data.train);
    report.write_model(fl.model(), fl.global_params());
    report.write_summary(fl.model(), backend->name(), extra);
    std::ifstream in((std::filesystem::path(dir) / "summary.json").string());
    outcome.summary = nlohmann::json::parse(in);
    outcomes.push_back(std::move(outcome));
  }

  nlohmann::ordered_json all;
  all["config"] = nlohmann::json::parse(config_as_json(config));
  all["rarest_classes"] = rare;
  all["global_class_sizes"] = global;
  for (const Outcome& oc : outcomes) all["variants"][oc.variant->name] = oc.summary;
  write_text(out, "compare.json", all.dump(2) + "\n");
  write_text(out, "compare.md", markdown(outcomes, rare, config));
  return result;
}

// A finished ablation read back from `dir` (what run_ablation wrote there).
Ablation load_ablation(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "compare.json").string();
  std::ifstream in(path);
  if (!in) ASTRAEA_FAIL("{}: cannot open (did every rank finish its seeds?)", path);
  nlohmann::json all;
  try {
    all = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    ASTRAEA_FAIL("{}: {}", path, e.what());
  }
  Ablation a;
  a.rare = all.at("rarest_classes").get<std::vector<int>>();
  for (const Variant& v : variants()) {
    if (!all["variants"].contains(v.name)) continue;
    Outcome o{&v, all["variants"][v.name], {}};
    const std::string rounds = (std::filesystem::path(dir) / v.name / "rounds.jsonl").string();
    std::ifstream lines(rounds);
    if (!lines) ASTRAEA_FAIL("{}: cannot open", rounds);
    for (std::string line; std::getline(lines, line);) o.rounds.push_back(round_from_json(nlohmann::json::parse(line)));
    a.outcomes.push_back(std::move(o));
  }
  return a;
}

// Mean and sample standard deviation.
struct Spread {
  double mean = 0, sd = 0;
  size_t n = 0;
};

Spread spread(const std::vector<double>& v) {
  Spread s;
  s.n = v.size();
  if (v.empty()) return s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(ss / (v.size() - 1)) : 0.0;
  return s;
}

std::string pm(const Spread& s, double scale, int digits) {
  return s.n == 0 ? "—" : fmt::format("{:.{}f} ± {:.{}f}", scale * s.mean, digits, scale * s.sd, digits);
}

// Each variant's figures over the seeds (rare classes: the first seed's).
void write_over_seeds(const std::vector<Ablation>& runs, const std::vector<uint64_t>& seeds, const ExperimentConfig& c,
                      const std::string& out) {
  const std::vector<int>& rare = runs[0].rare;
  std::string rare_names;
  for (int y : rare) rare_names += (rare_names.empty() ? "" : ", ") + std::to_string(y);
  std::string md = fmt::format("{} seeds ({}); mean ± standard deviation; rounds and MB to {}% over the seeds that "
                               "reached it (k/n)\n\n",
                               seeds.size(), fmt::join(seeds, ", "), pct(c.train.target_accuracy));
  md += fmt::format("| variant | best acc % | final acc % | macro F1 | F1 of rarest ({}) | rounds to {}% | MB to {}% | "
                    "mean mediator KL |\n|---|---|---|---|---|---|---|---|\n",
                    rare_names, pct(c.train.target_accuracy), pct(c.train.target_accuracy));
  nlohmann::ordered_json all;
  all["config"] = nlohmann::json::parse(config_as_json(c));
  all["seeds"] = seeds;
  all["rarest_classes"] = rare;
  for (size_t v = 0; v < runs[0].outcomes.size(); ++v) {
    std::vector<double> best, final_acc, macro, rounds, mb, kl;
    std::vector<std::vector<double>> f1(rare.size());
    for (const Ablation& run : runs) {
      const Outcome& o = run.outcomes[v];
      const auto& s = o.summary;
      best.push_back(s["best_accuracy"].get<double>());
      final_acc.push_back(s["final_accuracy"].get<double>());
      macro.push_back(s["final_macro_f1"].get<double>());
      for (size_t k = 0; k < rare.size(); ++k) f1[k].push_back(s["final_f1"][rare[k]].get<double>());
      if (s.contains("to_target") && s["to_target"].contains("round")) {
        rounds.push_back(s["to_target"]["round"].get<double>());
        mb.push_back(s["to_target"]["bytes_total"].get<double>() / 1e6);
      }
      double sum = 0;
      for (const RoundResult& r : o.rounds) sum += r.mean_mediator_kl;
      kl.push_back(sum / std::max<size_t>(o.rounds.size(), 1));
    }
    std::string rare_f1;
    for (const auto& x : f1) rare_f1 += (rare_f1.empty() ? "" : " / ") + pm(spread(x), 1, 2);
    const std::string reached = fmt::format(" ({}/{})", rounds.size(), runs.size());
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", runs[0].outcomes[v].variant->description,
                      pm(spread(best), 100, 2), pm(spread(final_acc), 100, 2), pm(spread(macro), 1, 3), rare_f1,
                      pm(spread(rounds), 1, 0) + reached, pm(spread(mb), 1, 0), pm(spread(kl), 1, 3));
    auto& j = all["variants"][runs[0].outcomes[v].variant->name];
    j["best_accuracy"] = best;
    j["final_accuracy"] = final_acc;
    j["final_macro_f1"] = macro;
    j["rounds_to_target"] = rounds;
    j["mb_to_target"] = mb;
    j["mean_mediator_kl"] = kl;
  }
  write_text(out, "compare.json", all.dump(2) + "\n");
  write_text(out, "compare.md", md);
  std::printf("%s", md.c_str());
}

void run(const CompareOptions& o) {
  const std::unique_ptr<Communicator> ranks = make_communicator();
  if (ranks->size() > 1 && o.seeds.empty()) {
    ASTRAEA_FAIL("compare over {} MPI ranks needs --seeds (the ranks take the seeds in turn); for one seed launch "
                 "it without mpirun",
                 ranks->size());
  }
  if (ranks->rank() != 0 && spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
  for (const std::string& name : o.only) {
    const auto& v = variants();
    if (std::none_of(v.begin(), v.end(), [&](const Variant& x) { return x.name == name; })) {
      ASTRAEA_FAIL("--only {}: not a variant (expected fedavg, augmentation, rescheduling, astraea or random_mediators)",
                   name);
    }
  }
  std::vector<std::string> overrides = o.overrides;
  if (!o.backend.empty()) overrides.push_back("train.backend=" + o.backend);
  if (o.seeds.empty()) {
    const ExperimentConfig config = load_config(o.config, overrides);
    const Ablation a = run_ablation(o, config, o.out);
    std::printf("%s", markdown(a.outcomes, a.rare, config).c_str());
    return;
  }
  // Seeds are dealt round robin over the ranks of an MPI launch (one process: all of them); rank 0
  // then reads every seed's results back and writes the table over seeds.
  const auto seed_dir = [&](uint64_t seed) { return (std::filesystem::path(o.out) / fmt::format("seed-{}", seed)).string(); };
  const auto seed_config = [&](uint64_t seed) {
    std::vector<std::string> with_seed = overrides;
    with_seed.push_back("experiment.seed=" + std::to_string(seed));
    return load_config(o.config, with_seed);
  };
  for (size_t i = size_t(ranks->rank()); i < o.seeds.size(); i += size_t(ranks->size())) {
    run_ablation(o, seed_config(o.seeds[i]), seed_dir(o.seeds[i]));
  }
  ranks->any(false);  // every rank has written its seeds
  if (ranks->rank() != 0) return;
  std::vector<Ablation> runs;
  for (uint64_t seed : o.seeds) runs.push_back(load_ablation(seed_dir(seed)));
  write_over_seeds(runs, o.seeds, seed_config(o.seeds.back()), o.out);
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto opts = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "FedAvg, augmentation only, rescheduling only, Astraea and random mediators on one partition");
  cmd->add_option("--config", opts->config, "experiment TOML file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "output directory")->required();
  cmd->add_option("--set", opts->overrides, "override a config key: section.key=value (repeatable)");
  cmd->add_option("--backend", opts->backend, "auto, cpu or cuda")->check(CLI::IsMember(backend_registry().names()));
  cmd->add_option("--only", opts->only, "run only these variants (fedavg, augmentation, rescheduling, astraea, "
                                        "random_mediators; comma-separated or repeated)")
      ->delimiter(',');
  cmd->add_option("--seeds", opts->seeds, "run the ablation once per seed (comma-separated) and report mean ± sd")
      ->delimiter(',');
  cmd->callback([opts] { run(*opts); });
}

}  // namespace astraea::cli
