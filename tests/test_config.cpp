// Experiment configs: defaults, overrides, and errors that name the key.
#include <fstream>

#include "astraea/data/class_info.hpp"
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
  EXPECT_ERROR_MENTIONS(parse_config("[astraea]\nbalance_worst_ratio = 0.5\n", "x.toml"), "astraea.balance_worst_ratio");
  EXPECT_ERROR_MENTIONS(parse_config("[astraea]\nbalance = \"max\"\nbalance_worst_ratio = 2.0\n", "x.toml"),
                        "astraea.balance_worst_ratio");
  EXPECT_EQ(parse_config("[astraea]\nbalance_worst_ratio = 2.0\n", "x.toml").astraea.balance_worst_ratio, 2.0);
  EXPECT_ERROR_MENTIONS(parse_config("[data\nformat = 1\n", "x.toml"), "x.toml:1", "syntax");
  EXPECT_ERROR_MENTIONS(parse_config("", "x.toml", {"partition.clients"}), "--set", "section.key=value");
  EXPECT_ERROR_MENTIONS(load_config("/nonexistent/c.toml"), "/nonexistent/c.toml", "cannot open");
}

// [algorithm]: plug-ins by name, each parameter declared by some plug-in and within its range.
TEST(Config, AlgorithmSection) {
  const ExperimentConfig c = parse_config("[algorithm]\nloss = \"fedlc\"\nserver = \"fedadam\"\nserver_lr = 0.03\n",
                                          "a.toml", {"algorithm.client=fedprox", "algorithm.prox_mu=0.1"});
  EXPECT_EQ(c.algorithm.loss, "fedlc");
  EXPECT_EQ(c.algorithm.client, "fedprox");
  EXPECT_EQ(c.algorithm.server, "fedadam");
  EXPECT_DOUBLE_EQ(c.algorithm.params.at("server_lr"), 0.03);
  EXPECT_DOUBLE_EQ(c.algorithm.params.at("prox_mu"), 0.1);
  EXPECT_EQ(c.algorithm.params.count("fedlc_tau"), 0u);  // unset: the plug-in's default applies
  const AlgorithmConfig fedavg = parse_config("", "a.toml").algorithm;
  EXPECT_EQ(fedavg.loss + fedavg.client + fedavg.server, "cenonefedavg");
  EXPECT_ERROR_MENTIONS(parse_config("[algorithm]\nloss = \"dice\"\n", "a.toml"), "a.toml", "algorithm.loss", "fedrs");
  EXPECT_ERROR_MENTIONS(parse_config("[algorithm]\nclient = \"ditto\"\n", "a.toml"), "algorithm.client", "scaffold");
  EXPECT_ERROR_MENTIONS(parse_config("[algorithm]\nserver = \"sgd\"\n", "a.toml"), "algorithm.server", "fedyogi");
  EXPECT_ERROR_MENTIONS(parse_config("[algorithm]\nprox_muu = 1\n", "a.toml"), "algorithm.prox_muu");
  EXPECT_ERROR_MENTIONS(parse_config("[algorithm]\nfedrs_alpha = 1.5\n", "a.toml"), "algorithm.fedrs_alpha", "<= 1");
  EXPECT_ERROR_MENTIONS(parse_config("[algorithm]\nserver_lr = 0\n", "a.toml"), "algorithm.server_lr", "> 0");
  EXPECT_ERROR_MENTIONS(parse_config("[algorithm]\nfocal_gamma = \"two\"\n", "a.toml"), "algorithm.focal_gamma");
}

