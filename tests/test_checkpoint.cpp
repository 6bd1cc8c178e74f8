// Checkpoint and resume: the file round trip and its errors, the config check, rounds.jsonl kept
// up to the checkpoint, and a resumed run against an uninterrupted one.
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "astraea/backend/backend.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/data/synthetic.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/io/checkpoint.hpp"
#include "astraea/io/config.hpp"
#include "astraea/io/run_report.hpp"
#include "astraea/io/safetensors.hpp"
#include "synthetic_federation.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(Checkpoint, RoundTripsAndRejectsWhatIsNotOne) {
  testing::ScratchDir dir;
  auto model = make_model("emnist_cnn", TensorShape{28, 28, 1}, 10);
  Checkpoint c{7, "{\"seed\":1}", std::vector<float>(model->num_params()), {}};
  model->init_params(c.params.data(), 4);
  write_checkpoint(dir.path(""), *model, c);
  const Checkpoint back = read_checkpoint(dir.path(""), *model);
  EXPECT_EQ(back.round, 7);
  EXPECT_EQ(back.config_json, c.config_json);
  EXPECT_EQ(back.params, c.params);

  auto other = make_model("mlp", TensorShape{28, 28, 1}, 10);
  EXPECT_ERROR_MENTIONS(read_checkpoint(dir.path(""), *other), "checkpoint.safetensors", "emnist_cnn", "mlp");
  auto wider = make_model("emnist_cnn", TensorShape{28, 28, 1}, 47);
  EXPECT_ERROR_MENTIONS(read_checkpoint(dir.path(""), *wider), "wrong shape");
  // A model file is not a checkpoint.
  std::vector<NamedTensor> tensors;
  for (const auto& t : model->tensors()) tensors.push_back({t.name, t.shape, c.params.data() + t.offset});
  write_safetensors(dir.path("checkpoint.safetensors"), tensors, {{"model", "emnist_cnn"}});
  EXPECT_ERROR_MENTIONS(read_checkpoint(dir.path(""), *model), "not a checkpoint");
  testing::ScratchDir empty;
  EXPECT_ERROR_MENTIONS(read_checkpoint(empty.path(""), *model), "checkpoint.safetensors", "cannot open");
}

TEST(Checkpoint, ConfigDifferencesIgnoreOnlyHowARunExecutes) {
  const auto json = [](const std::vector<std::string>& overrides) {
    return config_as_json(parse_config("[experiment]\nseed = 3\n[train]\nlr = 0.1\nrounds = 5\n", "c.toml", overrides));
  };
  const std::string base = json({});
  EXPECT_TRUE(config_differences(base, json({"train.rounds=50", "train.threads=1", "train.backend=cpu", "train.cuda_graphs=true"})).empty());
  EXPECT_EQ(config_differences(base, json({"train.tf32=true"})), std::vector<std::string>{"train.tf32"});
  EXPECT_EQ(config_differences(base, json({"train.lr=0.2"})), std::vector<std::string>{"train.lr"});
  EXPECT_EQ(config_differences(base, json({"astraea.scheduler=greedy"})), std::vector<std::string>{"astraea.scheduler"});
  EXPECT_EQ(config_differences(json({"train.batch=5"}), base), std::vector<std::string>{"train.batch"});
  EXPECT_ERROR_MENTIONS(config_differences("{", base), "checkpoint", "bad config");
}

RoundResult fake_round(int round, double accuracy) {
  RoundResult r;
  r.round = round;
  r.train_loss = 1.0 / round;
  r.evaluated = accuracy > 0;
  r.test.accuracy = accuracy;
  r.test.f1 = r.test.recall = r.test.precision = {0.5, 0.25};
  r.clients = 10;
  r.mediators = 2;
  r.mediator_sizes = {5, 5};
  r.bytes_mediator_server = 100 * round;
  r.seconds = 0.5;
  return r;
}

