// Hostile and careless input, and faults while writing: each a clear error naming the file or key,
// or a safe recovery. Every crafted file here once crashed the program or lost a run's work.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "astraea/data/readers.hpp"
#include "astraea/experiment/experiment.hpp"
#include "astraea/io/checkpoint.hpp"
#include "astraea/io/config.hpp"
#include "astraea/io/output_file.hpp"
#include "astraea/io/safetensors.hpp"
#include "astraea/nn/model.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

using testing::ScratchDir;
using testing::write_bytes;
using testing::write_gzip;

void put_be32(std::vector<uint8_t>& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

std::vector<uint8_t> header(std::initializer_list<uint32_t> dims) {
  std::vector<uint8_t> b = {0, 0, 8, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) put_be32(b, d);
  return b;
}

// 4 x 2^31 x 2^31 images in a 16-byte file: dimensions past INT_MAX and a product past 2^64.
TEST(Robustness, IdxDimensionsThatOverflow) {
  ScratchDir dir;
  write_bytes(dir.path("l"), header({4}));
  write_bytes(dir.path("huge"), header({4, 1u << 31, 1u << 31}));
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("huge"), dir.path("l")), dir.path("huge"), "dimension");
  write_bytes(dir.path("wide"), header({0x7fffffff, 0x7fffffff, 0x7fffffff}));
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("wide"), dir.path("l")), dir.path("wide"));
  write_bytes(dir.path("big"), header({4, 60000, 60000}));  // 14 GB promised by a 16-byte file
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("big"), dir.path("l")), dir.path("big"));
}

// A small gzip file that inflates far past what its IDX header promises is refused after the
// promised bytes, not after inflating everything.
TEST(Robustness, GzipInflatesOnlyAsFarAsTheHeaderPromises) {
  ScratchDir dir;
  std::vector<uint8_t> bomb = header({2, 2, 2});
  bomb.resize(bomb.size() + (64u << 20), 0);  // 64 MiB of zeros: ~64 KB compressed
  write_gzip(dir.path("bomb.gz"), bomb);
  std::vector<uint8_t> labels = header({2});
  labels.push_back(0);
  labels.push_back(1);
  write_bytes(dir.path("l"), labels);
  EXPECT_LT(std::filesystem::file_size(dir.path("bomb.gz")), 1u << 20);
  EXPECT_ERROR_MENTIONS(read_idx(dir.path("bomb.gz"), dir.path("l")), dir.path("bomb.gz"), "unexpected bytes");
  EXPECT_ERROR_MENTIONS(read_idx(dir.path(""), dir.path("l")), "a directory");
}

std::string safetensors_file(const std::string& header_json, size_t data_bytes) {
  std::string text = header_json;
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(uint64_t(text.size()) >> (8 * i));
  return out + text + std::string(data_bytes, '\0');
}

TEST(Robustness, SafetensorsOffsetsThatOverflow) {
  ScratchDir dir;
  const auto check = [&](const std::string& name, const std::string& json) {
    const std::string bytes = safetensors_file(json, 16);
    write_bytes(dir.path(name), std::vector<uint8_t>(bytes.begin(), bytes.end()));
    EXPECT_ERROR_MENTIONS(read_safetensors(dir.path(name)), dir.path(name), "t");
  };
  check("near_2_64", R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[18446744073709551600,0]}})");
  check("wrapping", R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[18446744073709551615,15]}})");
  check("past_end", R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})");
  check("negative_dim", R"({"t":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})");
  check("count_overflow", R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})");
  check("wrong_type", R"({"t":{"dtype":"F32","shape":"four","data_offsets":[0,16]}})");
  // A zero-size tensor is fine.
  const std::string empty = safetensors_file(R"({"t":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}})", 0);
  write_bytes(dir.path("empty"), std::vector<uint8_t>(empty.begin(), empty.end()));
  EXPECT_EQ(read_safetensors(dir.path("empty")).at("t").data.size(), 0u);
}

TEST(Robustness, CheckpointsWithNonFiniteWeightsAreRefused) {
  ScratchDir dir;
  auto model = make_model("logreg", TensorShape{4, 4, 1}, 3);
  Checkpoint c{3, "{}", std::vector<float>(model->num_params(), 0.5f), {}};
  c.params[7] = std::nanf("");
  write_checkpoint(dir.path(""), *model, c);
  EXPECT_ERROR_MENTIONS(read_checkpoint(dir.path(""), *model), "checkpoint.safetensors", "NaN");
}

