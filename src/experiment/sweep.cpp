#include "astraea/experiment/sweep.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "astraea/core/error.hpp"
#include "astraea/experiment/experiment.hpp"
#include "astraea/io/compare_report.hpp"
#include "astraea/io/config.hpp"
#include "astraea/io/run_report.hpp"

namespace astraea {
namespace {

std::string cell_name(const std::vector<std::string>& settings) {
  std::string name;
  for (const auto& s : settings) name += (name.empty() ? "" : ",") + s;
  for (char& c : name)
    if (c == '/' || c == ' ' || c == '"' || c == '\'') c = '_';
  return name.empty() ? "base" : name;
}

// Every combination, the first axis varying slowest.
std::vector<std::vector<std::string>> combinations(const std::vector<SweepAxis>& grid) {
  std::vector<std::vector<std::string>> cells = {{}};
  for (const SweepAxis& axis : grid) {
    std::vector<std::vector<std::string>> next;
    for (const auto& c : cells)
      for (const auto& v : axis.values) {
        next.push_back(c);
        next.back().push_back(axis.key + "=" + v);
      }
    cells = std::move(next);
  }
  return cells;
}

// summary.json of a finished run of `rounds` rounds, if DIR holds one.
bool finished(const std::string& dir, int rounds, RunSummary* summary) {
  const std::string path = (std::filesystem::path(dir) / "summary.json").string();
  std::ifstream in(path);
  if (!in) return false;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.at("rounds").get<int>() != rounds && !j.contains("diverged")) return false;
    *summary = summary_from_json(j);
    return true;
  } catch (const std::exception&) {
    return false;  // an unreadable summary: run it again
  }
}

std::string pm(const std::vector<double>& v, double scale, int digits) {
  const Spread s = spread(v);
  return s.n == 0 ? "—" : fmt::format("{:.{}f} ± {:.{}f}", scale * s.mean, digits, scale * s.sd, digits);
}

}  // namespace

SweepAxis parse_grid(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || text.find('.') > eq) {
    ASTRAEA_FAIL("--grid {}: expected section.key=v1,v2,...", text);
  }
  SweepAxis axis{text.substr(0, eq), {}};
  size_t at = eq + 1;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string v = text.substr(at, comma - at);
    if (v.empty()) ASTRAEA_FAIL("--grid {}: an empty value", text);
    axis.values.push_back(v);
    at = comma + 1;
  }
  return axis;
}

