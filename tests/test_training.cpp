// The trainer: step plans, the two schedules (lanes and tiles) against each other, the fused SGD
// path against the generic update, mediator chains against sequential training, and FedAvg end to
// end on a synthetic set.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "astraea/data/partition.hpp"
#include "astraea/data/synthetic.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/fl/replica_trainer.hpp"
#include "synthetic_federation.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

struct Fixture : testing::SyntheticFederation {
  Fixture() : SyntheticFederation(spec()) {}
  static testing::FederationSpec spec() {
    testing::FederationSpec f;
    f.partition_seed = 2;
    return f;
  }
};

std::vector<StepPlan> plans_for(const ClientStore& store, const std::vector<std::vector<int64_t>>& groups,
                                const LocalTraining& local) {
  std::vector<StepPlan> plans;
  for (size_t m = 0; m < groups.size(); ++m) plans.push_back(make_step_plan(store, groups[m], local, 9, 1, uint32_t(m)));
  return plans;
}

std::vector<float> run(Backend& be, const Model& model, const SamplePool& pool, const std::vector<StepPlan>& plans,
                       const std::vector<float>& coef, const std::vector<float>& global, OptimizerParams opt, int tile,
                       int batch, int row_align = 32) {
  TrainerOptions o;
  o.optimizer = opt;
  o.batch = batch;
  o.tile = tile;
  o.row_align = row_align;
  ReplicaTrainer trainer(be, model, o);
  std::vector<float> acc(model.num_params(), 0.0f);
  trainer.train(plans, coef, pool, global.data(), acc.data(), 1);
  return acc;
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, double rtol, double atol) {
  ASSERT_EQ(a.size(), b.size());
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(std::isfinite(a[i]) && std::isfinite(b[i])) << "non-finite at " << i;
    const double excess = std::fabs(a[i] - b[i]) - (atol + rtol * std::fabs(b[i]));
    if (excess > worst) worst = excess, at = i;
  }
  EXPECT_LE(worst, 0.0) << "element " << at << ": " << a[at] << " vs " << b[at];
}

// Lanes and ranks are dealt plans longest first to the least loaded: every plan once, in dealing
// order within a part, loads within one plan of each other.
TEST(DealLongestFirst, EveryPlanOnceAndBalanced) {
  std::vector<StepPlan> plans(11);
  const int sizes[] = {5, 40, 7, 40, 1, 19, 23, 2, 30, 8, 12};
  for (size_t i = 0; i < plans.size(); ++i) plans[i].sample_ids.assign(size_t(sizes[i]), 0);
  for (int parts : {1, 2, 3, 16}) {
    const auto dealt = deal_longest_first(plans, parts);
    ASSERT_EQ(dealt.size(), size_t(parts));
    std::vector<int> seen(plans.size(), 0);
    std::vector<int64_t> load;
    for (const auto& part : dealt) {
      int64_t l = 0;
      for (size_t k = 0; k < part.size(); ++k) {
        ++seen[part[k]];
        l += sizes[part[k]] + 64;
        if (k > 0) {
          EXPECT_GE(sizes[part[k - 1]], sizes[part[k]]) << "dealing order";
        }
      }
      load.push_back(l);
    }
    EXPECT_EQ(seen, std::vector<int>(plans.size(), 1)) << parts << " parts";
    if (parts <= 3) {
      const auto [least, most] = std::minmax_element(load.begin(), load.end());
      EXPECT_LE(*most - *least, 40 + 64) << parts << " parts";
    }
  }
  EXPECT_EQ(deal_longest_first(plans, 2)[0].front(), 1u);  // ties: the lowest index first
  EXPECT_EQ(deal_longest_first(plans, 2)[1].front(), 3u);
}

// Waves are formed from plans sorted by steps, longest first and stable: a permutation.
TEST(LongestFirst, SortsByStepsStably) {
  Fixture f;
  LocalTraining local;
  local.batch = 3;
  const auto plans = plans_for(f.store, {{0}, {1, 2}, {3}, {4, 5, 6}, {7}, {8, 9, 10, 11}}, local);
  const std::vector<size_t> order = longest_first(plans);
  ASSERT_EQ(order.size(), plans.size());
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(sorted[i], i);
  for (size_t i = 1; i < order.size(); ++i) {
    const int64_t a = plans[order[i - 1]].steps(), b = plans[order[i]].steps();
    EXPECT_GE(a, b);
    if (a == b) {
      EXPECT_LT(order[i - 1], order[i]) << "ties keep their order";
    }
  }
  EXPECT_NE(plans[order.front()].steps(), plans[order.back()].steps()) << "the fixture's plans differ in length";
}

