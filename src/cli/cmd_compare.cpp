// `astraea compare`: methods side by side on one partition, per seed (experiment/compare.hpp):
// without --methods, Astraea's ablation (FedAvg, augmentation only, rescheduling only, Astraea,
// Astraea with random mediators); with --methods, any registered methods and '+' combinations.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "astraea/backend/backend_registry.hpp"
#include "astraea/experiment/compare.hpp"
#include "astraea/experiment/methods.hpp"
#include "commands.hpp"
#include "plot_script.hpp"

namespace astraea::cli {
namespace {

struct CompareCommand {
  CompareOptions options;
  std::string backend;
  std::vector<std::string> only;
};

void run(CompareCommand c) {
  CompareOptions& o = c.options;
  if (!c.backend.empty()) o.overrides.push_back("train.backend=" + c.backend);
  o.methods.insert(o.methods.end(), c.only.begin(), c.only.end());
  const std::unique_ptr<Communicator> ranks = make_communicator();
  if (ranks->rank() != 0 && spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
  const CompareOutcome outcome = run_compare(o, *ranks);
  if (ranks->rank() != 0) return;
  std::printf("%s", outcome.markdown.c_str());
  // The figure beside the tables; a machine without matplotlib still gets the tables.
  const std::string figure = (std::filesystem::path(o.out) / "compare.png").string();
  std::string why;
  if (plot_runs({o.out}, figure, "", &why)) {
    spdlog::info("wrote {}", figure);
  } else {
    spdlog::warn("no figure: {}", why);
  }
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto cmd_options = std::make_shared<CompareCommand>();
  CompareCommand& c = *cmd_options;
  CLI::App* cmd = app.add_subcommand("compare", "Methods side by side on one partition (default: Astraea's ablation)");
  cmd->add_option("--config", c.options.config, "experiment TOML file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", c.options.out, "output directory")->required();
  cmd->add_option("--set", c.options.overrides, "override a config key: section.key=value (repeatable)");
  cmd->add_option("--backend", c.backend, "auto, cpu or cuda")->check(CLI::IsMember(backend_registry().names()));
  std::string methods;
  for (const auto& e : method_registry().entries()) methods += "\n  " + e.name + ": " + e.help;
  cmd->add_option("--methods", c.options.methods,
                  "methods to run, comma-separated; combine with '+' (astraea+fedlc). Default: the ablation "
                  "fedavg,augmentation,rescheduling,astraea,random_mediators. Registered:" +
                      methods)
      ->delimiter(',');
  cmd->add_option("--only", c.only, "the same as --methods (kept for scripts)")->delimiter(',');
  cmd->add_option("--seeds", c.options.seeds, "run once per seed (comma-separated) and report mean ± sd")
      ->delimiter(',');
  cmd->callback([cmd_options] { run(*cmd_options); });
}

}  // namespace astraea::cli
