// `astraea plot DIR... --out FILE.png`: accuracy against rounds and megabytes for runs or every
// method of a compare (mean ± sd over seeds), per-class F1 over rounds, the class distribution
// before and after augmentation, mediator and client KL with the floor, and the phase times.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "astraea/core/error.hpp"
#include "commands.hpp"
#include "plot_script.hpp"

namespace astraea::cli {
namespace {

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

bool plot_runs(const std::vector<std::string>& dirs, const std::string& out, const std::string& title,
               std::string* why) {
  namespace fs = std::filesystem;
  const char* env = std::getenv("ASTRAEA_PLOT_SCRIPT");
  const std::string script = env ? env : (fs::path(ASTRAEA_SOURCE_DIR) / "scripts" / "plot.py").string();
  if (!fs::exists(script)) {
    *why = script + " not found (set ASTRAEA_PLOT_SCRIPT)";
    return false;
  }
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  std::string cmd = python + " " + quoted(script);
  for (const auto& d : dirs) cmd += " " + quoted(d);
  cmd += " --out " + quoted(out);
  if (!title.empty()) cmd += " --title " + quoted(title);
  cmd += " >/dev/null";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    *why = "the plot script failed (exit " + std::to_string(rc) + "; does python3 have matplotlib? scripts/setup.sh)";
    return false;
  }
  return true;
}

void add_plot_command(CLI::App& app) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto title = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("plot", "Figures of runs or compares: accuracy, F1, class sizes, KL, phase times");
  cmd->add_option("dirs", *dirs, "run directories (rounds.jsonl) or compare directories (compare.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", *out, "the figure (.png, .pdf, .svg)")->required();
  cmd->add_option("--title", *title, "a title over the figure");
  cmd->callback([dirs, out, title] {
    std::string why;
    if (!plot_runs(*dirs, *out, *title, &why)) ASTRAEA_FAIL("--out {}: {}", *out, why);
    spdlog::info("wrote {}", *out);
  });
}

}  // namespace astraea::cli