TEST(Robustness, DeeplyNestedTomlIsRefusedBeforeParsing) {
  std::string deep_header = "[a";
  for (int i = 0; i < 100000; ++i) deep_header += ".a";
  EXPECT_ERROR_MENTIONS(parse_config(deep_header + "]\n", "deep.toml"), "deep.toml:1", "dotted");
  EXPECT_ERROR_MENTIONS(parse_config("x = " + std::string(100000, '[') + std::string(100000, ']') + "\n", "arr.toml"),
                        "arr.toml:1", "nested");
  EXPECT_ERROR_MENTIONS(parse_config("", "s.toml", {"train.lr=" + std::string(1000, '{')}), "--set", "nested");
  EXPECT_ERROR_MENTIONS(parse_config(std::string(2 << 20, '#'), "big.toml"), "big.toml", "bytes");
  // Strings may hold brackets and dots freely; numbers their decimal points.
  const ExperimentConfig c =
      parse_config("[experiment]\nname = \"[[[[....]]]]" + std::string(100, '.') + "\"\n[train]\nlr = 0.5\n", "ok.toml");
  EXPECT_EQ(c.train.lr, 0.5);
}

TEST(Robustness, AbsurdValuesAreErrorsNamingTheKey) {
  const auto bad = [](const std::string& set, const std::string& key) {
    EXPECT_ERROR_MENTIONS(parse_config("", "c.toml", {set}), key);
  };
  bad("partition.sizes=\"lognormal:1000\"", "partition.sizes");
  bad("partition.sizes=\"lognormal:inf\"", "partition.sizes");
  bad("partition.method=\"dirichlet:1e300\"", "partition.method");
  bad("astraea.alpha=1e300", "astraea.alpha");
  bad("partition.min_client_size=4611686018427387904", "partition.min_client_size");
  bad("partition.clients=4611686018427387904", "partition.clients");
  bad("data.classes=100000000", "data.classes");
  bad("train.batch=100000000", "train.batch");
  bad("train.eval_batch=100000000", "train.eval_batch");
  bad("train.replicas=100000000", "train.replicas");
  bad("train.local_epochs=100000000", "train.local_epochs");
  bad("data.train_samples=100000000000", "data.train_samples");
  bad("data.height=100000", "data.height");
  bad("train.lr=nan", "train.lr");
}

TEST(Robustness, AtomicFilesLeaveTheOldOrTheNew) {
  ScratchDir dir;
  const std::string path = dir.path("f.txt");
  write_file_atomically(path, "old");
  {
    AtomicFile f(path);
    f.write("half-written new con");
    // destroyed without commit: as if the process had died mid-write
  }
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "old");
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  EXPECT_ERROR_MENTIONS(write_file_atomically(dir.path("no/such/dir/f"), "x"), "no/such/dir/f", "cannot write");
}

TEST(Robustness, ASecondRunIntoTheSameDirectoryIsRefused) {
  ScratchDir dir;
  DirectoryLock first(dir.path(""));
  EXPECT_ERROR_MENTIONS(DirectoryLock(dir.path("")), "another run is writing this directory",
                        std::to_string(::getpid()));
}

ExperimentConfig synthetic_config(const std::vector<std::string>& more) {
  std::vector<std::string> o = {"data.format=synthetic", "data.height=8",       "data.width=8",
                                "data.train_samples=400", "data.test_samples=100", "data.classes=4",
                                "partition.clients=12",   "train.clients_per_round=6", "train.rounds=4",
                                "train.threads=2",        "train.checkpoint_every=1"};
  o.insert(o.end(), more.begin(), more.end());
  return parse_config("", "robust.toml", o);
}

// A learning rate that makes the loss NaN stops the run at that round, names it, keeps the last good
// model (here the initial one) and says so in summary.json.
TEST(Robustness, DivergenceIsReportedWithItsRound) {
  ScratchDir dir;
  const ExperimentConfig config = synthetic_config({"train.lr=1e5"});
  Experiment experiment(config);
  RunOptions o;
  o.out = dir.path("run");
  o.stop_on_signal = false;
  const RunOutcome out = experiment.run(o);
  EXPECT_EQ(out.diverged_round, 1);
  EXPECT_NE(out.diverged.find("round 1"), std::string::npos) << out.diverged;
  EXPECT_NE(out.diverged.find("train.lr"), std::string::npos) << out.diverged;
  std::ifstream in(dir.path("run/summary.json"));
  const nlohmann::json s = nlohmann::json::parse(in);
  EXPECT_EQ(s["diverged"]["round"], 1);
  auto model = make_model("mlp", TensorShape{8, 8, 1}, 4);
  const auto weights = read_safetensors(dir.path("run/model.safetensors"));
  for (const auto& [name, t] : weights)
    for (float v : t.data) ASSERT_TRUE(std::isfinite(v)) << name;
}

}  // namespace
}  // namespace astraea
