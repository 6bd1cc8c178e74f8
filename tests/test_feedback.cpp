// The feedback loop (fl/feedback.hpp): class weights from recall, smoothing, proportional Poisson
// sampling against its probabilities and the Horvitz-Thompson estimate, the greedy toward a target
// against a direct check of every pick, and whole runs: nothing changes before the first replan,
// replans move augmentation and target toward the weak classes, federated feedback never trains
// on held-out samples, and resume stays exact.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "astraea/backend/backend_registry.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/fl/feedback.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "synthetic_federation.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

TEST(Feedback, WeightsFavourWeakClassesWithinTheBound) {
  const std::vector<double> recall = {0.9, 0.6, 0.3, 0.0};  // mean 0.45
  const std::vector<double> w = recall_weights(recall, 1.0, 4.0);
  EXPECT_NEAR(w[0], 0.5, 1e-12);
  EXPECT_NEAR(w[1], 0.75, 1e-12);
  EXPECT_NEAR(w[2], 1.5, 1e-12);
  EXPECT_NEAR(w[3], 4.0, 1e-12);  // 0.45 / 0.01 clamped
  EXPECT_NEAR(recall_weights(recall, 2.0, 100.0)[2], 2.25, 1e-12);
  std::vector<double> one_good(10, 0.0);
  one_good[0] = 1.0;  // mean 0.1: its weight 0.1, clamped at 1/4
  EXPECT_NEAR(recall_weights(one_good, 1.0, 4.0)[0], 0.25, 1e-12);
  for (double v : recall_weights(recall, 0.0, 4.0)) EXPECT_EQ(v, 1.0);
  for (double v : recall_weights({0, 0, 0}, 1.0, 4.0)) EXPECT_EQ(v, 1.0);
  // Smoothing: the first measurement is taken as is, later ones blended.
  EXPECT_EQ(smooth_recall({}, recall, 0.5), recall);
  const std::vector<double> s = smooth_recall(recall, {0.5, 0.5, 0.5, 0.5}, 0.25);
  EXPECT_NEAR(s[0], 0.75 * 0.9 + 0.25 * 0.5, 1e-12);
  EXPECT_NEAR(s[3], 0.125, 1e-12);
}

TEST(Feedback, ProportionalSamplingMatchesItsProbabilitiesAndHorvitzThompsonIsUnbiased) {
  const int64_t clients = 60, count = 12;
  std::vector<double> weight(clients), size(clients);
  HostEngine engine = make_host_engine(9, RngStream::kPartition, 0, 0);
  for (int64_t k = 0; k < clients; ++k) {
    weight[k] = k % 7 == 0 ? 0.0 : 0.1 + double(engine() % 1000) / 250.0;
    size[k] = double(10 + engine() % 90);
  }
  const double total_weight = std::accumulate(weight.begin(), weight.end(), 0.0);
  double total_size = 0;  // of the clients that can be drawn: what the estimate is unbiased for
  for (int64_t k = 0; k < clients; ++k) total_size += weight[k] > 0 ? size[k] : 0.0;
  const int rounds = 4000;
  std::vector<int> drawn(clients, 0);
  double estimate = 0, picked = 0;
  for (int round = 1; round <= rounds; ++round) {
    std::vector<double> inclusion;
    const std::vector<int64_t> s = sample_proportional(weight, count, 5, round, inclusion);
    ASSERT_EQ(s.size(), inclusion.size());
    ASSERT_TRUE(std::is_sorted(s.begin(), s.end()));
    picked += double(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      ++drawn[s[i]];
      EXPECT_NEAR(inclusion[i], std::min(1.0, count * weight[s[i]] / total_weight), 1e-12);
      estimate += size[s[i]] / inclusion[i];
    }
  }
  for (int64_t k = 0; k < clients; ++k) {
    const double pi = std::min(1.0, count * weight[k] / total_weight);
    if (weight[k] == 0) {
      EXPECT_EQ(drawn[k], 0) << k;
      continue;
    }
    const double sd = std::sqrt(pi * (1 - pi) / rounds);
    EXPECT_NEAR(drawn[k] / double(rounds), pi, 4 * sd + 1e-9) << k;
  }
  EXPECT_NEAR(picked / rounds, double(count), 0.3);
  EXPECT_NEAR(estimate / rounds / total_size, 1.0, 0.02);
  // A pure function of (seed, round).
  std::vector<double> a, b;
  EXPECT_EQ(sample_proportional(weight, count, 5, 17, a), sample_proportional(weight, count, 5, 17, b));
}

