#include "astraea/io/run_report.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <fstream>

#include "astraea/core/error.hpp"
#include "astraea/io/safetensors.hpp"

namespace astraea {

nlohmann::json round_to_json(const RoundResult& r) {
  nlohmann::ordered_json j;
  j["round"] = r.round;
  j["train_loss"] = r.train_loss;
  if (r.evaluated) {
    j["test_accuracy"] = r.test.accuracy;
    j["test_loss"] = r.test.loss;
    j["macro_f1"] = r.test.macro_f1;
    j["precision"] = r.test.precision;
    j["recall"] = r.test.recall;
    j["f1"] = r.test.f1;
  }
  j["clients"] = r.clients;
  j["mediators"] = r.mediators;
  j["mediator_sizes"] = r.mediator_sizes;
  j["mean_mediator_kl"] = r.mean_mediator_kl;
  j["mean_client_kl"] = r.mean_client_kl;
  j["samples"] = r.samples;
  j["steps"] = r.steps;
  j["bytes_client_mediator"] = r.bytes_client_mediator;
  j["bytes_mediator_server"] = r.bytes_mediator_server;
  j["seconds"] = r.seconds;
  j["phase_seconds"] = {{"augment", r.times.augment}, {"sample", r.times.sample},       {"schedule", r.times.schedule},
                        {"plan", r.times.plan},       {"train", r.times.train},         {"aggregate", r.times.aggregate},
                        {"evaluate", r.times.evaluate}};
  return j;
}

nlohmann::json augmentation_report(const AugmentedData& aug, const Dataset& train) {
  int64_t generated = 0, dropped = 0, most = 0;
  for (size_t k = 0; k < aug.generated_per_client.size(); ++k) {
    generated += aug.generated_per_client[k];
    dropped += aug.dropped_per_client[k];
    most = std::max(most, aug.generated_per_client[k]);
  }
  const double clients = std::max<size_t>(aug.generated_per_client.size(), 1);
  const int64_t per_sample = static_cast<int64_t>(train.sample_bytes() + sizeof(int32_t));
  return {{"ratios", aug.ratios},
          {"generated", generated},
          {"dropped", dropped},
          {"extra_bytes", aug.extra_bytes()},
          {"extra_bytes_per_client_mean", aug.extra_bytes() / clients},
          {"extra_bytes_per_client_max", most * per_sample},
          {"original_bytes", static_cast<int64_t>(train.images.size() + train.labels.size() * sizeof(int32_t))}};
}

RunReport::RunReport(const std::string& dir, const ExperimentConfig& config)
    : dir_(dir), config_(config), rounds_(nullptr, std::fclose) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) ASTRAEA_FAIL("--out {}: cannot create the directory ({})", dir, ec.message());
  const std::string path = (std::filesystem::path(dir) / "rounds.jsonl").string();
  rounds_.reset(std::fopen(path.c_str(), "w"));
  if (!rounds_) ASTRAEA_FAIL("{}: cannot write ({})", path, std::strerror(errno));
}

RunReport::~RunReport() = default;

void RunReport::add_round(const RoundResult& r) {
  const std::string line = round_to_json(r).dump() + "\n";
  std::fputs(line.c_str(), rounds_.get());
  std::fflush(rounds_.get());
  history_.push_back(r);
}

void RunReport::write_summary(const Model& model, const std::string& backend, nlohmann::json extra) {
  nlohmann::ordered_json s;
  s["name"] = config_.name;
  s["config"] = nlohmann::json::parse(config_as_json(config_));
  s["model"] = {{"name", model.name()}, {"parameters", model.num_params()}};
  s["backend"] = backend;
  s["rounds"] = history_.size();
  const RoundResult* best = nullptr;
  const RoundResult* last_eval = nullptr;
  int64_t bytes_cm = 0, bytes_ms = 0;
  double seconds = 0, train_seconds = 0;
  nlohmann::json to_target = nullptr;
  for (const RoundResult& r : history_) {
    bytes_cm += r.bytes_client_mediator;
    bytes_ms += r.bytes_mediator_server;
    seconds += r.seconds;
    train_seconds += r.times.train;
    if (!r.evaluated) continue;
    last_eval = &r;
    if (!best || r.test.accuracy > best->test.accuracy) best = &r;
    if (to_target.is_null() && config_.train.target_accuracy > 0 && r.test.accuracy >= config_.train.target_accuracy) {
      to_target = {{"target_accuracy", config_.train.target_accuracy},
                   {"round", r.round},
                   {"bytes_client_mediator", bytes_cm},
                   {"bytes_mediator_server", bytes_ms},
                   {"bytes_total", bytes_cm + bytes_ms}};
    }
  }
  if (last_eval) {
    s["final_accuracy"] = last_eval->test.accuracy;
    s["final_round"] = last_eval->round;
    s["final_f1"] = last_eval->test.f1;
    s["final_recall"] = last_eval->test.recall;
    s["final_macro_f1"] = last_eval->test.macro_f1;
    s["best_accuracy"] = best->test.accuracy;
    s["best_round"] = best->round;
  }
  s["bytes_client_mediator"] = bytes_cm;
  s["bytes_mediator_server"] = bytes_ms;
  s["bytes_total"] = bytes_cm + bytes_ms;
  if (config_.train.target_accuracy > 0) {
    s["to_target"] = to_target.is_null() ? nlohmann::json{{"target_accuracy", config_.train.target_accuracy},
                                                          {"reached", false}}
                                         : to_target;
  }
  s["seconds"] = seconds;
  s["train_seconds"] = train_seconds;
  for (auto& [k, v] : extra.items()) s[k] = v;
  const std::string path = (std::filesystem::path(dir_) / "summary.json").string();
  std::ofstream out(path);
  out << s.dump(2) << "\n";
  if (!out) ASTRAEA_FAIL("{}: write failed", path);
}

void RunReport::write_model(const Model& model, const std::vector<float>& params) {
  std::vector<NamedTensor> tensors;
  for (const ParamTensor& t : model.tensors()) tensors.push_back(NamedTensor{t.name, t.shape, params.data() + t.offset});
  write_safetensors((std::filesystem::path(dir_) / "model.safetensors").string(), tensors,
                    {{"model", model.name()}, {"format", "pt"}, {"producer", "astraea-sim"}});
}

}  // namespace astraea
