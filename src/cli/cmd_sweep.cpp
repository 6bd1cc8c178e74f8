// `astraea sweep --config F --grid 'section.key=v1,v2' [--grid ...] [--seeds 1,2,3] --out DIR`:
// every combination x seed (experiment/sweep.hpp), resumable, dealt over MPI ranks when launched
// by mpirun; prints the table and writes DIR/sweep.{csv,md} and the figure DIR/sweep.png.
#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "astraea/experiment/sweep.hpp"
#include "commands.hpp"
#include "plot_script.hpp"

namespace astraea::cli {

void add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  auto grids = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("sweep", "Every combination of config values x seeds, resumable, with a table");
  cmd->add_option("--config", o->config, "experiment TOML file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "output directory")->required();
  cmd->add_option("--grid", *grids, "an axis: section.key=v1,v2,... (repeatable; quote it)")->required();
  cmd->add_option("--seeds", o->seeds, "seeds (comma-separated); default: the config's")->delimiter(',');
  cmd->add_option("--set", o->overrides, "override a config key in every cell: section.key=value (repeatable)");
  cmd->callback([o, grids] {
    for (const auto& g : *grids) o->grid.push_back(parse_grid(g));
    const std::unique_ptr<Communicator> ranks = make_communicator();
    if (ranks->rank() != 0 && spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
    const SweepOutcome outcome = run_sweep(*o, *ranks);
    if (ranks->rank() != 0) return;
    std::printf("%s", outcome.markdown.c_str());
    spdlog::info("{} runs trained, {} read back from earlier; wrote {}/sweep.csv and sweep.md", outcome.ran,
                 outcome.reused, o->out);
    const std::string figure = (std::filesystem::path(o->out) / "sweep.png").string();
    std::string why;
    if (plot_runs({"--sweep", (std::filesystem::path(o->out) / "sweep.csv").string()}, figure, "", &why)) {
      spdlog::info("wrote {}", figure);
    } else {
      spdlog::warn("no figure: {}", why);
    }
  });
}

}  // namespace astraea::cli
