// SCAFFOLD (option II) against a plain-loop reference written from the paper on a tiny problem
// (multinomial logistic regression, float64), and its point: on clients with disjoint labels it
// reaches a training loss FedAvg does not in the same rounds.
#include <cmath>
#include <map>

#include "astraea/fl/federated_run.hpp"
#include "synthetic_federation.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

using testing::SyntheticFederation;

// One client's minibatch gradient of the mean cross-entropy of logreg (W [classes x features] then b).
void logreg_gradient(const std::vector<double>& w, const TrainTest& data, const int32_t* ids, int64_t rows,
                     int classes, std::vector<double>& g) {
  const int features = data.train.height * data.train.width;
  std::fill(g.begin(), g.end(), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* img = data.train.images.data() + int64_t(ids[r]) * features;
    std::vector<double> z(classes);
    for (int o = 0; o < classes; ++o) {
      z[o] = w[size_t(classes) * features + o];
      for (int i = 0; i < features; ++i) z[o] += w[size_t(o) * features + i] * (img[i] / 255.0);
    }
    double top = z[0], sum = 0;
    for (double v : z) top = std::max(top, v);
    for (double v : z) sum += std::exp(v - top);
    for (int o = 0; o < classes; ++o) {
      const double d = (std::exp(z[o] - top) / sum - (o == data.train.labels[ids[r]] ? 1.0 : 0.0)) / rows;
      for (int i = 0; i < features; ++i) g[size_t(o) * features + i] += d * (img[i] / 255.0);
      g[size_t(classes) * features + o] += d;
    }
  }
}

TEST(Scaffold, MatchesAPlainLoopReference) {
  SyntheticFederation f(4, 3, 120, 6, "dirichlet:0.3");
  TrainConfig t;
  t.model = "logreg";
  t.optimizer = "sgd";
  t.lr = 0.3;
  t.batch = 5;
  t.local_epochs = 2;
  t.rounds = 3;
  t.clients_per_round = 3;
  t.eval_every = 0;
  const uint64_t seed = 5;
  auto be = make_backend("cpu", 2);
  AlgorithmConfig a;
  a.client = "scaffold";
  FederatedRun fl(t, AstraeaConfig{}, a, seed, f.data.train, f.data.test, f.store, *be);
  std::vector<float> init = fl.global_params();

  // The reference: Karimireddy et al. (2020), Alg. 1 with option II, server rate 1, updates
  // weighted by client size.
  const int classes = 3;
  const int64_t P = int64_t(init.size()), N = f.store.num_clients();
  std::vector<double> x(init.begin(), init.end()), c(P, 0.0), g(P);
  std::map<int64_t, std::vector<double>> ci;
  LocalTraining local;
  local.batch = t.batch;
  local.local_epochs = t.local_epochs;
  for (int round = 1; round <= t.rounds; ++round) {
    fl.run_round(round);
    const std::vector<int64_t> online = sample_clients(N, t.clients_per_round, seed, uint32_t(round));
    int64_t n = 0;
    for (int64_t k : online) n += f.store.size(k);
    std::vector<double> delta(P, 0.0), delta_c(P, 0.0);
    for (size_t m = 0; m < online.size(); ++m) {
      const int64_t k = online[m];
      const StepPlan plan = make_step_plan(f.store, {k}, local, seed, uint32_t(round), uint32_t(m));
      std::vector<double>& own = ci.try_emplace(k, std::vector<double>(P, 0.0)).first->second;
      std::vector<double> y = x;
      for (int64_t s = 0; s < plan.steps(); ++s) {
        logreg_gradient(y, f.data, plan.step_samples(s), plan.rows(s), classes, g);
        for (int64_t j = 0; j < P; ++j) y[j] -= t.lr * (g[j] + c[j] - own[j]);
      }
      for (int64_t j = 0; j < P; ++j) {
        const double updated = own[j] - c[j] + (x[j] - y[j]) / (plan.steps() * t.lr);
        delta_c[j] += updated - own[j];
        own[j] = updated;
        delta[j] += double(f.store.size(k)) / n * (y[j] - x[j]);
      }
    }
    for (int64_t j = 0; j < P; ++j) {
      x[j] += delta[j];
      c[j] += delta_c[j] / N;
    }
  }
  const std::vector<float> got = fl.global_params();
  const AlgorithmState state = fl.algorithm_state();
  const StateTensor* control = state.find("scaffold/control");
  ASSERT_NE(control, nullptr);
  double moved = 0;
  for (int64_t j = 0; j < P; ++j) {
    EXPECT_NEAR(got[j], x[j], 1e-5 + 1e-4 * std::fabs(x[j])) << "weight " << j;
    EXPECT_NEAR(control->data[j], c[j], 1e-5 + 1e-3 * std::fabs(c[j])) << "control " << j;
    moved += std::fabs(c[j]);
  }
  EXPECT_GT(moved, 1e-3);  // the control variate did move
}

// Four clients, each holding a single class, many local steps: FedAvg's clients drift to their own
// class and the average stalls; SCAFFOLD's corrections let the same rounds reach a lower loss.
TEST(Scaffold, ReachesALossFedAvgDoesNotOnDisjointClients) {
  SyntheticFederation f(6, 4, 800, 4, "shards:1", 8);
  TrainConfig t;
  t.model = "logreg";
  t.optimizer = "sgd";
  t.lr = 0.5;
  t.batch = 10;
  t.local_epochs = 5;
  t.rounds = 15;
  t.clients_per_round = 4;
  t.eval_every = 0;
  auto be = make_backend("cpu", 2);
  const auto final_loss = [&](const std::string& client) {
    AlgorithmConfig a;
    a.client = client;
    FederatedRun fl(t, AstraeaConfig{}, a, 3, f.data.train, f.data.test, f.store, *be);
    RoundResult r;
    for (int round = 1; round <= t.rounds; ++round) r = fl.run_round(round);
    return r.test.loss;
  };
  const double fedavg = final_loss("none"), scaffold = final_loss("scaffold");
  std::printf("test loss after %d rounds: FedAvg %.4f, SCAFFOLD %.4f\n", t.rounds, fedavg, scaffold);
  EXPECT_LT(scaffold, 0.8 * fedavg);
}

}  // namespace
}  // namespace astraea
