#include "astraea/experiment/compare.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <spdlog/spdlog.h>

#include "astraea/core/error.hpp"
#include "astraea/experiment/experiment.hpp"
#include "astraea/experiment/methods.hpp"
#include "astraea/io/config.hpp"

namespace astraea {
namespace {

std::string subdir(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

Comparison compare_one_seed(const CompareOptions& o, const std::vector<std::string>& methods,
                            const std::vector<std::string>& seed_overrides, const std::string& out) {
  const ExperimentConfig base = load_config(o.config, seed_overrides);
  Experiment experiment(base);
  Comparison c;
  c.seed = base.seed;
  c.class_sizes = experiment.clients().global_histogram();
  c.class_names = base.class_names;
  std::vector<int> by_size(c.class_sizes.size());
  std::iota(by_size.begin(), by_size.end(), 0);
  std::stable_sort(by_size.begin(), by_size.end(), [&](int a, int b) { return c.class_sizes[a] < c.class_sizes[b]; });
  c.rarest.assign(by_size.begin(), by_size.begin() + std::min<size_t>(3, by_size.size()));
  for (const std::string& method : methods) {
    std::vector<std::string> overrides = seed_overrides;
    for (const std::string& m : method_overrides(method, base)) overrides.push_back(m);
    const ExperimentConfig config = load_config(o.config, overrides);
    spdlog::info("method {}: augmentation {}, scheduler {}, seed {}", method, config.astraea.augmentation.method,
                 config.astraea.scheduler, config.seed);
    RunOptions run;
    run.out = subdir(out, method);
    run.label = method;
    run.extra = {{"method", method}};
    const RunOutcome outcome = experiment.run(config, run);
    if (outcome.stopped) ASTRAEA_FAIL("compare stopped by a signal during method {}", method);
    if (outcome.diverged_round > 0) spdlog::warn("method {} diverged; the table marks it", method);
    c.methods.push_back(MethodResult{method, method_description(method), outcome.summary});
  }
  write_text_file(out, "compare.json", comparison_json(c, nlohmann::json::parse(config_as_json(base))).dump(2) + "\n");
  write_text_file(out, "compare.md", comparison_markdown(c, base.train.target_accuracy));
  return c;
}

Comparison load_comparison(const std::string& dir) {
  const std::string path = subdir(dir, "compare.json");
  std::ifstream in(path);
  if (!in) ASTRAEA_FAIL("{}: cannot open (did every rank finish its seeds?)", path);
  try {
    return comparison_from_json(nlohmann::json::parse(in), path);
  } catch (const nlohmann::json::exception& e) {
    ASTRAEA_FAIL("{}: {}", path, e.what());
  }
}

}  // namespace

CompareOutcome run_compare(const CompareOptions& o, Communicator& ranks) {
  const std::vector<std::string> methods = o.methods.empty() ? ablation_methods() : o.methods;
  {
    const ExperimentConfig base = load_config(o.config, o.overrides);
    for (const std::string& m : methods) method_overrides(m, base);  // every name checked before any run
  }
  CompareOutcome outcome;
  if (o.seeds.empty()) {
    ASTRAEA_REQUIRE(ranks.size() == 1,
                    "compare over {} MPI ranks needs --seeds (the ranks take the seeds in turn); for one seed launch "
                    "it without mpirun",
                    ranks.size());
    outcome.seeds.push_back(compare_one_seed(o, methods, o.overrides, o.out));
    outcome.markdown = comparison_markdown(outcome.seeds[0], load_config(o.config, o.overrides).train.target_accuracy);
    return outcome;
  }
  const auto seed_overrides = [&](uint64_t seed) {
    std::vector<std::string> with_seed = o.overrides;
    with_seed.push_back("experiment.seed=" + std::to_string(seed));
    return with_seed;
  };
  const auto seed_dir = [&](uint64_t seed) { return subdir(o.out, "seed-" + std::to_string(seed)); };
  std::vector<bool> mine(o.seeds.size(), false);
  for (size_t i = size_t(ranks.rank()); i < o.seeds.size(); i += size_t(ranks.size())) {
    outcome.seeds.push_back(compare_one_seed(o, methods, seed_overrides(o.seeds[i]), seed_dir(o.seeds[i])));
    mine[i] = true;
  }
  ranks.any(false);  // every rank has written its seeds
  if (ranks.rank() != 0) return outcome;
  std::vector<Comparison> all;
  for (size_t i = 0, next = 0; i < o.seeds.size(); ++i) {
    all.push_back(mine[i] ? outcome.seeds[next++] : load_comparison(seed_dir(o.seeds[i])));
  }
  outcome.seeds = std::move(all);
  const ExperimentConfig last = load_config(o.config, seed_overrides(o.seeds.back()));
  outcome.markdown = seeds_markdown(outcome.seeds, last.train.target_accuracy);
  write_text_file(o.out, "compare.json",
                  seeds_json(outcome.seeds, nlohmann::json::parse(config_as_json(last))).dump(2) + "\n");
  write_text_file(o.out, "compare.md", outcome.markdown);
  return outcome;
}

}  // namespace astraea
