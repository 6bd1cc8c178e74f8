// Drift (data/drift.hpp) against the requested schedule of change: rotation moves every client's
// histogram by exactly the requested classes, emerging and fading classes follow their ramp with
// client sizes kept, churn keeps the population's size and replaces the requested share per step;
// whole runs: drift events where the steps begin, replans only past the KL threshold, nothing
// changed before the first step, and exact resume across a replan.
#include <algorithm>
#include <cmath>

#include "astraea/backend/backend_registry.hpp"
#include "astraea/data/drift.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/experiment/methods.hpp"
#include "astraea/io/config.hpp"
#include "synthetic_federation.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

const testing::SyntheticFederation& federation() {
  testing::FederationSpec spec;
  spec.classes = 5;
  spec.train_samples = 1000;
  spec.test_samples = 200;
  spec.clients = 16;
  spec.global = "linear:0.2";
  static const testing::SyntheticFederation f(spec);
  return f;
}

TEST(Drift, RotationMovesEveryHistogramByTheRequestedClasses) {
  const auto& f = federation();
  DriftConfig d;
  d.every = 3;
  d.rotate = 2;
  const ClientStore step0 = drifted_store(f.store, f.data.train.labels, d, 0, 7);
  EXPECT_EQ(step0.indices(), f.store.indices());  // step 0: the partition itself
  for (int step : {1, 2, 4}) {
    const ClientStore s = drifted_store(f.store, f.data.train.labels, d, step, 7);
    ASSERT_EQ(s.num_clients(), f.store.num_clients());
    for (int64_t k = 0; k < s.num_clients(); ++k) {
      ASSERT_EQ(s.size(k), f.store.size(k));
      for (int y = 0; y < 5; ++y) {
        EXPECT_EQ(s.histogram_row(k)[(y + 2 * step) % 5], f.store.histogram_row(k)[y]) << k << " " << y;
      }
    }
  }
  EXPECT_EQ(drift_step(d, 1), 0);
  EXPECT_EQ(drift_step(d, 3), 0);
  EXPECT_EQ(drift_step(d, 4), 1);
}

TEST(Drift, EmergingAndFadingClassesFollowTheirRamp) {
  const auto& f = federation();
  DriftConfig d;
  d.every = 1;
  d.emerge = {4};  // the rarest class
  d.fade = {0};    // the most common
  d.ramp = 2;
  const std::vector<int64_t> base = f.store.global_histogram();
  const auto at = [&](int step) { return drifted_store(f.store, f.data.train.labels, d, step, 7); };
  const ClientStore s0 = at(0), s1 = at(1), s2 = at(2);
  for (const ClientStore* s : {&s0, &s1, &s2})
    for (int64_t k = 0; k < s->num_clients(); ++k) EXPECT_EQ(s->size(k), f.store.size(k));  // sizes kept
  // Absent: none of the class; its samples became samples of classes fully present.
  EXPECT_EQ(s0.global_histogram()[4], 0);
  for (int y = 0; y < 4; ++y) EXPECT_GE(s0.global_histogram()[y], base[y]);
  EXPECT_EQ(f.store.total_samples(), s0.total_samples());
  // Half-way: each of its samples kept with probability 1/2 (replacements never go to it).
  for (int y : {0, 4}) {
    const double n = double(base[y]);
    EXPECT_NEAR(double(s1.global_histogram()[y]), 0.5 * n, 4 * std::sqrt(0.25 * n)) << y;
  }
  EXPECT_GE(s2.global_histogram()[4], base[4]);  // fully present: its own, and replacements for class 0
  EXPECT_EQ(s2.global_histogram()[0], 0);
  EXPECT_EQ(class_presence(d, 4, 1), 0.5);
  EXPECT_EQ(class_presence(d, 2, 1), 1.0);
  EXPECT_ERROR_MENTIONS(check_drift(DriftConfig{1, 0, {7}, {}, 1, 0, 1, 0}, 5), "drift.emerge", "7");
  EXPECT_ERROR_MENTIONS(check_drift(DriftConfig{1, 0, {0, 1, 2, 3, 4}, {}, 1, 0, 1, 0}, 5), "no class present");
}

