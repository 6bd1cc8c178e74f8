#include "astraea/io/compare_report.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <fmt/format.h>

#include "astraea/core/error.hpp"
#include "astraea/data/class_info.hpp"
#include "astraea/io/output_file.hpp"
#include "astraea/io/run_report.hpp"

namespace astraea {
namespace {

std::string pct(double v) { return fmt::format("{:.2f}", 100 * v); }

std::string joined(const std::vector<int>& v, const std::vector<std::string>& names) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ", ") + class_label(names, x);
  return s;
}

double rare_f1(const RunSummary& s, int y) { return y < static_cast<int>(s.final_f1.size()) ? s.final_f1[y] : 0.0; }

std::string pm(const Spread& s, double scale, int digits) {
  return s.n == 0 ? "—" : fmt::format("{:.{}f} ± {:.{}f}", scale * s.mean, digits, scale * s.sd, digits);
}

}  // namespace

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

std::string comparison_markdown(const Comparison& c, double target) {
  std::string md = fmt::format(
      "| method | best acc % | final acc % | macro F1 | F1 of rarest ({}) | rounds to {}% | MB to {}% "
      "| mean mediator KL | mean client KL | total MB |\n|---|---|---|---|---|---|---|---|---|---|\n",
      joined(c.rarest, c.class_names), pct(target), pct(target));
  for (const MethodResult& m : c.methods) {
    const RunSummary& s = m.summary;
    std::string f1;
    for (int y : c.rarest) f1 += (f1.empty() ? "" : " / ") + fmt::format("{:.2f}", rare_f1(s, y));
    const std::string final_acc =
        s.diverged_round > 0 ? fmt::format("diverged at round {}", s.diverged_round) : pct(s.final_accuracy);
    md += fmt::format("| {} | {} | {} | {:.3f} | {} | {} | {} | {:.3f} | {:.3f} | {:.1f} |\n", m.description,
                      pct(s.best_accuracy), final_acc, s.final_macro_f1, f1,
                      s.reached_target ? std::to_string(s.target_round) : "—",
                      s.reached_target ? fmt::format("{:.1f}", s.target_bytes_total() / 1e6) : "—", s.mean_mediator_kl,
                      s.mean_client_kl, s.bytes_total() / 1e6);
  }
  return md;
}

nlohmann::ordered_json comparison_json(const Comparison& c, const nlohmann::json& config) {
  nlohmann::ordered_json all;
  all["config"] = config;
  all["seed"] = c.seed;
  all["rarest_classes"] = c.rarest;
  if (!c.class_names.empty()) all["class_names"] = c.class_names;
  all["global_class_sizes"] = c.class_sizes;
  all["methods"] = nlohmann::ordered_json::array();
  for (const MethodResult& m : c.methods) {
    nlohmann::ordered_json j;
    j["method"] = m.method;
    j["description"] = m.description;
    j["summary"] = summary_to_json(m.summary);
    all["methods"].push_back(j);
  }
  return all;
}

Comparison comparison_from_json(const nlohmann::json& j, const std::string& source) {
  try {
    Comparison c;
    c.seed = j.at("seed").get<uint64_t>();
    c.rarest = j.at("rarest_classes").get<std::vector<int>>();
    c.class_sizes = j.at("global_class_sizes").get<std::vector<int64_t>>();
    c.class_names = j.value("class_names", std::vector<std::string>{});
    for (const auto& m : j.at("methods")) {
      c.methods.push_back(MethodResult{m.at("method").get<std::string>(), m.at("description").get<std::string>(),
                                       summary_from_json(m.at("summary"))});
    }
    return c;
  } catch (const nlohmann::json::exception& e) {
    ASTRAEA_FAIL("{}: {}", source, e.what());
  }
}