SweepOutcome run_sweep(const SweepOptions& o, Communicator& ranks) {
  ASTRAEA_REQUIRE(!o.grid.empty(), "sweep: give at least one --grid");
  const auto cells = combinations(o.grid);
  const std::vector<uint64_t> seeds = o.seeds.empty() ? std::vector<uint64_t>{0} : o.seeds;
  // Every cell's config is checked before anything runs.
  for (const auto& cell : cells) {
    std::vector<std::string> ov = o.overrides;
    ov.insert(ov.end(), cell.begin(), cell.end());
    load_config(o.config, ov);
  }
  SweepOutcome outcome;
  const auto run_dir = [&](size_t c, size_t s) {
    const auto dir = std::filesystem::path(o.out) / cell_name(cells[c]);
    return (seeds[s] == 0 ? dir : dir / fmt::format("seed-{}", seeds[s])).string();
  };
  const auto config_of = [&](size_t c, size_t s) {
    std::vector<std::string> ov = o.overrides;
    ov.insert(ov.end(), cells[c].begin(), cells[c].end());
    if (seeds[s] != 0) ov.push_back("experiment.seed=" + std::to_string(seeds[s]));
    return load_config(o.config, ov);
  };
  const size_t total = cells.size() * seeds.size();
  for (size_t job = size_t(ranks.rank()); job < total; job += size_t(ranks.size())) {
    const size_t c = job / seeds.size(), s = job % seeds.size();
    const ExperimentConfig config = config_of(c, s);
    RunSummary done;
    if (finished(run_dir(c, s), config.train.rounds, &done)) {
      ++outcome.reused;
      continue;
    }
    spdlog::info("sweep {}/{}: {} seed {}", job + 1, total, cell_name(cells[c]), config.seed);
    Experiment experiment(config);
    RunOptions run;
    run.out = run_dir(c, s);
    run.resume = true;  // an interrupted run continues; none: from round 1
    run.label = cell_name(cells[c]);
    const RunOutcome r = experiment.run(run);
    if (r.stopped) ASTRAEA_FAIL("sweep stopped by a signal in {} (run it again to continue)", run.out);
    ++outcome.ran;
  }
  ranks.any(false);  // every rank has written its runs
  if (ranks.rank() != 0) return outcome;

  std::string csv = "";
  for (const auto& axis : o.grid) csv += axis.key + ",";
  csv += "seeds,best_accuracy_mean,best_accuracy_sd,final_accuracy_mean,final_accuracy_sd,macro_f1_mean,"
         "reached_target,rounds_to_target_mean,mb_to_target_mean,simulated_hours_to_target_mean,"
         "simulated_hours_per_100_rounds,diverged\n";
  std::vector<std::vector<RunSummary>> summaries(cells.size(), std::vector<RunSummary>(seeds.size()));
  bool timed = false;  // simulated-time columns only where [systems] gave the runs a clock
  for (size_t c = 0; c < cells.size(); ++c) {
    for (size_t s = 0; s < seeds.size(); ++s) {
      if (!finished(run_dir(c, s), config_of(c, s).train.rounds, &summaries[c][s])) {
        ASTRAEA_FAIL("{}: no finished run (did every rank finish?)", run_dir(c, s));
      }
      timed = timed || summaries[c][s].simulated_seconds > 0;
    }
  }
  std::string md = fmt::format("{} seeds; mean ± standard deviation; rounds and MB to the target over the seeds that "
                               "reached it (k/n)\n\n| ",
                               seeds.size());
  for (const auto& axis : o.grid) md += axis.key + " | ";
  md += "best acc % | final acc % | macro F1 | rounds to target | MB to target |";
  if (timed) md += " simulated h to target | simulated h per 100 rounds |";
  md += "\n|";
  for (size_t i = 0; i < o.grid.size() + (timed ? 7 : 5); ++i) md += "---|";
  md += "\n";
  for (size_t c = 0; c < cells.size(); ++c) {
    SweepCell cell{cells[c], {}};
    std::vector<double> best, fin, f1, rounds, mb, hours, per100;
    int diverged = 0;
    for (size_t s = 0; s < seeds.size(); ++s) {
      const RunSummary& summary = summaries[c][s];
      best.push_back(summary.best_accuracy);
      fin.push_back(summary.final_accuracy);
      f1.push_back(summary.final_macro_f1);
      if (summary.reached_target) {
        rounds.push_back(summary.target_round);
        mb.push_back(summary.target_bytes_total() / 1e6);
        hours.push_back(summary.target_simulated_seconds / 3600);
      }
      per100.push_back(summary.rounds ? summary.simulated_seconds / 3600 * 100 / summary.rounds : 0.0);
      diverged += summary.diverged_round > 0;
      cell.runs.push_back(summary);
    }
    md += "| ";
    for (const auto& setting : cells[c]) {
      const std::string value = setting.substr(setting.find('=') + 1);
      csv += value + ",";
      md += value + " | ";
    }
    const Spread b = spread(best), f = spread(fin), r = spread(rounds), m = spread(mb);
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", seeds.size(), b.mean, b.sd, f.mean, f.sd,
                       spread(f1).mean, rounds.size(), rounds.empty() ? 0.0 : r.mean, mb.empty() ? 0.0 : m.mean,
                       hours.empty() ? 0.0 : spread(hours).mean, spread(per100).mean, diverged);
    md += fmt::format("{} | {}{} | {} | {} ({}/{}) | {} |", pm(best, 100, 2), pm(fin, 100, 2),
                      diverged ? fmt::format(" ({} diverged)", diverged) : "", pm(f1, 1, 3), pm(rounds, 1, 0),
                      rounds.size(), seeds.size(), pm(mb, 1, 0));
    if (timed) md += fmt::format(" {} | {} |", pm(hours, 1, 2), pm(per100, 1, 2));
    md += "\n";
    outcome.cells.push_back(std::move(cell));
  }
  write_text_file(o.out, "sweep.csv", csv);
  write_text_file(o.out, "sweep.md", md);
  outcome.markdown = md;
  return outcome;
}

}  // namespace astraea