// Every pick of the greedy toward a target is, among the clients left, one whose merged
// distribution is closest to the target (checked with KL computed here, directly).
TEST(Feedback, GreedyTowardATargetMakesEveryPickItShould) {
  const int classes = 5, clients = 23;
  std::vector<int32_t> rows(clients * classes);
  HostEngine engine = make_host_engine(4, RngStream::kPartition, 0, 0);
  for (int32_t& v : rows) v = int32_t(engine() % 40) * int32_t(engine() % 3 == 0);
  for (int k = 0; k < clients; ++k) rows[k * classes + k % classes] += 1;
  std::vector<int64_t> ids(clients);
  std::iota(ids.begin(), ids.end(), 0);
  const std::vector<double> target = {0.4, 0.3, 0.15, 0.1, 0.05};
  const auto kl = [&](const std::vector<int64_t>& m) {
    const double n = double(std::accumulate(m.begin(), m.end(), int64_t{0}));
    double d = 0;
    for (int y = 0; y < classes; ++y)
      if (m[y] > 0) d += m[y] / n * std::log(m[y] / n / target[y]);
    return d;
  };
  const MediatorGroups groups = greedy_mediators_to_target(rows.data(), classes, ids, 4, target);
  std::vector<bool> left(clients, true);
  int64_t placed = 0;
  for (const auto& g : groups) {
    ASSERT_LE(g.size(), 4u);
    std::vector<int64_t> merged(classes, 0);
    for (int64_t k : g) {
      double best = 1e300;
      for (int j = 0; j < clients; ++j) {
        if (!left[j]) continue;
        std::vector<int64_t> m = merged;
        for (int y = 0; y < classes; ++y) m[y] += rows[j * classes + y];
        best = std::min(best, kl(m));
      }
      std::vector<int64_t> m = merged;
      for (int y = 0; y < classes; ++y) m[y] += rows[k * classes + y];
      ASSERT_TRUE(left[k]);
      EXPECT_LE(kl(m), best + 1e-9);
      merged = m;
      left[k] = false;
      ++placed;
    }
  }
  EXPECT_EQ(placed, clients);
  // Toward the uniform target it makes the uniform greedy's groups.
  const std::vector<double> uniform(classes, 1.0);
  EXPECT_EQ(greedy_mediators_to_target(rows.data(), classes, ids, 4, uniform),
            greedy_mediators_reference(rows.data(), classes, ids, 4));
}

struct Runs {
  std::vector<RoundResult> rounds;
  std::vector<float> params;
  AlgorithmState state;
};

const testing::SyntheticFederation& federation() {
  testing::FederationSpec spec;
  spec.global = "linear:0.2";
  spec.train_samples = 600;
  spec.test_samples = 200;
  static const testing::SyntheticFederation f(spec);
  return f;
}

// Rounds `from`..`to` (0: the last) of a `rounds`-round schedule, resumed from `resume` if given.
Runs train(const FeedbackConfig& feedback, int rounds, int from = 1, int to = 0, const Runs* resume = nullptr) {
  const testing::SyntheticFederation& f = federation();
  TrainConfig t;
  t.model = "mlp";
  t.rounds = rounds;
  t.clients_per_round = 6;
  t.eval_every = 1;
  AstraeaConfig a;
  a.scheduler = "greedy";
  a.mediator_size = 3;
  a.augmentation.method = "zscore";
  a.augmentation.tau_d = 1.0;
  auto be = make_backend("cpu", 2);
  FederatedRun fl(t, a, {}, 5, f.data.train, f.data.test, f.store, *be, nullptr, Scenario{SystemsConfig(), feedback, DriftConfig()});
  if (resume) {
    fl.set_global_params(resume->params);
    fl.restore_algorithm_state(resume->state, "checkpoint");
  }
  Runs r;
  for (int round = from; round <= (to ? to : rounds); ++round) r.rounds.push_back(fl.run_round(round));
  r.params = fl.global_params();
  r.state = fl.algorithm_state();
  return r;
}

// Before its first replan the loop changes nothing trained.
TEST(Feedback, NothingChangesBeforeTheFirstReplan) {
  FeedbackConfig late;
  late.every = 100;
  const Runs off = train(FeedbackConfig(), 3);
  const Runs on = train(late, 3);
  EXPECT_EQ(on.params, off.params);
  for (const RoundResult& r : on.rounds) EXPECT_FALSE(r.replanned);
}

