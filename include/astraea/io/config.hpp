// An experiment: one TOML file (configs/*.toml) plus `--set section.key=value` overrides. Every
// key is validated on load; an unknown key or an out-of-range value is an error naming it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astraea/data/data_source.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/fl/client_systems.hpp"
#include "astraea/data/drift.hpp"
#include "astraea/fl/feedback.hpp"
#include "astraea/fl/train_config.hpp"

namespace astraea {

struct ExperimentConfig {
  std::string name = "experiment";
  uint64_t seed = 1;
  DataSource data;
  PartitionSpec partition;
  TrainConfig train;
  AstraeaConfig astraea;
  AlgorithmConfig algorithm;
  SystemsConfig systems;
  FeedbackConfig feedback;
  DriftConfig drift;
  std::vector<std::string> class_names;  // classes.file's names ("" where not given; empty: none)
  std::string resolved_toml;  // the configuration as run (file + overrides), for reports
};

// From a file; `overrides` are "section.key=value" strings.
ExperimentConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// From TOML text; `source` names it in messages.
ExperimentConfig parse_config(const std::string& text, const std::string& source,
                              const std::vector<std::string>& overrides = {});

// The configuration as run, as a JSON object (for summary.json).
std::string config_as_json(const ExperimentConfig& config);

}  // namespace astraea
