#include "astraea/experiment/methods.hpp"

#include <map>

#include <fmt/format.h>

#include "astraea/core/error.hpp"

namespace astraea {
namespace {

// Astraea's augmentation rule: the config's, or the TPDS z-score rule when the config has none.
std::string augmentation_of(const ExperimentConfig& base) {
  return "astraea.augmentation=" + (base.astraea.augmentation.method == "none" ? std::string("zscore")
                                                                                : base.astraea.augmentation.method);
}

// A KL scheduler: the config's when it is one, else the papers' greedy.
std::string scheduler_of(const ExperimentConfig& base) {
  const std::string& s = base.astraea.scheduler;
  return "astraea.scheduler=" + (s == "none" || s == "random" ? std::string("greedy") : s);
}

std::string mediator_epochs_of(const ExperimentConfig& base) {
  return "astraea.mediator_epochs=" + std::to_string(base.astraea.mediator_epochs);
}

// The keys every method starts from: FedAvg.
std::vector<std::string> fedavg_reset() {
  return {"astraea.augmentation=none", "astraea.scheduler=none", "astraea.mediator_epochs=1",
          "algorithm.loss=ce",         "algorithm.client=none",   "algorithm.server=fedavg",
          "feedback.augmentation=false", "feedback.target=false", "feedback.sampling=false",
          "drift.replan_kl=0"};
}

// The server adapts: the config's feedback loop and drift threshold, or every 10 rounds and 0.05.
// (Other methods keep the config's feedback.every with the loop acting on nothing: they monitor
// per-class recall and are tested on the same images, the validation split held out.)
std::vector<std::string> adaptive_of(const ExperimentConfig& base) {
  std::vector<std::string> o = {"feedback.every=" + std::to_string(base.feedback.every > 0 ? base.feedback.every : 10),
                                "feedback.augmentation=true", "feedback.target=true",
                                fmt::format("feedback.sampling={}", base.feedback.sampling)};
  if (base.drift.enabled()) {
    o.push_back(fmt::format("drift.replan_kl={}", base.drift.replan_kl > 0 ? base.drift.replan_kl : 0.05));
  }
  return o;
}

std::vector<std::string> just(std::string o) { return {std::move(o)}; }

// Clients on plain SGD: the config's rate when it already uses SGD, else 0.02 (on the shipped
// imbalanced config SCAFFOLD diverged at 0.05 and trained at 0.02 and 0.01).
std::vector<std::string> sgd_of(const ExperimentConfig& base) {
  std::vector<std::string> o = {"train.optimizer=sgd", "train.momentum=0"};
  if (base.train.optimizer != "sgd") o.push_back("train.lr=0.02");
  return o;
}

// SCAFFOLD's option II is defined for plain SGD.
std::vector<std::string> scaffold_of(const ExperimentConfig& base) {
  std::vector<std::string> o = sgd_of(base);
  o.push_back("algorithm.client=scaffold");
  return o;
}

std::string key_of(const std::string& override_text) { return override_text.substr(0, override_text.find('=')); }

std::vector<std::string> split_plus(const std::string& spec) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (true) {
    const size_t plus = spec.find('+', at);
    parts.push_back(spec.substr(at, plus == std::string::npos ? std::string::npos : plus - at));
    if (plus == std::string::npos) break;
    at = plus + 1;
  }
  return parts;
}

}  // namespace

const Registry<MethodRecipe>& method_registry() {
  static const Registry<MethodRecipe> r(
      "method",
      {{"fedavg", "FedAvg", {[](const ExperimentConfig&) { return std::vector<std::string>{}; }}},
       {"augmentation", "augmentation only",
        {[](const ExperimentConfig& b) { return std::vector<std::string>{augmentation_of(b)}; }}},
       {"rescheduling", "rescheduling only",
        {[](const ExperimentConfig& b) { return std::vector<std::string>{scheduler_of(b), mediator_epochs_of(b)}; }}},
       {"astraea", "Astraea (both)",
        {[](const ExperimentConfig& b) {
          return std::vector<std::string>{augmentation_of(b), scheduler_of(b), mediator_epochs_of(b)};
        }}},
       {"random_mediators", "Astraea, random mediators",
        {[](const ExperimentConfig& b) {
          return std::vector<std::string>{augmentation_of(b), "astraea.scheduler=random", mediator_epochs_of(b)};
        }}},
       {"balanced_mediators", "Astraea, balanced mediators",
        {[](const ExperimentConfig& b) {
          return std::vector<std::string>{augmentation_of(b), "astraea.scheduler=balanced", mediator_epochs_of(b)};
        }}},
       {"adaptive", "feedback loop and drift replans", {adaptive_of}},
       {"sgd", "clients on SGD", {sgd_of}},
       {"fedprox", "FedProx", {[](const ExperimentConfig&) { return just("algorithm.client=fedprox"); }}},
       {"scaffold", "SCAFFOLD (clients on SGD)", {scaffold_of}},
       {"fedavgm", "FedAvgM", {[](const ExperimentConfig&) { return just("algorithm.server=fedavgm"); }}},
       {"fedadam", "FedAdam", {[](const ExperimentConfig&) { return just("algorithm.server=fedadam"); }}},
       {"fedyogi", "FedYogi", {[](const ExperimentConfig&) { return just("algorithm.server=fedyogi"); }}},
       {"fedadagrad", "FedAdagrad", {[](const ExperimentConfig&) { return just("algorithm.server=fedadagrad"); }}},
       {"focal", "focal loss", {[](const ExperimentConfig&) { return just("algorithm.loss=focal"); }}},
       {"fedlc", "FedLC", {[](const ExperimentConfig&) { return just("algorithm.loss=fedlc"); }}},
       {"fedrs", "FedRS", {[](const ExperimentConfig&) { return just("algorithm.loss=fedrs"); }}}});
  return r;
}

std::vector<std::string> ablation_methods() {
  return {"fedavg", "augmentation", "rescheduling", "astraea", "random_mediators"};
}

std::vector<std::string> method_overrides(const std::string& spec, const ExperimentConfig& base) {
  std::vector<std::string> out = fedavg_reset();
  std::map<std::string, std::pair<std::string, std::string>> set_by;  // key -> (value text, component)
  for (const std::string& part : split_plus(spec)) {
    const auto& entry = method_registry().at(part, "--methods");
    for (const std::string& o : entry.make.overrides(base)) {
      const std::string key = key_of(o);
      const auto it = set_by.find(key);
      if (it != set_by.end() && it->second.first != o) {
        ASTRAEA_FAIL("--methods {}: {} and {} both set {} ({} against {})", spec, it->second.second, part, key,
                     it->second.first, o);
      }
      set_by[key] = {o, part};
      out.push_back(o);
    }
  }
  return out;
}

std::string method_description(const std::string& spec) {
  std::string d;
  for (const std::string& part : split_plus(spec)) {
    const auto* e = method_registry().find(part);
    d += (d.empty() ? "" : " + ") + (e ? e->help : part);
  }
  return d;
}

}  // namespace astraea
