// The FL algorithms around local training (fl/client_algorithm.hpp, fl/server_update.hpp): the
// server optimizers against a worked two-round example, FedProx's term against finite differences,
// every degenerate setting against FedAvg bit for bit, lanes against device-style waves, and
// resuming from a checkpoint against the uninterrupted run for every method.
#include <cmath>

#include "astraea/fl/federated_run.hpp"
#include "astraea/io/checkpoint.hpp"
#include "synthetic_federation.hpp"
#include "recording_backend.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

using testing::SyntheticFederation;

// ---- server optimizers

// Reddi et al. (2021), Alg. 2 for one coordinate, in float64: the worked example's expectation.
struct ServerReference {
  std::string kind;
  double lr, momentum = 0.9, beta1 = 0.9, beta2 = 0.99, tau = 1e-3;
  double m = 0, v = 0;
  bool started = false;
  double step(double w, double d) {
    if (!started) v = tau * tau, started = true;
    if (kind == "fedavg") return w + lr * d;
    if (kind == "fedavgm") {
      m = momentum * m + d;
      return w + lr * m;
    }
    if (kind == "fedadagrad") v = v + d * d;
    if (kind == "fedyogi") v = v - (1 - beta2) * d * d * (v - d * d > 0 ? 1 : (v - d * d < 0 ? -1 : 0));
    if (kind == "fedadam") v = beta2 * v + (1 - beta2) * d * d;
    m = beta1 * m + (1 - beta1) * d;
    return w + lr * m / (std::sqrt(v) + tau);
  }
};

class ServerOptimizers : public ::testing::TestWithParam<std::string> {};