// [systems] and [feedback]: read, and every bad value an error naming its key.
TEST(Config, SystemsAndFeedbackSections) {
  const ExperimentConfig c = parse_config(
      "[systems]\nspeed = 20\ndeadline = 30\nlate = \"mediator\"\n[feedback]\nevery = 5\nsource = \"federated\"\n"
      "sampling = true\n[astraea]\ntarget = \"1,2,3\"\n",
      "s.toml");
  EXPECT_EQ(c.systems.speed, 20.0);
  EXPECT_EQ(c.systems.late, "mediator");
  EXPECT_EQ(c.feedback.every, 5);
  EXPECT_EQ(c.feedback.source, "federated");
  EXPECT_TRUE(c.feedback.sampling && c.feedback.augmentation && c.feedback.target);
  EXPECT_EQ(c.astraea.target, "1,2,3");
  EXPECT_FALSE(parse_config("", "s.toml").feedback.active());
  EXPECT_ERROR_MENTIONS(parse_config("[systems]\navailability = 0\n", "s.toml"), "s.toml", "systems.availability");
  EXPECT_ERROR_MENTIONS(parse_config("[systems]\nlate = \"never\"\n", "s.toml"), "systems.late");
  EXPECT_ERROR_MENTIONS(parse_config("[feedback]\nsource = \"oracle\"\n", "s.toml"), "feedback.source");
  EXPECT_ERROR_MENTIONS(parse_config("[feedback]\nvalidation = 1\n", "s.toml"), "feedback.validation");
  EXPECT_ERROR_MENTIONS(parse_config("[feedback]\nmax_ratio = 0.5\n", "s.toml"), "feedback.max_ratio");
  EXPECT_ERROR_MENTIONS(parse_config("[feedback]\nsmoothing = 0\n", "s.toml"), "feedback.smoothing");
}

// [classes]: default transforms and a domain expert's per-class file.
TEST(Config, ClassesSection) {
  testing::ScratchDir dir;
  const std::string csv = dir.path("classes.csv");
  {
    std::ofstream f(csv);
    f << "class,name,transforms,max_ratio\n0,T-shirt/top,flip|brightness,\n2,Pullover,,3.5\n";
  }
  const ExperimentConfig c =
      parse_config("[classes]\ntransforms = \"shift,zoom\"\nfile = \"" + csv + "\"\n", "c.toml");
  const AugmentationConfig& a = c.astraea.augmentation;
  EXPECT_EQ(c.class_names, (std::vector<std::string>{"T-shirt/top", "", "Pullover"}));
  EXPECT_EQ(a.ops, parse_transforms("shift,zoom", "k"));
  EXPECT_EQ(a.ops_of(0), parse_transforms("flip,brightness", "k"));
  EXPECT_EQ(a.ops_of(1), a.ops);  // not listed: the default
  EXPECT_EQ(a.ops_of(2), a.ops);  // listed without transforms: the default
  EXPECT_EQ(a.ops_of(9), a.ops);
  EXPECT_EQ(a.class_max_ratio, (std::vector<double>{0, 0, 3.5}));
  EXPECT_EQ(class_label(c.class_names, 0), "T-shirt/top");
  EXPECT_EQ(class_label(c.class_names, 1), "1");
  const auto bad = [&](const std::string& text) {
    std::ofstream(dir.path("bad.csv")) << text;
    return parse_config("[classes]\nfile = \"" + dir.path("bad.csv") + "\"\n", "c.toml");
  };
  EXPECT_ERROR_MENTIONS(bad("name,transforms\nx,flip\n"), "c.toml", "classes.file", "no \"class\" column");
  EXPECT_ERROR_MENTIONS(bad("class,colour\n0,red\n"), "classes.file", "unknown column \"colour\"");
  EXPECT_ERROR_MENTIONS(bad("class,name\n0,a\n0,b\n"), "line 3", "listed twice");
  EXPECT_ERROR_MENTIONS(bad("class,name\nzero,a\n"), "line 2", "\"zero\"");
  EXPECT_ERROR_MENTIONS(bad("class,transforms\n1,spin\n"), "line 2", "spin");
  EXPECT_ERROR_MENTIONS(bad("class,max_ratio\n1,-2\n"), "line 2", "max_ratio");
  EXPECT_ERROR_MENTIONS(bad("class,name\n1,a,b\n"), "line 2", "3 fields");
  EXPECT_ERROR_MENTIONS(bad("class,name\n"), "lists no class");
  EXPECT_ERROR_MENTIONS(parse_config("[classes]\nfile = \"/nonexistent.csv\"\n", "c.toml"), "/nonexistent.csv",
                        "cannot open");
  EXPECT_ERROR_MENTIONS(parse_config("[classes]\ntransforms = \"twirl\"\n", "c.toml"), "classes.transforms", "twirl");
}

}  // namespace
}  // namespace astraea