TEST(Drift, ChurnReplacesTheRequestedShareAndKeepsThePopulationSize) {
  DriftConfig d;
  d.every = 1;
  d.churn = 0.25;
  d.active = 0.5;
  const int64_t n = 200;  // 100 active, 25 replaced per step
  std::vector<char> previous = active_clients(n, d, 0, 3);
  for (int step = 1; step <= 5; ++step) {
    const std::vector<char> now = active_clients(n, d, step, 3);
    EXPECT_EQ(std::count(now.begin(), now.end(), char(1)), 100);
    int64_t left = 0, joined = 0;
    for (int64_t k = 0; k < n; ++k) {
      left += previous[k] && !now[k];
      joined += !previous[k] && now[k];
    }
    EXPECT_EQ(left, 25) << step;
    EXPECT_EQ(joined, 25) << step;
    previous = now;
  }
  EXPECT_EQ(active_clients(n, d, 3, 3), active_clients(n, d, 3, 3));
  const std::vector<char> all = active_clients(n, DriftConfig(), 3, 3);
  EXPECT_EQ(std::count(all.begin(), all.end(), char(1)), n);
}

struct Runs {
  std::vector<RoundResult> rounds;
  std::vector<float> params;
  AlgorithmState state;
};

TrainConfig train_config(int rounds) {
  TrainConfig t;
  t.model = "mlp";
  t.rounds = rounds;
  t.clients_per_round = 8;
  t.eval_every = 0;
  return t;
}

AstraeaConfig astraea_config() {
  AstraeaConfig a;
  a.scheduler = "greedy";
  a.mediator_size = 3;
  a.augmentation.method = "zscore";
  a.augmentation.tau_d = 1.0;
  return a;
}