TEST(StepPlan, BatchesEpochsAndFreshStates) {
  Fixture f;
  LocalTraining local;
  local.batch = 5;
  local.local_epochs = 2;
  local.mediator_epochs = 2;
  const std::vector<int64_t> clients = {3, 7};
  const StepPlan plan = make_step_plan(f.store, clients, local, 1, 4, 0);
  const int64_t n3 = f.store.size(3), n7 = f.store.size(7);
  const auto batches = [&](int64_t n) { return (n + 4) / 5; };
  ASSERT_EQ(plan.steps(), 2 * 2 * (batches(n3) + batches(n7)));
  EXPECT_EQ(plan.samples, n3 + n7);
  // Walk the plan: each client epoch is a permutation of the client's samples; a fresh state
  // starts each client visit.
  int64_t s = 0;
  for (int em = 0; em < 2; ++em) {
    for (int64_t k : clients) {
      for (int e = 0; e < 2; ++e) {
        std::multiset<int32_t> seen;
        for (int64_t b = 0; b < batches(f.store.size(k)); ++b, ++s) {
          EXPECT_LE(plan.rows(s), 5);
          EXPECT_EQ(plan.fresh[s], e == 0 && b == 0 ? 1 : 0);
          seen.insert(plan.step_samples(s), plan.step_samples(s) + plan.rows(s));
        }
        EXPECT_EQ(seen, std::multiset<int32_t>(f.store.samples(k), f.store.samples(k) + f.store.size(k)));
      }
    }
  }
  EXPECT_EQ(plan.state_age[1], 2);
  // Same keys, same plan; another round, another order.
  EXPECT_EQ(make_step_plan(f.store, clients, local, 1, 4, 0).sample_ids, plan.sample_ids);
  EXPECT_NE(make_step_plan(f.store, clients, local, 1, 5, 0).sample_ids, plan.sample_ids);
  local.reset_per_client = false;
  const StepPlan kept = make_step_plan(f.store, clients, local, 1, 4, 0);
  EXPECT_EQ(std::count(kept.fresh.begin(), kept.fresh.end(), 1), 1);
  EXPECT_EQ(kept.state_age.back(), kept.steps());
}

class Schedules : public ::testing::TestWithParam<OptimizerKind> {};

// Lanes (one replica per thread, fused copy-in and accumulate) and tiles (replicas stepping together
// with masking) are two schedules of the same arithmetic.
TEST_P(Schedules, LanesAndTilesAgree) {
  Fixture f;
  auto model = make_model("mlp", TensorShape{8, 8, 1}, 4);
  std::vector<float> global(model->num_params());
  model->init_params(global.data(), 5);
  LocalTraining local;
  local.batch = 7;
  local.local_epochs = 2;
  const auto plans = plans_for(f.store, {{0}, {1, 2}, {3}, {4, 5, 6}, {7}, {8, 9, 10, 11}}, local);
  std::vector<float> coef = {0.1f, 0.2f, 0.15f, 0.25f, 0.1f, 0.2f};
  OptimizerParams opt;
  opt.kind = GetParam();
  opt.lr = opt.kind == OptimizerKind::kAdam ? 0.01f : 0.1f;
  auto one = make_backend("cpu", 1);
  auto two = make_backend("cpu", 2);
  const auto lanes1 = run(*one, *model, f.pool, plans, coef, global, opt, 1, 7);
  const auto lanes2 = run(*two, *model, f.pool, plans, coef, global, opt, 1, 7);
  const auto tiles4 = run(*one, *model, f.pool, plans, coef, global, opt, 4, 7);
  const auto tiles6 = run(*one, *model, f.pool, plans, coef, global, opt, 6, 7);
  // Padded replica rows (the default, 32 floats) are invisible: packed rows give the same bits.
  ASSERT_NE(model->num_params() % 32, 0) << "the model's rows must need padding for this to say anything";
  EXPECT_EQ(run(*one, *model, f.pool, plans, coef, global, opt, 4, 7, 1), tiles4);
  EXPECT_EQ(run(*one, *model, f.pool, plans, coef, global, opt, 6, 7, 1), tiles6);
  // Adam divides by sqrt(v): where a gradient is ~0, rounding differences of the two schedules
  // become visible steps, so its bound is looser (still far below lr = 1e-2).
  const bool adam = opt.kind == OptimizerKind::kAdam;
  const double rtol = adam ? 2e-3 : 1e-4, atol = adam ? 2e-5 : 1e-6;
  expect_close(lanes2, lanes1, rtol, atol);
  expect_close(tiles4, lanes1, rtol, atol);
  expect_close(tiles6, lanes1, rtol, atol);
  EXPECT_GT(std::inner_product(lanes1.begin(), lanes1.end(), lanes1.begin(), 0.0), 1e-8);  // it trained
}

