#include "astraea/io/checkpoint.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <algorithm>

#include <nlohmann/json.hpp>

#include "astraea/core/error.hpp"
#include "astraea/io/safetensors.hpp"

namespace astraea {
namespace {

// How a run executes, not what it computes: they may change between the interrupted run and its
// resumption. (train.rounds: a finished run may be extended.)
const std::set<std::string> kFreeKeys = {"train.rounds",     "train.backend",    "train.threads",
                                         "train.replicas",   "train.eval_every", "train.eval_batch",
                                         "train.checkpoint_every", "train.cuda_graphs"};

void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, nlohmann::json>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else {
    out[prefix] = j;
  }
}

nlohmann::json parse_config_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    ASTRAEA_FAIL("{}: bad config: {}", what, e.what());
  }
}

}  // namespace

std::string checkpoint_path(const std::string& dir) {
  return (std::filesystem::path(dir) / "checkpoint.safetensors").string();
}

void write_checkpoint(const std::string& dir, const Model& model, const Checkpoint& checkpoint) {
  ASTRAEA_CHECK(static_cast<int64_t>(checkpoint.params.size()) == model.num_params(), "{} params for {}",
                checkpoint.params.size(), model.num_params());
  const std::string path = checkpoint_path(dir);
  std::vector<NamedTensor> tensors;
  for (const ParamTensor& t : model.tensors()) {
    tensors.push_back(NamedTensor{t.name, t.shape, checkpoint.params.data() + t.offset});
  }
  for (const StateTensor& t : checkpoint.state.tensors) {
    ASTRAEA_CHECK(t.name.find('/') != std::string::npos, "state tensor {} needs a part/ prefix", t.name);
    tensors.push_back(NamedTensor{t.name, t.shape, t.data.data()});
  }
  std::map<std::string, std::string> meta = {{"model", model.name()},
                                             {"round", std::to_string(checkpoint.round)},
                                             {"config", checkpoint.config_json},
                                             {"producer", "astraea-sim checkpoint"}};
  for (const auto& [k, v] : checkpoint.state.metadata) meta["state:" + k] = v;
  write_safetensors(path, tensors, meta);  // atomic: a crash mid-write keeps the previous checkpoint
}

Checkpoint read_checkpoint(const std::string& dir, const Model& model) {
  const std::string path = checkpoint_path(dir);
  std::map<std::string, std::string> meta;
  const auto tensors = read_safetensors(path, &meta);
  Checkpoint c;
  if (!meta.count("round") || !meta.count("config") || !meta.count("model")) {
    ASTRAEA_FAIL("{}: not a checkpoint (metadata lacks round, config or model)", path);
  }
  if (meta["model"] != model.name()) {
    ASTRAEA_FAIL("{}: holds model {}, the config asks for {}", path, meta["model"], model.name());
  }
  try {
    size_t used = 0;
    c.round = std::stoi(meta["round"], &used);
    if (used != meta["round"].size() || c.round < 1) throw std::invalid_argument("round");
  } catch (const std::exception&) {
    ASTRAEA_FAIL("{}: bad round \"{}\"", path, meta["round"]);
  }
  c.config_json = meta["config"];
  c.params.assign(model.num_params(), 0.0f);
  for (const ParamTensor& t : model.tensors()) {
    const auto it = tensors.find(t.name);
    if (it == tensors.end()) ASTRAEA_FAIL("{}: tensor {} is missing", path, t.name);
    if (it->second.shape != t.shape) ASTRAEA_FAIL("{}: tensor {} has the wrong shape for {}", path, t.name, model.name());
    std::copy(it->second.data.begin(), it->second.data.end(), c.params.begin() + t.offset);
  }
  const std::vector<ParamTensor> model_tensors = model.tensors();
  for (const auto& entry : tensors) {
    const std::string& name = entry.first;
    if (name.find('/') != std::string::npos) {
      c.state.tensors.push_back(StateTensor{name, entry.second.shape, entry.second.data});
    } else if (std::none_of(model_tensors.begin(), model_tensors.end(),
                            [&](const ParamTensor& p) { return p.name == name; })) {
      ASTRAEA_FAIL("{}: tensor {} is not part of {}", path, name, model.name());
    }
  }
  for (const auto& [k, v] : meta) {
    if (k.rfind("state:", 0) == 0) c.state.metadata[k.substr(6)] = v;
  }
  const auto finite = [](const std::vector<float>& v) {
    return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
  };
  if (!finite(c.params)) ASTRAEA_FAIL("{}: the model holds NaN or infinite weights; it cannot be resumed", path);
  for (const StateTensor& t : c.state.tensors) {
    if (!finite(t.data)) ASTRAEA_FAIL("{}: {} holds NaN or infinite values; it cannot be resumed", path, t.name);
  }
  return c;
}

std::vector<std::string> config_differences(const std::string& saved_json, const std::string& current_json) {
  std::map<std::string, nlohmann::json> a, b;
  flatten(parse_config_json(saved_json, "checkpoint"), "", a);
  flatten(parse_config_json(current_json, "current run"), "", b);
  std::vector<std::string> keys;
  for (const auto& [k, v] : a) {
    if (kFreeKeys.count(k)) continue;
    const auto it = b.find(k);
    if (it == b.end() || it->second != v) keys.push_back(k);
  }
  for (const auto& [k, v] : b) {
    if (!kFreeKeys.count(k) && !a.count(k)) keys.push_back(k);
  }
  return keys;
}

}  // namespace astraea