TEST(RunReport, ResumingKeepsTheRoundsUpToTheCheckpoint) {
  testing::ScratchDir dir;
  const ExperimentConfig config = parse_config("", "c.toml");
  const auto model = make_model("logreg", TensorShape{2, 2, 1}, 2);
  const std::string path = dir.path("rounds.jsonl");
  {
    RunReport report(dir.path(""), config);
    report.add_round(fake_round(1, 0.4));
    report.add_round(fake_round(2, 0.9));
    report.add_round(fake_round(3, 0.5));  // past the checkpoint: redone on resume
  }
  const std::vector<std::string> before = lines_of(path);
  ASSERT_EQ(before.size(), 3u);
  EXPECT_EQ(round_to_json(round_from_json(nlohmann::json::parse(before[1]))).dump(), before[1]);
  {
    RunReport report(dir.path(""), config, 2);
    report.add_round(fake_round(3, 0.6));
    report.write_summary(*model, "cpu");
  }
  const std::vector<std::string> after = lines_of(path);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_EQ(after[1], before[1]);
  EXPECT_EQ(nlohmann::json::parse(after[2])["test_accuracy"], 0.6);
  std::ifstream in(dir.path("summary.json"));
  const nlohmann::json summary = nlohmann::json::parse(in);
  EXPECT_EQ(summary["rounds"], 3);
  EXPECT_EQ(summary["best_accuracy"], 0.9);  // from a restored round
  EXPECT_EQ(summary["final_accuracy"], 0.6);
  EXPECT_EQ(summary["bytes_mediator_server"], 600);

  EXPECT_ERROR_MENTIONS(RunReport(dir.path(""), config, 5), "rounds.jsonl", "holds 3 rounds", "after round 5");
  std::ofstream(path) << before[0] << "\n{\"round\": 2}\n";
  EXPECT_ERROR_MENTIONS(RunReport(dir.path(""), config, 2), "rounds.jsonl:2");
  std::ofstream(path) << before[1] << "\n";
  EXPECT_ERROR_MENTIONS(RunReport(dir.path(""), config, 1), "rounds.jsonl:1", "round 2 where round 1");
}

// Everything but the global model is a function of (config, seed, round): a run resumed from the
// parameters after round 2 makes the uninterrupted run's rounds 3 and 4, bit for bit. Astraea with
// augmentation, the greedy, mediator chains and dropout (emnist_cnn) exercises every stream.
TEST(FederatedRun, ResumedFromAGlobalModelEqualsTheUninterruptedRun) {
  testing::FederationSpec spec;
  spec.side = 28;
  spec.train_samples = 600;
  spec.data_seed = 8;
  spec.clients = 24;
  spec.method = "astraea";
  spec.global = "zipf:1.0";
  spec.partition_seed = 1;
  const testing::SyntheticFederation f(spec);
  const TrainTest& data = f.data;
  const ClientStore& store = f.store;
  TrainConfig c;
  c.model = "emnist_cnn";
  c.rounds = 4;
  c.clients_per_round = 12;
  c.eval_every = 1;
  AstraeaConfig a;
  a.augmentation.method = "zscore";
  a.scheduler = "greedy";
  a.mediator_size = 3;
  auto be = make_backend("cpu", 2);
  FederatedRun whole(c, a, {}, 9, data.train, data.test, store, *be);
  FederatedRun first(c, a, {}, 9, data.train, data.test, store, *be);
  std::vector<RoundResult> expected;
  for (int r = 1; r <= 4; ++r) expected.push_back(whole.run_round(r));
  for (int r = 1; r <= 2; ++r) ASSERT_EQ(first.run_round(r).train_loss, expected[r - 1].train_loss);
  FederatedRun second(c, a, {}, 9, data.train, data.test, store, *be);
  second.set_global_params(first.global_params());
  for (int r = 3; r <= 4; ++r) {
    const RoundResult got = second.run_round(r);
    EXPECT_EQ(got.train_loss, expected[r - 1].train_loss) << "round " << r;
    EXPECT_EQ(got.test.accuracy, expected[r - 1].test.accuracy) << "round " << r;
    EXPECT_EQ(got.mediator_sizes, expected[r - 1].mediator_sizes) << "round " << r;
  }
  EXPECT_EQ(second.global_params(), whole.global_params());
  EXPECT_NE(second.global_params(), first.global_params());  // rounds 3 and 4 did train
}

}  // namespace
}  // namespace astraea