std::string seeds_markdown(const std::vector<Comparison>& runs, double target) {
  ASTRAEA_CHECK(!runs.empty(), "no seeds");
  const std::vector<int>& rare = runs[0].rarest;
  std::string seeds;
  for (const Comparison& c : runs) seeds += (seeds.empty() ? "" : ", ") + std::to_string(c.seed);
  std::string md = fmt::format(
      "{} seeds ({}); mean ± standard deviation; rounds and MB to {}% over the seeds that reached it (k/n)\n\n",
      runs.size(), seeds, pct(target));
  md += fmt::format(
      "| method | best acc % | final acc % | macro F1 | F1 of rarest ({}) | rounds to {}% | MB to {}% | "
      "mean mediator KL |\n|---|---|---|---|---|---|---|---|\n",
      joined(rare, runs[0].class_names), pct(target), pct(target));
  for (size_t m = 0; m < runs[0].methods.size(); ++m) {
    std::vector<double> best, final_acc, macro, rounds, mb, kl;
    std::vector<std::vector<double>> f1(rare.size());
    int diverged = 0;
    for (const Comparison& run : runs) {
      const RunSummary& s = run.methods[m].summary;
      diverged += s.diverged_round > 0;
      best.push_back(s.best_accuracy);
      final_acc.push_back(s.final_accuracy);
      macro.push_back(s.final_macro_f1);
      for (size_t k = 0; k < rare.size(); ++k) f1[k].push_back(rare_f1(s, rare[k]));
      if (s.reached_target) {
        rounds.push_back(s.target_round);
        mb.push_back(s.target_bytes_total() / 1e6);
      }
      kl.push_back(s.mean_mediator_kl);
    }
    std::string rare_text;
    for (const auto& x : f1) rare_text += (rare_text.empty() ? "" : " / ") + pm(spread(x), 1, 2);
    const std::string final_text =
        pm(spread(final_acc), 100, 2) + (diverged ? fmt::format(" ({} of {} diverged)", diverged, runs.size()) : "");
    md += fmt::format("| {} | {} | {} | {} | {} | {} ({}/{}) | {} | {} |\n", runs[0].methods[m].description,
                      pm(spread(best), 100, 2), final_text, pm(spread(macro), 1, 3), rare_text,
                      pm(spread(rounds), 1, 0), rounds.size(), runs.size(), pm(spread(mb), 1, 0), pm(spread(kl), 1, 3));
  }
  return md;
}

nlohmann::ordered_json seeds_json(const std::vector<Comparison>& runs, const nlohmann::json& config) {
  nlohmann::ordered_json all;
  all["config"] = config;
  std::vector<uint64_t> seeds;
  for (const Comparison& c : runs) seeds.push_back(c.seed);
  all["seeds"] = seeds;
  all["rarest_classes"] = runs.at(0).rarest;
  if (!runs[0].class_names.empty()) all["class_names"] = runs[0].class_names;
  for (size_t m = 0; m < runs[0].methods.size(); ++m) {
    auto& j = all["methods"][runs[0].methods[m].method];
    j["description"] = runs[0].methods[m].description;
    for (const Comparison& run : runs) {
      const RunSummary& s = run.methods[m].summary;
      j["best_accuracy"].push_back(s.best_accuracy);
      j["final_accuracy"].push_back(s.final_accuracy);
      j["final_macro_f1"].push_back(s.final_macro_f1);
      j["rounds_to_target"].push_back(s.reached_target ? nlohmann::ordered_json(s.target_round) : nlohmann::ordered_json());
      j["mb_to_target"].push_back(s.reached_target ? nlohmann::ordered_json(s.target_bytes_total() / 1e6) : nlohmann::ordered_json());
      j["mean_mediator_kl"].push_back(s.mean_mediator_kl);
    }
  }
  return all;
}

void write_text_file(const std::string& dir, const std::string& name, const std::string& text) {
  create_output_directory(dir);
  write_file_atomically((std::filesystem::path(dir) / name).string(), text);
}

}  // namespace astraea
