// Experiment configs: defaults, overrides, and errors that name the key.
#include "astraea/io/config.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

TEST(Config, ReadsKeysAndAppliesOverrides) {
  const std::string text = R"(
[experiment]
name = "t"
seed = 5
[data]
format = "synthetic"
train_samples = 1e3
[partition]
clients = 20
global = "zipf:1.2"
)";
  const ExperimentConfig c = parse_config(text, "t.toml", {"partition.clients=30", "partition.sizes=lognormal:0.5",
                                                             "data.noise=0.25"});
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.seed, 5u);
  EXPECT_EQ(c.partition.seed, 5u);  // inherits the experiment seed
  EXPECT_EQ(c.data.format, "synthetic");
  EXPECT_EQ(c.data.synthetic.train_samples, 1000);
  EXPECT_FLOAT_EQ(c.data.synthetic.noise, 0.25f);
  EXPECT_EQ(c.partition.clients, 30);
  EXPECT_EQ(c.partition.sizes, "lognormal:0.5");
  EXPECT_EQ(c.partition.global, "zipf:1.2");
  EXPECT_NE(c.resolved_toml.find("lognormal:0.5"), std::string::npos);
}

TEST(Config, UnknownKeysAreErrorsNamingThem) {
  EXPECT_ERROR_MENTIONS(parse_config("[partition]\nclientz = 3\n", "x.toml"), "x.toml", "partition.clientz");
  EXPECT_ERROR_MENTIONS(parse_config("[partitoin]\nclients = 3\n", "x.toml"), "partitoin.clients");
  EXPECT_ERROR_MENTIONS(parse_config("", "x.toml", {"train.nope=1"}), "train.nope");
  EXPECT_ERROR_MENTIONS(parse_config("seed = 1\n", "x.toml"), "top-level");
}

TEST(Config, BadValuesAreErrorsNamingTheKey) {
  EXPECT_ERROR_MENTIONS(parse_config("[partition]\nclients = -3\n", "x.toml"), "x.toml", "partition.clients");
  EXPECT_ERROR_MENTIONS(parse_config("[partition]\nclients = \"many\"\n", "x.toml"), "partition.clients",
                        "expected an integer");
  EXPECT_ERROR_MENTIONS(parse_config("[partition]\nclients = 2.5\n", "x.toml"), "partition.clients");
  EXPECT_ERROR_MENTIONS(parse_config("[partition]\nglobal = \"zipf:abc\"\n", "x.toml"), "partition.global");
  EXPECT_ERROR_MENTIONS(parse_config("[partition]\nglobal = \"weird\"\n", "x.toml"), "partition.global", "unknown");
  EXPECT_ERROR_MENTIONS(parse_config("[data]\nformat = \"png\"\n", "x.toml"), "data.format");
  EXPECT_ERROR_MENTIONS(parse_config("[astraea]\ndevice_scheduler_from = -1\n", "x.toml"), "astraea.device_scheduler_from");
  EXPECT_ERROR_MENTIONS(parse_config("[data\nformat = 1\n", "x.toml"), "x.toml:1", "syntax");
  EXPECT_ERROR_MENTIONS(parse_config("", "x.toml", {"partition.clients"}), "--set", "section.key=value");
  EXPECT_ERROR_MENTIONS(load_config("/nonexistent/c.toml"), "/nonexistent/c.toml", "cannot open");
}

}  // namespace
}  // namespace astraea