TEST(Feedback, ReplansMoveAugmentationAndTargetTowardWeakClasses) {
  FeedbackConfig c;
  c.every = 2;
  c.sampling = true;
  const Runs run = train(c, 5);
  const Runs off = train(FeedbackConfig(), 5);
  ASSERT_EQ(run.rounds.size(), 5u);
  const std::vector<double>* base = nullptr;
  for (const RoundResult& r : run.rounds) {
    EXPECT_EQ(r.replanned, r.round == 2 || r.round == 4) << r.round;
    if (!r.replanned) continue;
    const Replan& p = r.replan;
    ASSERT_EQ(p.recall.size(), 4u);
    ASSERT_EQ(p.ratios_after.size(), 4u);
    if (!base) base = &p.ratios_before;  // the rules' ratios
    double sum = 0, top = 0;
    size_t weakest = 0;
    for (size_t y = 0; y < 4; ++y) {
      EXPECT_GE(p.ratios_after[y], (*base)[y]) << y;  // never fewer generated samples than the rules ask
      sum += p.target_after[y];
      top = std::max(top, p.target_after[y]);
      if (p.smoothed[y] < p.smoothed[weakest]) weakest = y;
    }
    EXPECT_NEAR(sum, 1.0, 1e-9);
    EXPECT_EQ(p.target_after[weakest], top);
    EXPECT_TRUE(p.sampling);
  }
  EXPECT_NE(run.params, off.params);
  // Server feedback holds a balanced validation split (10% of each class, rounded up) out of the
  // test set: the accuracy is measured on the rest.
  const std::vector<int32_t>& labels = federation().data.test.labels;
  int64_t held = 0;
  for (int y = 0; y < 4; ++y) {
    const int64_t n = std::count(labels.begin(), labels.end(), y);
    held += int64_t(std::ceil(0.1 * double(n)));
  }
  EXPECT_EQ(run.rounds[0].test.samples, int64_t(labels.size()) - held);
  EXPECT_EQ(off.rounds[0].test.samples, int64_t(labels.size()));
}

TEST(Feedback, FederatedFeedbackNeverTrainsOnHeldOutSamples) {
  const testing::SyntheticFederation& f = federation();
  FeedbackConfig c;
  c.every = 1;
  c.source = "federated";
  c.validation = 0.25;
  c.augmentation = false;
  TrainConfig t;
  t.model = "mlp";
  t.rounds = 3;
  t.clients_per_round = 6;
  AstraeaConfig a;
  a.scheduler = "greedy";
  a.mediator_size = 3;
  auto be = make_backend("cpu", 2);
  FederatedRun fl(t, a, {}, 5, f.data.train, f.data.test, f.store, *be, nullptr, Scenario{SystemsConfig(), c, DriftConfig()});
  int64_t kept = 0;
  for (int64_t k = 0; k < f.store.num_clients(); ++k) {
    EXPECT_EQ(fl.clients().size(k), f.store.size(k) - int64_t(std::floor(0.25 * f.store.size(k)))) << k;
    kept += fl.clients().size(k);
  }
  const RoundResult r = fl.run_round(1);
  ASSERT_TRUE(r.replanned);
  EXPECT_EQ(r.bytes_feedback, r.clients * 4 * 4 * int64_t(sizeof(int32_t)));
  EXPECT_LE(r.samples, kept);
  EXPECT_TRUE(r.replan.ratios_after.empty());  // augmentation is off
}

// Resuming after a replan (with weighted sampling) continues exactly as the run that went on.
TEST(Feedback, ResumeAfterAReplanIsExact) {
  FeedbackConfig c;
  c.every = 2;
  c.sampling = true;
  const Runs whole = train(c, 6);
  // The state after round 3 of the six-round schedule (a replan came after round 2).
  const Runs half = train(c, 6, 1, 3);
  const Runs rest = train(c, 6, 4, 0, &half);
  EXPECT_EQ(rest.params, whole.params);
  for (size_t i = 0; i < rest.rounds.size(); ++i) EXPECT_EQ(rest.rounds[i].train_loss, whole.rounds[i + 3].train_loss);
  // A checkpoint whose recall has the wrong number of classes is an error naming it.
  AlgorithmState bad = half.state;
  for (StateTensor& s : bad.tensors)
    if (s.name == "feedback/recall") s.data.resize(3), s.shape = {3};
  const Runs broken{{}, half.params, bad};
  EXPECT_ERROR_MENTIONS(train(c, 6, 4, 0, &broken), "checkpoint");
}

}  // namespace
}  // namespace astraea
