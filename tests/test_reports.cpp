// Output formats: safetensors round trip and layout, the [train] config section, the virtual
// clock's running total in rounds.jsonl across a resume.
#include <fstream>

#include "astraea/backend/backend.hpp"
#include "astraea/io/config.hpp"
#include "astraea/io/run_report.hpp"
#include "astraea/io/safetensors.hpp"
#include "astraea/nn/model.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

TEST(Safetensors, RoundTripsAModelWithPyTorchNames) {
  testing::ScratchDir dir;
  auto model = make_model("emnist_cnn", TensorShape{28, 28, 1}, 47);
  std::vector<float> params(model->num_params());
  model->init_params(params.data(), 3);
  std::vector<NamedTensor> tensors;
  for (const auto& t : model->tensors()) tensors.push_back({t.name, t.shape, params.data() + t.offset});
  write_safetensors(dir.path("m.safetensors"), tensors, {{"model", "emnist_cnn"}});
  const auto loaded = read_safetensors(dir.path("m.safetensors"));
  ASSERT_EQ(loaded.size(), model->tensors().size());
  for (const auto& t : model->tensors()) {
    const auto& l = loaded.at(t.name);
    EXPECT_EQ(l.shape, t.shape);
    EXPECT_TRUE(std::equal(l.data.begin(), l.data.end(), params.begin() + t.offset)) << t.name;
  }
  EXPECT_EQ(loaded.at("0.weight").shape, (std::vector<int64_t>{12, 1, 5, 5}));
  // The header length is little-endian and the data start 8-byte aligned.
  std::ifstream in(dir.path("m.safetensors"), std::ios::binary);
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(len[i]) << (8 * i);
  EXPECT_EQ(n % 8, 0u);
  std::string header(n, ' ');
  in.read(header.data(), static_cast<std::streamsize>(n));
  EXPECT_NE(header.find("\"__metadata__\""), std::string::npos);
  EXPECT_NE(header.find("\"F32\""), std::string::npos);
}

TEST(Safetensors, RejectsMalformedFiles) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.path("short"), {1, 2, 3});
  EXPECT_ERROR_MENTIONS(read_safetensors(dir.path("short")), dir.path("short"));
  testing::write_bytes(dir.path("long"), {255, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
  EXPECT_ERROR_MENTIONS(read_safetensors(dir.path("long")), "runs past the end");
}

TEST(Config, TrainSectionValuesAndErrors) {
  const ExperimentConfig c = parse_config("[train]\nmodel = \"emnist_cnn\"\noptimizer = \"adam\"\nlr = 1e-3\n", "t.toml",
                                          {"train.batch=50", "train.rounds=3", "train.tf32=true"});
  EXPECT_EQ(c.train.model, "emnist_cnn");
  EXPECT_TRUE(c.train.tf32);
  EXPECT_EQ(c.train.conv, "im2col");
  EXPECT_FALSE(c.train.cuda_graphs);
  EXPECT_TRUE(parse_config("[train]\ncuda_graphs = true\n", "t.toml").train.cuda_graphs);
  EXPECT_ERROR_MENTIONS(parse_config("[train]\ncuda_graphs = true\nconv = \"cudnn\"\n", "t.toml"), "train.cuda_graphs");
  EXPECT_EQ(parse_config("[train]\nconv = \"cudnn\"\n", "t.toml").train.conv, "cudnn");
  EXPECT_ERROR_MENTIONS(parse_config("[train]\nconv = \"winograd\"\n", "t.toml"), "train.conv", "im2col");
  EXPECT_FALSE(ExperimentConfig().train.tf32);
  EXPECT_FALSE(make_backend("cpu", 1)->set_tf32(true)) << "the CPU has no TF32: the request is not honoured";
  EXPECT_TRUE(make_backend("cpu", 1)->set_tf32(false));
  EXPECT_EQ(c.train.optimizer, "adam");
  EXPECT_DOUBLE_EQ(c.train.lr, 1e-3);
  EXPECT_EQ(c.train.batch, 50);
  EXPECT_EQ(c.train.rounds, 3);
  EXPECT_ERROR_MENTIONS(parse_config("[train]\nmodel = \"resnet\"\n", "t.toml"), "train.model", "mlp");
  EXPECT_ERROR_MENTIONS(parse_config("[train]\nlr = 0\n", "t.toml"), "train.lr");
  EXPECT_ERROR_MENTIONS(parse_config("[train]\nbatch = 0\n", "t.toml"), "train.batch");
  EXPECT_ERROR_MENTIONS(parse_config("[train]\noptimizer = \"rmsprop\"\n", "t.toml"), "train.optimizer");
  EXPECT_ERROR_MENTIONS(parse_config("[train]\nbackend = \"tpu\"\n", "t.toml"), "train.backend");
  EXPECT_ERROR_MENTIONS(parse_config("[train]\ntarget_accuracy = 80\n", "t.toml"), "train.target_accuracy");
  EXPECT_ERROR_MENTIONS(parse_config("[train]\nmomentum = 1.5\n", "t.toml"), "train.momentum");
}

TEST(RunReport, SimulatedTimeAddsUpAcrossAResume) {
  testing::ScratchDir dir;
  const ExperimentConfig config;
  const double round_seconds[] = {1.5, 2.25, 4.0};
  auto round = [&](int k) {
    RoundResult r;
    r.round = k;
    r.simulated_seconds = round_seconds[k - 1];
    return r;
  };
  {
    RunReport first(dir.path(""), config);
    first.add_round(round(1));
    first.add_round(round(2));
  }
  {
    RunReport resumed(dir.path(""), config, 2);
    resumed.add_round(round(3));
  }
  std::ifstream in(dir.path("rounds.jsonl"));
  std::string line;
  double total = 0;
  int lines = 0;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    total += round_seconds[lines++];
    EXPECT_EQ(j.at("simulated_seconds").get<double>(), round_seconds[lines - 1]);
    EXPECT_EQ(j.at("simulated_seconds_total").get<double>(), total);
  }
  EXPECT_EQ(lines, 3);
}

}  // namespace
}  // namespace astraea
