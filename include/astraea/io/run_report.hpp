// A run's outputs under DIR: rounds.jsonl (one JSON object per round, written through as it
// comes, so an interrupted run keeps every finished round), summary.json and model.safetensors
// (each replaced atomically, io/output_file.hpp).
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "astraea/fl/federated_run.hpp"
#include "astraea/fl/run_summary.hpp"
#include "astraea/io/config.hpp"
#include "astraea/io/output_file.hpp"

namespace astraea {

nlohmann::json round_to_json(const RoundResult& r);
// The inverse, for the fields round_to_json writes (the confusion matrix is not kept).
RoundResult round_from_json(const nlohmann::json& j);
// summary.json's figures (summarize()), and back.
nlohmann::ordered_json summary_to_json(const RunSummary& summary);
RunSummary summary_from_json(const nlohmann::json& j);
// The augmentation's ratios, counts and extra storage (bytes, total and per client), for summaries.
nlohmann::json augmentation_report(const AugmentedData& aug, const Dataset& train);

class RunReport {
 public:
  // `resume_after` > 0: DIR/rounds.jsonl is kept up to that round (it must hold rounds 1..that,
  // in order; later lines, from rounds the checkpoint does not cover, are dropped) and appended to.
  RunReport(const std::string& dir, const ExperimentConfig& config, int resume_after = 0);
  ~RunReport();
  void add_round(const RoundResult& r);
  // summary.json: the config echo, final and best accuracy, totals, rounds and bytes to the target
  // (summarize() over every round, those kept from before a resume included); returns the summary.
  RunSummary write_summary(const Model& model, const std::string& backend, const nlohmann::json& extra = {});
  const std::vector<RoundResult>& history() const { return history_; }
  void write_model(const Model& model, const std::vector<float>& params);
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  const ExperimentConfig& config_;
  std::unique_ptr<AppendFile> rounds_;
  std::vector<RoundResult> history_;
};

}  // namespace astraea