INSTANTIATE_TEST_SUITE_P(Optimizers, Schedules,
                         ::testing::Values(OptimizerKind::kSgd, OptimizerKind::kMomentum, OptimizerKind::kAdam));

TEST(Trainer, FusedSgdMatchesTheGenericUpdate) {
  Fixture f;
  auto model = make_model("mlp", TensorShape{8, 8, 1}, 4);
  std::vector<float> global(model->num_params());
  model->init_params(global.data(), 5);
  LocalTraining local;
  local.batch = 4;
  const auto plans = plans_for(f.store, {{0, 1}, {2}, {3}}, local);
  const std::vector<float> coef = {0.5f, 0.3f, 0.2f};
  auto be = make_backend("cpu", 2);
  OptimizerParams sgd;
  sgd.kind = OptimizerKind::kSgd;
  sgd.lr = 0.1f;
  OptimizerParams heavy_ball = sgd;  // momentum 0: the same step through OptimizerUpdate
  heavy_ball.kind = OptimizerKind::kMomentum;
  heavy_ball.momentum = 0.0f;
  expect_close(run(*be, *model, f.pool, plans, coef, global, sgd, 1, 4),
               run(*be, *model, f.pool, plans, coef, global, heavy_ball, 1, 4), 1e-4, 1e-6);
}

// A mediator passes its weights from client to client: training [a, b] as one chain equals training a,
// then b from a's result.
TEST(Trainer, MediatorChainEqualsSequentialClients) {
  Fixture f;
  auto model = make_model("mlp", TensorShape{8, 8, 1}, 4);
  std::vector<float> global(model->num_params());
  model->init_params(global.data(), 6);
  LocalTraining local;
  local.batch = 5;
  OptimizerParams adam;
  adam.kind = OptimizerKind::kAdam;
  adam.lr = 0.01f;
  auto be = make_backend("cpu", 1);
  const auto chain = run(*be, *model, f.pool, {make_step_plan(f.store, {2, 5}, local, 9, 1, 0)}, {1.0f}, global, adam, 1, 5);
  const auto first = run(*be, *model, f.pool, {make_step_plan(f.store, {2}, local, 9, 1, 0)}, {1.0f}, global, adam, 1, 5);
  std::vector<float> after_a(global.size());
  for (size_t i = 0; i < global.size(); ++i) after_a[i] = global[i] + first[i];
  const auto second = run(*be, *model, f.pool, {make_step_plan(f.store, {5}, local, 9, 1, 0)}, {1.0f}, after_a, adam, 1, 5);
  std::vector<float> sequential(global.size());
  for (size_t i = 0; i < global.size(); ++i) sequential[i] = after_a[i] + second[i] - global[i];
  expect_close(chain, sequential, 1e-3, 1e-5);
}

// The aggregate is the n_k/n-weighted sum of the clients' own updates.
TEST(Trainer, AggregateIsTheWeightedSumOfUpdates) {
  Fixture f;
  auto model = make_model("logreg", TensorShape{8, 8, 1}, 4);
  std::vector<float> global(model->num_params());
  model->init_params(global.data(), 7);
  LocalTraining local;
  OptimizerParams sgd;
  sgd.lr = 0.2f;
  auto be = make_backend("cpu", 2);
  const auto plans = plans_for(f.store, {{0}, {1}, {2}}, local);
  const std::vector<float> coef = {0.5f, 0.25f, 0.25f};
  const auto together = run(*be, *model, f.pool, plans, coef, global, sgd, 1, 10);
  std::vector<float> expected(global.size(), 0.0f);
  for (size_t m = 0; m < plans.size(); ++m) {
    const auto alone = run(*be, *model, f.pool, {plans[m]}, {1.0f}, global, sgd, 1, 10);
    for (size_t i = 0; i < expected.size(); ++i) expected[i] += coef[m] * alone[i];
  }
  expect_close(together, expected, 1e-4, 1e-7);
}

