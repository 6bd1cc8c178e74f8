#include "astraea/io/config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "astraea/core/error.hpp"
#include "astraea/backend/backend_registry.hpp"
#include "astraea/data/class_info.hpp"
#include "astraea/fl/client_algorithm.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "astraea/fl/server_update.hpp"
#include "astraea/nn/losses.hpp"
#include "astraea/nn/model.hpp"
#include "astraea/nn/optimizers.hpp"
#include "config_reader.hpp"

namespace astraea {
namespace {

// `value` must be one of a registry's names; the error lists them.
void require_name(const ConfigReader& r, const std::string& section, const char* key, const std::string& value,
                  const std::vector<std::string>& names) {
  if (std::find(names.begin(), names.end(), value) != names.end()) return;
  std::string known;
  for (size_t i = 0; i < names.size(); ++i) known += (i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ")) + names[i];
  r.fail(section, key, fmt::format("\"{}\" is not one of {}", value, known));
}

void read_experiment(ConfigReader& r, ExperimentConfig& c) {
  r.read("experiment", "name", c.name);
  r.read("experiment", "seed", c.seed);
}

void read_data(ConfigReader& r, DataSource& d) {
  r.read("data", "format", d.format);
  r.read("data", "train_images", d.train_images);
  r.read("data", "train_labels", d.train_labels);
  r.read("data", "test_images", d.test_images);
  r.read("data", "test_labels", d.test_labels);
  r.read("data", "dir", d.dir);
  r.read("data", "classes", d.classes);
  SyntheticSpec& s = d.synthetic;
  r.read("data", "channels", s.channels);
  r.read("data", "height", s.height);
  r.read("data", "width", s.width);
  r.read("data", "train_samples", s.train_samples);
  r.read("data", "test_samples", s.test_samples);
  r.read("data", "noise", s.noise);
  if (d.format != "idx" && d.format != "cifar" && d.format != "synthetic") {
    r.fail("data", "format", fmt::format("\"{}\" is not a format (expected idx, cifar or synthetic)", d.format));
  }
  if (d.classes < 0 || d.classes > (1 << 16)) {
    r.fail("data", "classes", fmt::format("must be in [0, 65536] (0 = infer), got {}", d.classes));
  }
  if (s.channels < 1 || s.channels > 16) r.fail("data", "channels", fmt::format("must be in [1, 16], got {}", s.channels));
  if (s.height < 1 || s.height > 4096) r.fail("data", "height", fmt::format("must be in [1, 4096], got {}", s.height));
  if (s.width < 1 || s.width > 4096) r.fail("data", "width", fmt::format("must be in [1, 4096], got {}", s.width));
  for (const auto& [key, n] : {std::pair<const char*, int64_t>{"train_samples", s.train_samples}, {"test_samples", s.test_samples}}) {
    if (n < 1 || n > int64_t(1) << 30) r.fail("data", key, fmt::format("must be in [1, 2^30], got {}", n));
    if (double(n) * s.channels * s.height * s.width > 64.0 * (1 << 30)) {
      r.fail("data", key, fmt::format("{} images of {}x{}x{} need over 64 GiB", n, s.channels, s.height, s.width));
    }
  }
  if (!(s.noise >= 0 && s.noise <= 1)) r.fail("data", "noise", fmt::format("must be in [0, 1], got {}", s.noise));
}

void read_partition(ConfigReader& r, PartitionSpec& p, uint64_t seed) {
  p.seed = seed;
  r.read("partition", "method", p.method);
  r.read("partition", "clients", p.clients);
  r.read("partition", "global", p.global);
  r.read("partition", "samples", p.samples);
  r.read("partition", "sizes", p.sizes);
  r.read("partition", "local", p.local);
  r.read("partition", "local_beta", p.local_beta);
  r.read("partition", "min_client_size", p.min_client_size);
  r.read("partition", "seed", p.seed);
}

void read_train(ConfigReader& r, TrainConfig& t) {
  const std::string s = "train";
  r.read(s, "model", t.model);
  r.read(s, "optimizer", t.optimizer);
  r.read(s, "lr", t.lr);
  r.read(s, "momentum", t.momentum);
  r.read(s, "beta1", t.beta1);
  r.read(s, "beta2", t.beta2);
  r.read(s, "eps", t.eps);
  r.read(s, "batch", t.batch);
  r.read(s, "local_epochs", t.local_epochs);
  r.read(s, "rounds", t.rounds);
  r.read(s, "clients_per_round", t.clients_per_round);
  r.read(s, "reset_optimizer", t.reset_optimizer);
  r.read(s, "eval_every", t.eval_every);
  r.read(s, "eval_batch", t.eval_batch);
  r.read(s, "backend", t.backend);
  r.read(s, "threads", t.threads);
  r.read(s, "replicas", t.replicas);
  r.read(s, "tf32", t.tf32);
  r.read(s, "conv", t.conv);
  r.read(s, "cuda_graphs", t.cuda_graphs);
  r.read(s, "target_accuracy", t.target_accuracy);
  r.read(s, "checkpoint_every", t.checkpoint_every);
  auto positive = [&](const char* key, double v) {
    if (!(v > 0)) r.fail(s, key, fmt::format("must be > 0, got {}", v));
  };
  auto at_least = [&](const char* key, double v, double lo) {
    if (v < lo) r.fail(s, key, fmt::format("must be >= {}, got {}", lo, v));
  };
  positive("lr", t.lr);
  at_least("momentum", t.momentum, 0);
  if (t.momentum >= 1) r.fail(s, "momentum", fmt::format("must be < 1, got {}", t.momentum));
  if (!(t.beta1 >= 0 && t.beta1 < 1)) r.fail(s, "beta1", fmt::format("must be in [0, 1), got {}", t.beta1));
  if (!(t.beta2 >= 0 && t.beta2 < 1)) r.fail(s, "beta2", fmt::format("must be in [0, 1), got {}", t.beta2));
  positive("eps", t.eps);
  at_least("batch", t.batch, 1);
  at_least("local_epochs", t.local_epochs, 1);
  at_least("rounds", t.rounds, 1);
  at_least("clients_per_round", static_cast<double>(t.clients_per_round), 1);
  at_least("eval_every", t.eval_every, 0);
  at_least("eval_batch", t.eval_batch, 1);
  at_least("threads", t.threads, 0);
  at_least("replicas", t.replicas, 0);
  at_least("checkpoint_every", t.checkpoint_every, 0);
  // Requests no machine can serve fail here, before anything is allocated.
  auto at_most = [&](const char* key, double v, double hi) {
    if (v > hi) r.fail(s, key, fmt::format("must be <= {}, got {}", hi, v));
  };
  at_most("batch", t.batch, 1 << 16);
  at_most("local_epochs", t.local_epochs, 10000);
  at_most("rounds", t.rounds, 1e8);
  at_most("clients_per_round", static_cast<double>(t.clients_per_round), 1e9);
  at_most("eval_batch", t.eval_batch, 1 << 20);
  at_most("threads", t.threads, 4096);
  at_most("replicas", t.replicas, 1 << 16);
  at_most("lr", t.lr, 1e6);
  if (t.target_accuracy < 0 || t.target_accuracy > 1) {
    r.fail(s, "target_accuracy", fmt::format("must be a fraction in [0, 1], got {}", t.target_accuracy));
  }
  require_name(r, s, "model", t.model, model_names());
  require_name(r, s, "optimizer", t.optimizer, optimizer_registry().names());
  require_name(r, s, "backend", t.backend, backend_registry().names());
  require_name(r, s, "conv", t.conv, {"im2col", "cudnn"});
  if (t.cuda_graphs && t.conv == "cudnn") {
    r.fail(s, "cuda_graphs", "is not yet checked with train.conv = \"cudnn\": use one or the other");
  }
}

void read_astraea(ConfigReader& r, AstraeaConfig& a) {
  const std::string s = "astraea";
  AugmentationConfig& g = a.augmentation;
  r.read(s, "augmentation", g.method);
  r.read(s, "tau_d", g.tau_d);
  r.read(s, "alpha", g.alpha);
  r.read(s, "sample_sigma", g.sample_sigma);
  r.read(s, "shift", g.ranges.shift);
  r.read(s, "rotation", g.ranges.rotation);
  r.read(s, "shear", g.ranges.shear);
  r.read(s, "zoom_min", g.ranges.zoom_min);
  r.read(s, "zoom_max", g.ranges.zoom_max);
  r.read(s, "brightness", g.ranges.brightness);
  r.read(s, "contrast", g.ranges.contrast);
  r.read(s, "scheduler", a.scheduler);
  r.read(s, "mediator_size", a.mediator_size);
  r.read(s, "device_scheduler_from", a.device_scheduler_from);
  r.read(s, "mediator_epochs", a.mediator_epochs);
  r.read(s, "balance", a.balance);
  r.read(s, "balance_passes", a.balance_passes);
  r.read(s, "balance_worst_ratio", a.balance_worst_ratio);
  r.read(s, "target", a.target);
  if (a.balance != "mean" && a.balance != "max") {
    r.fail(s, "balance", fmt::format("\"{}\" is not an objective (expected mean or max)", a.balance));
  }
  if (a.balance_passes < 0 || a.balance_passes > 10000) {
    r.fail(s, "balance_passes", fmt::format("must be in [0, 10000], got {}", a.balance_passes));
  }
  if (!(a.balance_worst_ratio == 0 || (a.balance_worst_ratio >= 1 && a.balance_worst_ratio <= 1e6))) {
    r.fail(s, "balance_worst_ratio", fmt::format("must be 0 (off) or in [1, 1e6], got {}", a.balance_worst_ratio));
  } else if (a.balance_worst_ratio > 0 && a.balance != "mean") {
    r.fail(s, "balance_worst_ratio", "applies to balance = \"mean\" only (\"max\" lowers the worst mediator as far as it goes)");
  }
  require_name(r, s, "augmentation", g.method, augmentation_registry().names());
  if (!(g.tau_d > 0 && g.tau_d <= 1e3)) r.fail(s, "tau_d", fmt::format("must be in (0, 1000], got {}", g.tau_d));
  // The papers use 0.67..1.25 and report that 2 already broke training.
  if (!(g.alpha > 0 && g.alpha <= 10)) r.fail(s, "alpha", fmt::format("must be in (0, 10], got {}", g.alpha));
  if (g.ranges.shift < 0 || g.ranges.shift >= 1) r.fail(s, "shift", "must be a fraction in [0, 1)");
  if (g.ranges.rotation < 0 || g.ranges.rotation > 180) r.fail(s, "rotation", "must be in [0, 180] degrees");
  if (g.ranges.shear < 0 || g.ranges.shear >= 90) r.fail(s, "shear", "must be in [0, 90) degrees");
  if (!(g.ranges.brightness >= 0 && g.ranges.brightness <= 1)) r.fail(s, "brightness", "must be a fraction in [0, 1]");
  if (!(g.ranges.contrast >= 0 && g.ranges.contrast < 1)) r.fail(s, "contrast", "must be in [0, 1)");
  if (!(g.ranges.zoom_min > 0 && g.ranges.zoom_min <= g.ranges.zoom_max)) {
    r.fail(s, "zoom_min", "needs 0 < zoom_min <= zoom_max");
  }
  require_name(r, s, "scheduler", a.scheduler, scheduler_registry().names());
  if (a.mediator_size < 1 || a.mediator_size > (1 << 20)) {
    r.fail(s, "mediator_size", fmt::format("must be in [1, 2^20], got {}", a.mediator_size));
  }
  if (a.device_scheduler_from < 0) {
    r.fail(s, "device_scheduler_from", fmt::format("must be >= 0, got {}", a.device_scheduler_from));
  }
  if (a.mediator_epochs < 1 || a.mediator_epochs > 10000) {
    r.fail(s, "mediator_epochs", fmt::format("must be in [1, 10000], got {}", a.mediator_epochs));
  }
}

// [algorithm]: the three plug-ins by name, and every parameter a registered loss, client algorithm
// or server update declares (a key none declares is unknown; each value is checked against its
// declared range).
void read_algorithm(ConfigReader& r, AlgorithmConfig& a) {
  const std::string s = "algorithm";
  r.read(s, "loss", a.loss);
  r.read(s, "client", a.client);
  r.read(s, "server", a.server);
  require_name(r, s, "loss", a.loss, loss_registry().names());
  require_name(r, s, "client", a.client, client_algorithm_registry().names());
  require_name(r, s, "server", a.server, server_update_registry().names());
  std::vector<ParamSpec> specs;
  for (const auto& e : loss_registry().entries()) specs.insert(specs.end(), e.params.begin(), e.params.end());
  for (const auto& e : client_algorithm_registry().entries()) specs.insert(specs.end(), e.params.begin(), e.params.end());
  for (const auto& e : server_update_registry().entries()) specs.insert(specs.end(), e.params.begin(), e.params.end());
  for (const ParamSpec& p : specs) {
    if (a.params.count(p.name) || !r.has(s, p.name)) continue;
    double v = 0;
    r.read(s, p.name, v);
    a.params[p.name] = v;
  }
  for (const ParamSpec& p : specs) {
    const auto it = a.params.find(p.name);
    if (it == a.params.end()) continue;
    const double v = it->second;
    const bool low_ok = p.lo_inclusive ? v >= p.lo : v > p.lo;
    if (!(low_ok && v <= p.hi)) {
      r.fail(s, p.name.c_str(),
             fmt::format("must be {} {} and <= {} ({}), got {}", p.lo_inclusive ? ">=" : ">", p.lo, p.hi, p.help, v));
    }
  }
}

void read_systems(ConfigReader& r, SystemsConfig& y) {
  const std::string s = "systems";
  r.read(s, "speed", y.speed);
  r.read(s, "speed_sigma", y.speed_sigma);
  r.read(s, "bandwidth", y.bandwidth);
  r.read(s, "bandwidth_sigma", y.bandwidth_sigma);
  r.read(s, "latency", y.latency);
  r.read(s, "availability", y.availability);
  r.read(s, "diurnal", y.diurnal);
  r.read(s, "day_rounds", y.day_rounds);
  r.read(s, "dropout", y.dropout);
  r.read(s, "deadline", y.deadline);
  r.read(s, "late", y.late);
  const auto range = [&](const char* key, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) r.fail(s, key, fmt::format("must be in [{}, {}], got {}", lo, hi, v));
  };
  range("speed", y.speed, 0, 1e12);
  range("speed_sigma", y.speed_sigma, 0, 10);
  range("bandwidth", y.bandwidth, 0, 1e12);
  range("bandwidth_sigma", y.bandwidth_sigma, 0, 10);
  range("latency", y.latency, 0, 1e6);
  if (!(y.availability > 0 && y.availability <= 1)) {
    r.fail(s, "availability", fmt::format("must be in (0, 1], got {}", y.availability));
  }
  range("diurnal", y.diurnal, 0, 0.999);
  if (y.day_rounds < 1) r.fail(s, "day_rounds", fmt::format("must be at least 1, got {}", y.day_rounds));
  range("dropout", y.dropout, 0, 0.999);
  range("deadline", y.deadline, 0, 1e12);
  require_name(r, s, "late", y.late, {"client", "mediator"});
}

// [feedback]: the loop from per-class recall into augmentation, the scheduler's target and sampling.
void read_feedback(ConfigReader& r, FeedbackConfig& f) {
  const std::string s = "feedback";
  r.read(s, "every", f.every);
  r.read(s, "source", f.source);
  r.read(s, "validation", f.validation);
  r.read(s, "beta", f.beta);
  r.read(s, "max_ratio", f.max_ratio);
  r.read(s, "smoothing", f.smoothing);
  r.read(s, "augmentation", f.augmentation);
  r.read(s, "target", f.target);
  r.read(s, "sampling", f.sampling);
  if (f.every < 0) r.fail(s, "every", fmt::format("must be >= 0 (0: no feedback), got {}", f.every));
  require_name(r, s, "source", f.source, {"server", "federated"});
  if (!(f.validation > 0 && f.validation < 1)) {
    r.fail(s, "validation", fmt::format("must be a share in (0, 1), got {}", f.validation));
  }
  if (!(f.beta >= 0 && f.beta <= 10)) r.fail(s, "beta", fmt::format("must be in [0, 10], got {}", f.beta));
  if (!(f.max_ratio >= 1 && f.max_ratio <= 1000)) {
    r.fail(s, "max_ratio", fmt::format("must be in [1, 1000], got {}", f.max_ratio));
  }
  if (!(f.smoothing > 0 && f.smoothing <= 1)) {
    r.fail(s, "smoothing", fmt::format("must be in (0, 1], got {}", f.smoothing));
  }
}

// A comma-separated list of class indices ("" for none).
std::vector<int> read_class_list(const ConfigReader& r, const std::string& section, const char* key,
                                 const std::string& text) {
  std::vector<int> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    try {
      size_t used = 0;
      const int y = std::stoi(item, &used);
      if (used != item.size() || y < 0) throw std::invalid_argument(item);
      out.push_back(y);
    } catch (const std::exception&) {
      r.fail(section, key, fmt::format("\"{}\" is not a class index (expected a list like \"3,7\")", item));
    }
    at = comma + 1;
  }
  return out;
}

// [drift]: how the clients' data and population change, and when the server replans for it.
void read_drift(ConfigReader& r, DriftConfig& d) {
  const std::string s = "drift";
  std::string emerge, fade;
  r.read(s, "every", d.every);
  r.read(s, "rotate", d.rotate);
  r.read(s, "emerge", emerge);
  r.read(s, "fade", fade);
  r.read(s, "ramp", d.ramp);
  r.read(s, "churn", d.churn);
  r.read(s, "active", d.active);
  r.read(s, "replan_kl", d.replan_kl);
  d.emerge = read_class_list(r, s, "emerge", emerge);
  d.fade = read_class_list(r, s, "fade", fade);
  if (d.every < 0) r.fail(s, "every", fmt::format("must be >= 0 (0: no drift), got {}", d.every));
  if (d.rotate < 0 || d.rotate > (1 << 16)) r.fail(s, "rotate", fmt::format("must be in [0, 65536], got {}", d.rotate));
  if (d.ramp < 1 || d.ramp > 1000000) r.fail(s, "ramp", fmt::format("must be in [1, 10^6] steps, got {}", d.ramp));
  if (!(d.churn >= 0 && d.churn <= 1)) r.fail(s, "churn", fmt::format("must be a share in [0, 1], got {}", d.churn));
  if (!(d.active > 0 && d.active <= 1)) r.fail(s, "active", fmt::format("must be a share in (0, 1], got {}", d.active));
  if (d.churn > 0 && d.active >= 1) {
    r.fail(s, "churn", "needs drift.active < 1: clients can only join from outside the active population");
  }
  if (!(d.replan_kl >= 0 && d.replan_kl <= 100)) {
    r.fail(s, "replan_kl", fmt::format("must be in [0, 100] (0: never replan), got {}", d.replan_kl));
  }
  const bool changes = d.rotate > 0 || !d.emerge.empty() || !d.fade.empty() || d.churn > 0;
  if (d.every > 0 && !changes) r.fail(s, "every", "is set but nothing drifts: set rotate, emerge, fade or churn");
}

// [classes]: the transforms augmentation may use, and a domain expert's file of per-class names,
// transforms and ratio caps (data/class_info.hpp).
void read_classes(ConfigReader& r, ExperimentConfig& c) {
  const std::string s = "classes";
  std::string transforms, file;
  r.read(s, "transforms", transforms);
  r.read(s, "file", file);
  AugmentationConfig& a = c.astraea.augmentation;
  try {
    if (!transforms.empty()) a.ops = parse_transforms(transforms, "classes.transforms");
    if (file.empty()) return;
    // A relative path that is not there from the working directory is looked up beside the config.
    const std::filesystem::path beside = std::filesystem::path(r.source()).parent_path() / file;
    if (std::filesystem::path(file).is_relative() && !std::filesystem::exists(file) && std::filesystem::exists(beside)) {
      file = beside.string();
    }
    ClassInfo info = read_class_info(file, a.ops);
    if (info.has_names) c.class_names = std::move(info.names);
    if (info.has_ops) a.class_ops = std::move(info.ops);
    if (info.has_max_ratio) a.class_max_ratio = std::move(info.max_ratio);
  } catch (const Error& e) {
    ASTRAEA_FAIL("{}: {}", r.source(), e.what());
  }
}

}  // namespace

ExperimentConfig parse_config(const std::string& text, const std::string& source,
                              const std::vector<std::string>& overrides) {
  toml::table table = parse_toml(text, source);
  apply_overrides(table, overrides);
  std::ostringstream resolved;
  resolved << table;
  ConfigReader r(std::move(table), source);
  ExperimentConfig c;
  read_experiment(r, c);
  read_data(r, c.data);
  read_partition(r, c.partition, c.seed);
  read_train(r, c.train);
  read_astraea(r, c.astraea);
  read_algorithm(r, c.algorithm);
  read_systems(r, c.systems);
  read_feedback(r, c.feedback);
  read_classes(r, c);
  read_drift(r, c.drift);
  r.finish();
  try {
    check_partition_spec(c.partition);
  } catch (const Error& e) {
    ASTRAEA_FAIL("{}: {}", source, e.what());
  }
  c.resolved_toml = resolved.str();
  return c;
}

ExperimentConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) ASTRAEA_FAIL("{}: cannot open the config file", path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, overrides);
}

}  // namespace astraea

namespace astraea {

std::string config_as_json(const ExperimentConfig& config) {
  std::ostringstream out;
  out << toml::json_formatter{toml::parse(config.resolved_toml)};
  return out.str();
}

}  // namespace astraea
