#include "astraea/io/config.hpp"

#include <fstream>
#include <sstream>

#include "astraea/core/error.hpp"
#include "config_reader.hpp"

namespace astraea {
namespace {

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
  if (d.classes < 0) r.fail("data", "classes", fmt::format("must be >= 0 (0 = infer), got {}", d.classes));
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