TEST_P(ServerOptimizers, TwoRoundsAsWorkedByHand) {
  const std::string kind = GetParam();
  auto be = make_backend("cpu", 1);
  const double lr = kind == "fedavg" || kind == "fedavgm" ? 0.5 : 0.01;
  auto server = make_server_update(kind, {{"server_lr", lr}}, *be, 3);
  std::vector<float> w = {1.0f, -2.0f, 0.5f};
  const std::vector<std::vector<float>> deltas = {{0.5f, -0.1f, 0.0f}, {0.2f, 0.3f, -0.4f}};
  std::vector<ServerReference> ref(3, ServerReference{kind, lr});
  std::vector<double> expected(w.begin(), w.end());
  for (const auto& d : deltas) {
    server->apply(w.data(), d.data());
    for (int j = 0; j < 3; ++j) expected[j] = ref[j].step(expected[j], d[j]);
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(w[j], expected[j], 1e-6) << kind << " coordinate " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, ServerOptimizers,
                         ::testing::Values("fedavg", "fedavgm", "fedadam", "fedyogi", "fedadagrad"));

// The first FedAdam step by hand: m = 0.1 * 0.5 = 0.05, v = 0.99 * 1e-6 + 0.01 * 0.25 = 0.00250099,
// w = 1 + 0.01 * 0.05 / (sqrt(0.00250099) + 0.001) = 1.009802019...
TEST(ServerOptimizers, FirstFedAdamStepLiterally) {
  auto be = make_backend("cpu", 1);
  auto server = make_server_update("fedadam", {}, *be, 1);
  float w = 1.0f;
  const float d = 0.5f;
  server->apply(&w, &d);
  EXPECT_NEAR(w, 1.0098020190, 1e-6);
}

// ---- FedProx's term

TEST(FedProx, GradientTermMatchesFiniteDifferences) {
  auto be = make_backend("cpu", 1);
  const int64_t P = 5;
  const double mu = 0.3;
  std::vector<float> global = {0.1f, -0.4f, 2.0f, 0.0f, -1.5f}, weights = {0.5f, -0.4f, 1.0f, 0.25f, -3.0f};
  std::vector<float> grad(P, 0.0f);
  std::vector<ReplicaStep> steps(1);
  steps[0].flags = ReplicaStep::kActive;
  be->launch(ProxGradient{grad.data(), weights.data(), global.data(), steps.data(), P, float(mu)}, 1, P);
  const auto term = [&](const std::vector<double>& w) {
    double s = 0;
    for (int64_t j = 0; j < P; ++j) s += (w[j] - global[j]) * (w[j] - global[j]);
    return 0.5 * mu * s;
  };
  for (int64_t j = 0; j < P; ++j) {
    std::vector<double> up(weights.begin(), weights.end()), down = up;
    up[j] += 1e-6;
    down[j] -= 1e-6;
    EXPECT_NEAR(grad[j], (term(up) - term(down)) / 2e-6, 1e-6) << j;
  }
  // A first step reads the global model: the term vanishes there.
  steps[0].flags |= ReplicaStep::kFromGlobal;
  std::fill(grad.begin(), grad.end(), 0.0f);
  be->launch(ProxGradient{grad.data(), weights.data(), global.data(), steps.data(), P, float(mu)}, 1, P);
  EXPECT_EQ(grad, std::vector<float>(P, 0.0f));
}

// ---- whole runs

struct Method {
  const char* name;
  AlgorithmConfig algorithm;
  bool adam = false;      // client optimizer
  bool astraea = false;   // mediators of 3 (greedy), one optimizer state along the chain
};

AlgorithmConfig algo(std::string loss, std::string client, std::string server, std::map<std::string, double> p = {}) {
  return AlgorithmConfig{std::move(loss), std::move(client), std::move(server), std::move(p)};
}

struct TrainedRun {
  std::vector<float> params;
  std::vector<RoundResult> rounds;
};

TrainConfig train_config(const Method& m, int rounds, int replicas = 0) {
  TrainConfig t;
  t.model = "mlp";
  t.optimizer = m.adam ? "adam" : "sgd";
  t.lr = m.adam ? 0.01 : 0.1;
  t.batch = 7;
  t.local_epochs = 2;
  t.rounds = rounds;
  t.clients_per_round = 6;
  t.eval_every = 0;
  t.replicas = replicas;
  t.reset_optimizer = !m.astraea;
  return t;
}

AstraeaConfig astraea_config(const Method& m) {
  AstraeaConfig a;
  if (m.astraea) {
    a.scheduler = "greedy";
    a.mediator_size = 3;
  }
  return a;
}

TrainedRun train(const SyntheticFederation& f, Backend& be, const Method& m, int rounds, int replicas = 0) {
  FederatedRun fl(train_config(m, rounds, replicas), astraea_config(m), m.algorithm, 5, f.data.train, f.data.test,
                  f.store, be);
  TrainedRun r;
  for (int round = 1; round <= rounds; ++round) r.rounds.push_back(fl.run_round(round));
  r.params = fl.global_params();
  return r;
}

// Every degenerate setting is FedAvg (or Astraea) bit for bit: the plug-ins do not disturb the loop.
TEST(Algorithms, DegenerateSettingsReproduceFedAvgBitForBit) {
  SyntheticFederation f;
  auto be = make_backend("cpu", 2);
  for (const bool astraea : {false, true}) {
    for (const bool adam : {false, true}) {
      const TrainedRun base = train(f, *be, Method{"fedavg", AlgorithmConfig{}, adam, astraea}, 3);
      const std::vector<Method> degenerate = {
          {"fedprox mu 0", algo("ce", "fedprox", "fedavg", {{"prox_mu", 0.0}}), adam, astraea},
          {"fedavgm momentum 0", algo("ce", "none", "fedavgm", {{"server_momentum", 0.0}, {"server_lr", 1.0}}), adam,
           astraea},
          {"focal gamma 0", algo("focal", "none", "fedavg", {{"focal_gamma", 0.0}}), adam, astraea},
          {"fedlc tau 0", algo("fedlc", "none", "fedavg", {{"fedlc_tau", 0.0}}), adam, astraea},
          {"fedrs alpha 1", algo("fedrs", "none", "fedavg", {{"fedrs_alpha", 1.0}}), adam, astraea},
      };
      for (const Method& m : degenerate) {
        const TrainedRun run = train(f, *be, m, 3);
        EXPECT_EQ(run.params, base.params) << m.name << (adam ? ", adam" : ", sgd") << (astraea ? ", astraea" : "");
        for (size_t r = 0; r < run.rounds.size(); ++r) EXPECT_EQ(run.rounds[r].train_loss, base.rounds[r].train_loss);
      }
      // ...and the real settings change the result.
      const TrainedRun prox = train(f, *be, Method{"fedprox", algo("ce", "fedprox", "fedavg", {{"prox_mu", 0.5}}), adam, astraea}, 3);
      EXPECT_NE(prox.params, base.params);
      const TrainedRun fedlc = train(f, *be, Method{"fedlc", algo("fedlc", "none", "fedavg"), adam, astraea}, 3);
      EXPECT_NE(fedlc.params, base.params);
    }
  }
}

double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

// The CPU lanes and the device-style waves (tiles of replicas stepping together, masked) run the
// client terms at the same points.
TEST(Algorithms, LanesAndWavesAgree) {
  SyntheticFederation f;
  auto be = make_backend("cpu", 2);
  for (const Method& m : {Method{"fedprox", algo("ce", "fedprox", "fedavg", {{"prox_mu", 0.5}})},
                          Method{"scaffold", algo("ce", "scaffold", "fedavg")},
                          Method{"fedprox astraea adam", algo("fedrs", "fedprox", "fedadam", {{"prox_mu", 0.1}}), true, true},
                          Method{"scaffold astraea", algo("fedlc", "scaffold", "fedavg"), false, true}}) {
    const TrainedRun lanes = train(f, *be, m, 3, 0);
    const TrainedRun waves = train(f, *be, m, 3, 4);
    EXPECT_LT(relative_difference(waves.params, lanes.params), 1e-5) << m.name;
  }
}

// Waves whose steps are recorded once per round and wave size and then replayed (train.cuda_graphs,
// here through a CPU stand-in that records calls) train exactly what plain waves train: everything
// that changes between steps is read from backend memory, and graphs do not outlive their round.
TEST(Graphs, ReplayedStepsTrainWhatPlainWavesTrain) {
  SyntheticFederation f;
  auto cpu = make_backend("cpu", 1);
  for (const Method& m : {Method{"fedavg", algo("ce", "none", "fedavg")},
                          Method{"fedprox adam", algo("ce", "fedprox", "fedadam", {{"prox_mu", 0.1}}), true},
                          Method{"scaffold astraea", algo("fedlc", "scaffold", "fedavg"), false, true},
                          Method{"focal astraea adam", algo("focal", "none", "fedavgm"), true, true}}) {
    const TrainedRun plain = train(f, *cpu, m, 3, 4);
    auto recording = testing::make_recording_backend();
    TrainConfig t = train_config(m, 3, 4);
    t.cuda_graphs = true;
    FederatedRun fl(t, astraea_config(m), m.algorithm, 5, f.data.train, f.data.test, f.store, *recording);
    for (int r = 1; r <= 3; ++r) EXPECT_EQ(fl.run_round(r).train_loss, plain.rounds[size_t(r - 1)].train_loss) << m.name;
    EXPECT_EQ(fl.global_params(), plain.params) << m.name;
    EXPECT_GT(recording->captures(), 0) << m.name;
    EXPECT_GT(recording->replays(), 2 * recording->captures()) << m.name << ": steps were replayed, not re-recorded";
  }
}

// Resuming from a checkpoint (global model and algorithm state, through the file) continues every
// method exactly as the uninterrupted run.
TEST(Algorithms, ResumeFromACheckpointIsExactForEveryMethod) {
  SyntheticFederation f;
  auto be = make_backend("cpu", 2);
  const std::vector<Method> methods = {
      {"fedavgm", algo("ce", "none", "fedavgm")},        {"fedadam", algo("ce", "none", "fedadam"), true},
      {"fedyogi", algo("ce", "none", "fedyogi")},        {"fedadagrad", algo("ce", "none", "fedadagrad")},
      {"scaffold", algo("ce", "scaffold", "fedavg")},    {"fedprox", algo("ce", "fedprox", "fedavg")},
      {"astraea+fedlc+fedadam", algo("fedlc", "none", "fedadam"), true, true},
      {"astraea+scaffold", algo("focal", "scaffold", "fedavgm"), false, true}};
  for (const Method& m : methods) {
    testing::ScratchDir dir;
    const TrainedRun whole = train(f, *be, m, 4);
    auto model = make_model("mlp", TensorShape{8, 8, 1}, 4);
    {
      FederatedRun first(train_config(m, 4), astraea_config(m), m.algorithm, 5, f.data.train, f.data.test, f.store, *be);
      for (int r = 1; r <= 2; ++r) first.run_round(r);
      write_checkpoint(dir.path(""), *model, Checkpoint{2, "{}", first.global_params(), first.algorithm_state()});
    }
    const Checkpoint c = read_checkpoint(dir.path(""), *model);
    FederatedRun second(train_config(m, 4), astraea_config(m), m.algorithm, 5, f.data.train, f.data.test, f.store, *be);
    second.set_global_params(c.params);
    second.restore_algorithm_state(c.state, "checkpoint");
    for (int r = 3; r <= 4; ++r) EXPECT_EQ(second.run_round(r).train_loss, whole.rounds[r - 1].train_loss) << m.name;
    EXPECT_EQ(second.global_params(), whole.params) << m.name;
    // A checkpoint without the state the method needs is an error naming it.
    if (m.algorithm.server != "fedavg" || m.algorithm.client == "scaffold") {
      EXPECT_ERROR_MENTIONS(second.restore_algorithm_state(AlgorithmState{}, "ck.safetensors"), "ck.safetensors");
    }
  }
}

TEST(Algorithms, ClearErrors) {
  SyntheticFederation f;
  auto be = make_backend("cpu", 2);
  Method adam{"scaffold with adam", algo("ce", "scaffold", "fedavg"), true};
  EXPECT_ERROR_MENTIONS(train(f, *be, adam, 1), "scaffold", "train.optimizer");
  Method tight{"scaffold over budget", algo("ce", "scaffold", "fedavg", {{"client_state_mb", 0.01}})};
  EXPECT_ERROR_MENTIONS(train(f, *be, tight, 1), "algorithm.client_state_mb", "MB");
  EXPECT_ERROR_MENTIONS(train(f, *be, Method{"x", algo("ce", "ditto", "fedavg")}, 1), "algorithm.client", "scaffold");
  EXPECT_ERROR_MENTIONS(train(f, *be, Method{"x", algo("ce", "none", "fedsgd")}, 1), "algorithm.server", "fedyogi");
}

}  // namespace
}  // namespace astraea
