#include "astraea/io/run_report.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <fstream>

#include "astraea/core/error.hpp"
#include "astraea/io/output_file.hpp"
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
  j["weighted_mediator_kl"] = r.weighted_mediator_kl;
  j["max_mediator_kl"] = r.max_mediator_kl;
  j["floor_kl"] = r.floor_kl;
  j["mean_client_kl"] = r.mean_client_kl;
  j["samples"] = r.samples;
  j["steps"] = r.steps;
  j["bytes_client_mediator"] = r.bytes_client_mediator;
  j["bytes_mediator_server"] = r.bytes_mediator_server;
  j["seconds"] = r.seconds;
  if (r.simulated_seconds > 0 || r.dropped_visits > 0) {
    j["simulated_seconds"] = r.simulated_seconds;
    j["dropped_visits"] = r.dropped_visits;
    j["dropped_mediators"] = r.dropped_mediators;
  }
  if (r.replanned) {
    const Replan& p = r.replan;
    nlohmann::ordered_json q;
    q["recall"] = p.recall;
    q["smoothed_recall"] = p.smoothed;
    if (!p.ratios_after.empty()) q["ratios_before"] = p.ratios_before, q["ratios_after"] = p.ratios_after;
    if (!p.target_after.empty()) q["target_before"] = p.target_before, q["target_after"] = p.target_after;
    q["sampling"] = p.sampling;
    q["seconds"] = p.seconds;
    q["bytes"] = p.bytes;
    j["replan"] = q;
    j["bytes_feedback"] = r.bytes_feedback;
  }
  if (r.drifted) {
    const DriftEvent& d = r.drift;
    nlohmann::ordered_json q;
    q["step"] = d.step;
    q["active_clients"] = d.active_clients;
    q["histogram"] = d.histogram;
    q["kl"] = d.kl;
    q["replanned"] = d.replanned;
    if (!d.ratios.empty()) q["ratios"] = d.ratios;
    j["drift"] = q;
  }
  j["phase_seconds"] = {{"augment", r.times.augment},     {"sample", r.times.sample},
                        {"schedule", r.times.schedule},   {"plan", r.times.plan},
                        {"train", r.times.train},         {"communicate", r.times.communicate},
                        {"aggregate", r.times.aggregate}, {"evaluate", r.times.evaluate}};
  return j;
}