TEST(SampleClients, DistinctSortedAndUniform) {
  std::vector<int> hits(50, 0);
  for (uint32_t round = 1; round <= 400; ++round) {
    const auto c = sample_clients(50, 10, 3, round);
    ASSERT_EQ(c.size(), 10u);
    ASSERT_TRUE(std::is_sorted(c.begin(), c.end()));
    ASSERT_EQ(std::set<int64_t>(c.begin(), c.end()).size(), 10u);
    for (int64_t k : c) ++hits[k];
  }
  for (int h : hits) EXPECT_NEAR(h, 80, 30);  // 400 rounds x 10/50
  EXPECT_EQ(sample_clients(50, 10, 3, 7), sample_clients(50, 10, 3, 7));
  EXPECT_EQ(sample_clients(5, 5, 3, 1), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

// cuDNN convolutions need a backend that has them: the CPU says no, naming the key.
TEST(FederatedRun, RefusesLibraryConvolutionsOnTheCpu) {
  testing::FederationSpec spec;
  spec.side = 8;
  spec.classes = 4;
  spec.train_samples = 200;
  spec.test_samples = 50;
  spec.clients = 10;
  const testing::SyntheticFederation f(spec);
  TrainConfig c;
  c.model = "mlp";
  c.conv = "cudnn";
  auto be = make_backend("cpu", 1);
  EXPECT_ERROR_MENTIONS(FederatedRun(c, AstraeaConfig(), {}, 5, f.data.train, f.data.test, f.store, *be), "train.conv",
                        "cuda");
}

TEST(FederatedRun, LearnsTheSyntheticRuleAndIsDeterministic) {
  testing::FederationSpec spec;
  spec.side = 10;
  spec.classes = 5;
  spec.train_samples = 2000;
  spec.test_samples = 500;
  spec.data_seed = 11;
  spec.method = "dirichlet:0.3";
  spec.clients = 40;
  spec.partition_seed = 1;
  const testing::SyntheticFederation f(spec);
  const TrainTest& data = f.data;
  const ClientStore& store = f.store;
  TrainConfig c;
  c.model = "mlp";
  c.lr = 0.1;
  c.rounds = 12;
  c.clients_per_round = 10;
  c.eval_every = 4;
  auto be = make_backend("cpu", 2);
  const AstraeaConfig fedavg;
  FederatedRun a(c, fedavg, {}, 5, data.train, data.test, store, *be);
  FederatedRun b(c, fedavg, {}, 5, data.train, data.test, store, *be);
  RoundResult last;
  for (int r = 1; r <= c.rounds; ++r) {
    last = a.run_round(r);
    const RoundResult other = b.run_round(r);
    ASSERT_EQ(last.train_loss, other.train_loss) << "round " << r;
    EXPECT_EQ(last.evaluated, r % 4 == 0);
  }
  EXPECT_EQ(a.global_params(), b.global_params());
  EXPECT_GT(last.test.accuracy, 0.9);
  EXPECT_EQ(last.clients, 10);
  EXPECT_EQ(last.bytes_mediator_server, 2 * 10 * 4 * a.model().num_params());
}

TEST(Metrics, FromConfusion) {
  // true x predicted for 3 classes
  const ClassificationMetrics m = metrics_from_confusion({5, 1, 0,  //
                                                          2, 3, 0,  //
                                                          0, 0, 0},
                                                         3, 11.0);
  EXPECT_EQ(m.samples, 11);
  EXPECT_NEAR(m.accuracy, 8.0 / 11, 1e-12);
  EXPECT_NEAR(m.loss, 1.0, 1e-12);
  EXPECT_NEAR(m.precision[0], 5.0 / 7, 1e-12);
  EXPECT_NEAR(m.recall[0], 5.0 / 6, 1e-12);
  EXPECT_NEAR(m.f1[1], 2 * (3.0 / 4) * (3.0 / 5) / (3.0 / 4 + 3.0 / 5), 1e-12);
  EXPECT_EQ(m.f1[2], 0.0);  // absent and never predicted
}

}  // namespace
}  // namespace astraea