Runs train(const Scenario& scenario, int rounds, int from = 1, int to = 0, const Runs* resume = nullptr) {
  const auto& f = federation();
  auto be = make_backend("cpu", 2);
  FederatedRun fl(train_config(rounds), astraea_config(), {}, 5, f.data.train, f.data.test, f.store, *be, nullptr,
                  scenario);
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

Scenario drifting(double replan_kl) {
  Scenario s;
  s.drift.every = 2;
  s.drift.rotate = 1;
  s.drift.churn = 0.25;
  s.drift.active = 0.75;
  s.drift.replan_kl = replan_kl;
  return s;
}

TEST(Drift, RunsRecordStepsAndReplanOnlyPastTheThreshold) {
  const Runs planned_once = train(drifting(0), 5);
  const Runs replanning = train(drifting(1e-4), 5);
  for (const Runs* run : {&planned_once, &replanning}) {
    for (const RoundResult& r : run->rounds) {
      EXPECT_EQ(r.drifted, r.round == 3 || r.round == 5) << r.round;
      if (!r.drifted) continue;
      EXPECT_EQ(r.drift.step, (r.round - 1) / 2);
      EXPECT_EQ(r.drift.active_clients, 12);
      EXPECT_GT(r.drift.kl, 1e-4);
      EXPECT_EQ(r.drift.replanned, run == &replanning);
    }
  }
  // Planned once, the ratios stay those of the start; replanned, they follow the rotation.
  const std::vector<double>& first = planned_once.rounds[2].drift.ratios;
  EXPECT_EQ(planned_once.rounds[4].drift.ratios, first);
  EXPECT_NE(replanning.rounds[2].drift.ratios, first);
  EXPECT_NE(replanning.params, planned_once.params);
  // A threshold above the move: no replan.
  EXPECT_FALSE(train(drifting(50), 3).rounds[2].drift.replanned);
}

// Drift configured but not yet begun changes nothing trained.
TEST(Drift, NothingChangesBeforeTheFirstStep) {
  Scenario late;
  late.drift.every = 100;
  late.drift.rotate = 1;
  EXPECT_EQ(train(late, 3).params, train(Scenario(), 3).params);
}

TEST(Drift, ResumeAcrossAReplanIsExact) {
  Scenario s = drifting(1e-4);
  s.feedback.every = 2;
  s.feedback.sampling = true;
  const Runs whole = train(s, 7);
  for (int cut : {3, 4}) {  // at the step's first round and within it
    const Runs first = train(s, 7, 1, cut);
    const Runs rest = train(s, 7, cut + 1, 0, &first);
    EXPECT_EQ(rest.params, whole.params) << cut;
    for (size_t i = 0; i < rest.rounds.size(); ++i) {
      EXPECT_EQ(rest.rounds[i].train_loss, whole.rounds[cut + i].train_loss) << cut << " " << i;
      EXPECT_EQ(rest.rounds[i].drifted, whole.rounds[cut + i].drifted) << cut << " " << i;
    }
  }
  const Runs stateless{{}, whole.params, AlgorithmState{}};
  EXPECT_ERROR_MENTIONS(train(s, 7, 4, 0, &stateless), "checkpoint", "drift/planned_histogram");
}

TEST(Drift, ConfigSection) {
  const ExperimentConfig c = parse_config(
      "[drift]\nevery = 10\nrotate = 1\nemerge = \"3,7\"\nchurn = 0.1\nactive = 0.8\nreplan_kl = 0.05\n", "d.toml");
  EXPECT_EQ(c.drift.every, 10);
  EXPECT_EQ(c.drift.emerge, (std::vector<int>{3, 7}));
  EXPECT_TRUE(c.drift.fade.empty());
  EXPECT_EQ(c.drift.replan_kl, 0.05);
  EXPECT_FALSE(parse_config("", "d.toml").drift.enabled());
  EXPECT_ERROR_MENTIONS(parse_config("[drift]\nevery = 5\n", "d.toml"), "drift.every", "nothing drifts");
  EXPECT_ERROR_MENTIONS(parse_config("[drift]\nemerge = \"3,x\"\n", "d.toml"), "drift.emerge", "\"x\"");
  EXPECT_ERROR_MENTIONS(parse_config("[drift]\nchurn = 0.2\n", "d.toml"), "drift.churn", "drift.active");
  EXPECT_ERROR_MENTIONS(parse_config("[drift]\nactive = 0\n", "d.toml"), "drift.active");
  EXPECT_ERROR_MENTIONS(parse_config("[drift]\nramp = 0\n", "d.toml"), "drift.ramp");
}

// compare's methods: only "adaptive" lets the loop and drift replans act; the others keep the
// config's feedback.every (monitoring, the same test images) with nothing acting.
TEST(Drift, OnlyTheAdaptiveMethodActs) {
  const std::string text = "[drift]\nevery = 5\nrotate = 1\nreplan_kl = 0.1\n[feedback]\nevery = 4\nsampling = true\n";
  const ExperimentConfig base = parse_config(text, "m.toml");
  const ExperimentConfig fedavg = parse_config(text, "m.toml", method_overrides("fedavg", base));
  EXPECT_EQ(fedavg.feedback.every, 4);
  EXPECT_FALSE(fedavg.feedback.augmentation || fedavg.feedback.target || fedavg.feedback.sampling);
  EXPECT_EQ(fedavg.drift.replan_kl, 0.0);
  EXPECT_EQ(fedavg.drift.every, 5);  // the world drifts for every method
  const ExperimentConfig adaptive = parse_config(text, "m.toml", method_overrides("astraea+adaptive", base));
  EXPECT_EQ(adaptive.feedback.every, 4);
  EXPECT_TRUE(adaptive.feedback.augmentation && adaptive.feedback.target && adaptive.feedback.sampling);
  EXPECT_EQ(adaptive.drift.replan_kl, 0.1);
  EXPECT_EQ(adaptive.astraea.scheduler, "greedy");
  const ExperimentConfig plain = parse_config("", "m.toml");
  const ExperimentConfig defaults = parse_config("", "m.toml", method_overrides("adaptive", plain));
  EXPECT_EQ(defaults.feedback.every, 10);
  EXPECT_FALSE(defaults.feedback.sampling);
}

}  // namespace
}  // namespace astraea