RoundResult round_from_json(const nlohmann::json& j) {
  RoundResult r;
  r.round = j.at("round").get<int>();
  r.train_loss = j.at("train_loss").get<double>();
  if (j.contains("test_accuracy")) {
    r.evaluated = true;
    r.test.accuracy = j.at("test_accuracy").get<double>();
    r.test.loss = j.at("test_loss").get<double>();
    r.test.macro_f1 = j.at("macro_f1").get<double>();
    r.test.precision = j.at("precision").get<std::vector<double>>();
    r.test.recall = j.at("recall").get<std::vector<double>>();
    r.test.f1 = j.at("f1").get<std::vector<double>>();
    r.test.classes = static_cast<int>(r.test.f1.size());
  }
  r.clients = j.at("clients").get<int64_t>();
  r.mediators = j.at("mediators").get<int64_t>();
  r.mediator_sizes = j.at("mediator_sizes").get<std::vector<int64_t>>();
  r.mean_mediator_kl = j.at("mean_mediator_kl").get<double>();
  r.weighted_mediator_kl = j.value("weighted_mediator_kl", 0.0);  // absent in older files
  r.max_mediator_kl = j.value("max_mediator_kl", 0.0);
  r.floor_kl = j.value("floor_kl", 0.0);
  r.mean_client_kl = j.at("mean_client_kl").get<double>();
  r.samples = j.at("samples").get<int64_t>();
  r.steps = j.at("steps").get<int64_t>();
  r.bytes_client_mediator = j.at("bytes_client_mediator").get<int64_t>();
  r.bytes_mediator_server = j.at("bytes_mediator_server").get<int64_t>();
  r.seconds = j.at("seconds").get<double>();
  r.simulated_seconds = j.value("simulated_seconds", 0.0);
  r.dropped_visits = j.value("dropped_visits", int64_t{0});
  r.dropped_mediators = j.value("dropped_mediators", int64_t{0});
  if (j.contains("replan")) {
    const nlohmann::json& q = j.at("replan");
    r.replanned = true;
    r.replan.recall = q.at("recall").get<std::vector<double>>();
    r.replan.smoothed = q.value("smoothed_recall", std::vector<double>{});
    r.replan.ratios_before = q.value("ratios_before", std::vector<double>{});
    r.replan.ratios_after = q.value("ratios_after", std::vector<double>{});
    r.replan.target_before = q.value("target_before", std::vector<double>{});
    r.replan.target_after = q.value("target_after", std::vector<double>{});
    r.replan.sampling = q.value("sampling", false);
    r.replan.seconds = q.value("seconds", 0.0);
    r.replan.bytes = q.value("bytes", int64_t{0});
    r.bytes_feedback = j.value("bytes_feedback", int64_t{0});
  }
  if (j.contains("drift")) {
    const nlohmann::json& q = j.at("drift");
    r.drifted = true;
    r.drift.step = q.at("step").get<int>();
    r.drift.active_clients = q.value("active_clients", int64_t{0});
    r.drift.histogram = q.value("histogram", std::vector<int64_t>{});
    r.drift.kl = q.value("kl", 0.0);
    r.drift.replanned = q.value("replanned", false);
    r.drift.ratios = q.value("ratios", std::vector<double>{});
  }
  const nlohmann::json& t = j.at("phase_seconds");
  r.times.augment = t.at("augment").get<double>();
  r.times.sample = t.at("sample").get<double>();
  r.times.schedule = t.at("schedule").get<double>();
  r.times.plan = t.at("plan").get<double>();
  r.times.train = t.at("train").get<double>();
  r.times.communicate = t.value("communicate", 0.0);  // absent before multi-rank runs existed
  r.times.aggregate = t.at("aggregate").get<double>();
  r.times.evaluate = t.at("evaluate").get<double>();
  return r;
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

RunReport::RunReport(const std::string& dir, const ExperimentConfig& config, int resume_after)
    : dir_(dir), config_(config) {
  create_output_directory(dir);
  const std::string path = (std::filesystem::path(dir) / "rounds.jsonl").string();
  std::vector<std::string> kept;
  if (resume_after > 0) {
    std::ifstream in(path);
    if (!in) ASTRAEA_FAIL("{}: cannot open, and resuming needs the rounds before the checkpoint", path);
    std::string line;
    for (int lineno = 1; static_cast<int>(kept.size()) < resume_after && std::getline(in, line); ++lineno) {
      try {
        RoundResult r = round_from_json(nlohmann::json::parse(line));
        if (r.round != lineno) ASTRAEA_FAIL("holds round {} where round {} belongs", r.round, lineno);
        history_.push_back(std::move(r));
      } catch (const std::exception& e) {
        ASTRAEA_FAIL("{}:{}: {}", path, lineno, e.what());
      }
      kept.push_back(line);
    }
    if (static_cast<int>(kept.size()) < resume_after) {
      ASTRAEA_FAIL("{}: holds {} rounds, the checkpoint is after round {}", path, kept.size(), resume_after);
    }
  }
  if (resume_after > 0) {  // the kept rounds replace the file in one rename: lines past them would repeat
    std::string text;
    for (const std::string& line : kept) text += line + "\n";
    write_file_atomically(path, text);
  }
  rounds_ = std::make_unique<AppendFile>(path, resume_after > 0);
}

RunReport::~RunReport() = default;

void RunReport::add_round(const RoundResult& r) {
  nlohmann::json j = round_to_json(r);
  if (j.contains("simulated_seconds")) {
    // The virtual clock since round 1 (the history includes rounds read back on resume).
    double total = r.simulated_seconds;
    for (const RoundResult& h : history_) total += h.simulated_seconds;
    j["simulated_seconds_total"] = total;
  }
  rounds_->append(j.dump() + "\n");
  history_.push_back(r);
}

nlohmann::ordered_json summary_to_json(const RunSummary& s) {
  nlohmann::ordered_json j;
  j["rounds"] = s.rounds;
  if (s.evaluated) {
    j["final_accuracy"] = s.final_accuracy;
    j["final_round"] = s.final_round;
    j["final_f1"] = s.final_f1;
    j["final_recall"] = s.final_recall;
    j["final_macro_f1"] = s.final_macro_f1;
    j["best_accuracy"] = s.best_accuracy;
    j["best_round"] = s.best_round;
  }
  j["bytes_client_mediator"] = s.bytes_client_mediator;
  j["bytes_mediator_server"] = s.bytes_mediator_server;
  j["bytes_total"] = s.bytes_total();
  if (s.target_accuracy > 0) {
    nlohmann::ordered_json t;
    t["target_accuracy"] = s.target_accuracy;
    t["reached"] = s.reached_target;
    if (s.reached_target) {
      t["round"] = s.target_round;
      t["bytes_client_mediator"] = s.target_bytes_client_mediator;
      t["bytes_mediator_server"] = s.target_bytes_mediator_server;
      t["bytes_total"] = s.target_bytes_total();
    }
    j["to_target"] = t;
  }
  j["mean_mediator_kl"] = s.mean_mediator_kl;
  j["weighted_mediator_kl"] = s.weighted_mediator_kl;
  j["max_mediator_kl"] = s.max_mediator_kl;
  j["floor_kl"] = s.floor_kl;
  j["mean_client_kl"] = s.mean_client_kl;
  j["seconds"] = s.seconds;
  j["train_seconds"] = s.train_seconds;
  if (s.simulated_seconds > 0) {
    j["simulated_seconds"] = s.simulated_seconds;
    if (s.reached_target) j["to_target"]["simulated_seconds"] = s.target_simulated_seconds;
  }
  if (s.replans > 0) {
    j["replans"] = s.replans;
    j["replan_seconds"] = s.replan_seconds;
    j["bytes_feedback"] = s.bytes_feedback;
  }
  if (s.diverged_round > 0) j["diverged_round"] = s.diverged_round;
  return j;
}

RunSummary summary_from_json(const nlohmann::json& j) {
  RunSummary s;
  s.rounds = j.at("rounds").get<int>();
  if (j.contains("final_accuracy")) {
    s.evaluated = true;
    s.final_accuracy = j.at("final_accuracy").get<double>();
    s.final_round = j.at("final_round").get<int>();
    s.final_f1 = j.at("final_f1").get<std::vector<double>>();
    s.final_recall = j.at("final_recall").get<std::vector<double>>();
    s.final_macro_f1 = j.at("final_macro_f1").get<double>();
    s.best_accuracy = j.at("best_accuracy").get<double>();
    s.best_round = j.at("best_round").get<int>();
  }
  s.bytes_client_mediator = j.at("bytes_client_mediator").get<int64_t>();
  s.bytes_mediator_server = j.at("bytes_mediator_server").get<int64_t>();
  if (j.contains("to_target")) {
    const auto& t = j.at("to_target");
    s.target_accuracy = t.at("target_accuracy").get<double>();
    s.reached_target = t.at("reached").get<bool>();
    if (s.reached_target) {
      s.target_round = t.at("round").get<int>();
      s.target_bytes_client_mediator = t.at("bytes_client_mediator").get<int64_t>();
      s.target_bytes_mediator_server = t.at("bytes_mediator_server").get<int64_t>();
    }
  }
  s.mean_mediator_kl = j.value("mean_mediator_kl", 0.0);
  s.mean_client_kl = j.value("mean_client_kl", 0.0);
  s.weighted_mediator_kl = j.value("weighted_mediator_kl", 0.0);
  s.max_mediator_kl = j.value("max_mediator_kl", 0.0);
  s.floor_kl = j.value("floor_kl", 0.0);
  s.seconds = j.at("seconds").get<double>();
  s.train_seconds = j.at("train_seconds").get<double>();
  s.diverged_round = j.value("diverged_round", 0);
  s.simulated_seconds = j.value("simulated_seconds", 0.0);
  s.replans = j.value("replans", 0);
  s.replan_seconds = j.value("replan_seconds", 0.0);
  s.bytes_feedback = j.value("bytes_feedback", int64_t{0});
  if (j.contains("to_target")) s.target_simulated_seconds = j["to_target"].value("simulated_seconds", 0.0);
  return s;
}

RunSummary RunReport::write_summary(const Model& model, const std::string& backend, const nlohmann::json& extra) {
  RunSummary summary = summarize(history_, config_.train.target_accuracy);
  if (extra.contains("diverged")) summary.diverged_round = extra["diverged"]["round"].get<int>();
  nlohmann::ordered_json s;
  s["name"] = config_.name;
  s["config"] = nlohmann::json::parse(config_as_json(config_));
  s["model"] = {{"name", model.name()}, {"parameters", model.num_params()}};
  s["backend"] = backend;
  if (!config_.class_names.empty()) s["class_names"] = config_.class_names;
  const nlohmann::ordered_json figures = summary_to_json(summary);
  for (const auto& [k, v] : figures.items()) s[k] = v;
  for (const auto& [k, v] : extra.items()) s[k] = v;
  write_file_atomically((std::filesystem::path(dir_) / "summary.json").string(), s.dump(2) + "\n");
  return summary;
}

void RunReport::write_model(const Model& model, const std::vector<float>& params) {
  std::vector<NamedTensor> tensors;
  for (const ParamTensor& t : model.tensors()) tensors.push_back(NamedTensor{t.name, t.shape, params.data() + t.offset});
  write_safetensors((std::filesystem::path(dir_) / "model.safetensors").string(), tensors,
                    {{"model", model.name()}, {"format", "pt"}, {"producer", "astraea-sim"}});
}

}  // namespace astraea
