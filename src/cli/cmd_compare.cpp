// `astraea compare`: the papers' ablation on one partition and seed — FedAvg, augmentation only,
// rescheduling only, full Astraea, and Astraea with random mediator groups of the same sizes (does
// the KL greedy matter?). Writes DIR/<variant>/{rounds.jsonl,summary.json,model.safetensors},
// DIR/compare.json and DIR/compare.md.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "astraea/backend/backend.hpp"
#include "astraea/data/partition.hpp"
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

void run(const CompareOptions& o) {
  std::vector<std::string> overrides = o.overrides;
  if (!o.backend.empty()) overrides.push_back("train.backend=" + o.backend);
  const ExperimentConfig config = load_config(o.config, overrides);
  const TrainTest data = load_data(config.data, config.seed);
  const ClientStore store = make_partition(config.partition, data.train.labels, data.train.classes);
  std::unique_ptr<Backend> backend = make_backend(config.train.backend, config.train.threads);
  const std::vector<int64_t> global = store.global_histogram();
  std::vector<int> by_size(global.size());
  std::iota(by_size.begin(), by_size.end(), 0);
  std::stable_sort(by_size.begin(), by_size.end(), [&](int a, int b) { return global[a] < global[b]; });
  const std::vector<int> rare(by_size.begin(), by_size.begin() + std::min<size_t>(3, by_size.size()));

  std::vector<Outcome> outcomes;
  for (const Variant& v : variants()) {
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), v.name) == o.only.end()) continue;
    AstraeaConfig a = config.astraea;
    if (a.augmentation.method == "none") a.augmentation.method = "zscore";
    if (!v.augment) a.augmentation.method = "none";
    a.scheduler = v.scheduler;
    if (v.scheduler == "none") a.mediator_epochs = 1;
    spdlog::info("variant {}: augmentation {}, scheduler {}", v.name, a.augmentation.method, a.scheduler);
    FederatedRun fl(config.train, a, config.seed, data.train, data.test, store, *backend);
    const std::string dir = (std::filesystem::path(o.out) / v.name).string();
    RunReport report(dir, config);
    Outcome out{&v, {}, {}};
    for (int round = 1; round <= config.train.rounds; ++round) {
      const RoundResult r = fl.run_round(round);
      report.add_round(r);
      out.rounds.push_back(r);
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
    out.summary = nlohmann::json::parse(in);
    outcomes.push_back(std::move(out));
  }

  nlohmann::ordered_json all;
  all["config"] = nlohmann::json::parse(config_as_json(config));
  all["rarest_classes"] = rare;
  all["global_class_sizes"] = global;
  for (const Outcome& oc : outcomes) all["variants"][oc.variant->name] = oc.summary;
  std::ofstream(std::filesystem::path(o.out) / "compare.json") << all.dump(2) << "\n";
  const std::string md = markdown(outcomes, rare, config);
  std::ofstream(std::filesystem::path(o.out) / "compare.md") << md;
  std::printf("%s", md.c_str());
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto opts = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "FedAvg, augmentation only, rescheduling only, Astraea and random mediators on one partition");
  cmd->add_option("--config", opts->config, "experiment TOML file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "output directory")->required();
  cmd->add_option("--set", opts->overrides, "override a config key: section.key=value (repeatable)");
  cmd->add_option("--backend", opts->backend, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--only", opts->only, "run only these variants (fedavg, augmentation, rescheduling, astraea, "
                                        "random_mediators)");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace astraea::cli
