// The time model (fl/client_systems.hpp): visit and chain times by hand, deadlines in both modes,
// dropouts, availability against its probability, a day's rhythm, and whole runs: simulated time
// never changes what is trained unless a deadline or an absence cuts it, and resume stays exact.
#include <cmath>

#include "astraea/fl/client_systems.hpp"
#include "astraea/fl/federated_run.hpp"
#include "synthetic_federation.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

SystemsConfig fixed(double speed, double bandwidth, double latency) {
  SystemsConfig c;
  c.speed = speed;
  c.bandwidth = bandwidth;
  c.latency = latency;
  return c;
}

TEST(ClientSystems, VisitAndChainTimesByHand) {
  const ClientSystems s(fixed(100.0, 2.0, 0.05), 4, 1);  // sigmas 0: every client the same
  ASSERT_TRUE(s.active());
  // A 4 MB model in and out at 2 MB/s with 50 ms each way, 300 samples at 100 samples/s.
  EXPECT_NEAR(s.visit_seconds(0, 300, 4.0), 2 * (0.05 + 2.0) + 3.0, 1e-12);
  const ChainTiming t = s.chain({2, 0, 3}, {300, 100, 200}, 4.0, 1);
  EXPECT_NEAR(t.seconds, 3 * 4.1 + 6.0, 1e-12);
  EXPECT_EQ(t.kept, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(t.dropped_visits, 0);
  // Lognormal spread: speeds differ, median as configured.
  SystemsConfig spread = fixed(50.0, 0, 0);
  spread.speed_sigma = 1.0;
  const ClientSystems many(spread, 4001, 7);
  std::vector<double> v;
  for (int64_t k = 0; k < 4001; ++k) v.push_back(many.speed(k));
  std::nth_element(v.begin(), v.begin() + 2000, v.end());
  EXPECT_NEAR(v[2000], 50.0, 5.0);
}

TEST(ClientSystems, DeadlinesCutVisitsOrWholeMediators) {
  SystemsConfig c = fixed(100.0, 0, 0);
  c.deadline = 5.0;
  const ClientSystems s(c, 4, 1);
  // Visits of 2 s, 2 s, 2 s: the third would end at 6 s.
  ChainTiming t = s.chain({0, 1, 2}, {200, 200, 200}, 1.0, 1);
  EXPECT_EQ(t.kept, (std::vector<size_t>{0, 1}));
  EXPECT_NEAR(t.seconds, 4.0, 1e-12);
  EXPECT_EQ(t.dropped_visits, 1);
  c.late = "mediator";
  const ClientSystems whole(c, 4, 1);
  t = whole.chain({0, 1, 2}, {200, 200, 200}, 1.0, 1);
  EXPECT_TRUE(t.kept.empty());
  EXPECT_EQ(t.dropped_visits, 3);
  EXPECT_EQ(whole.chain({0, 1}, {200, 200}, 1.0, 1).kept.size(), 2u);  // in time: kept whole
}

TEST(ClientSystems, AvailabilityDayAndDropouts) {
  SystemsConfig c;
  c.availability = 0.3;
  const ClientSystems s(c, 2000, 3);
  int up = 0;
  for (int64_t k = 0; k < 2000; ++k)
    for (int round = 1; round <= 20; ++round) up += s.online(k, round);
  EXPECT_NEAR(up / 40000.0, 0.3, 0.01);
  EXPECT_EQ(s.online(17, 5), s.online(17, 5));  // a pure function of (seed, client, round)
  // A day: availability x (1 - 0.8 cos(2 pi (round / 24 + phase))) averages to the base rate and
  // swings with the client's phase.
  c.availability = 0.5;
  c.diurnal = 0.8;
  const ClientSystems day(c, 50, 3);
  double lo = 1, hi = 0, mean = 0;
  for (int round = 0; round < 24; ++round) {
    const double p = day.online_probability(0, round);
    lo = std::min(lo, p);
    hi = std::max(hi, p);
    mean += p / 24;
  }
  EXPECT_NEAR(mean, 0.5, 0.01);
  EXPECT_LT(lo, 0.2);
  EXPECT_GT(hi, 0.8);
  SystemsConfig d;
  d.dropout = 0.5;
  const ClientSystems drops(d, 1000, 3);
  const std::vector<int64_t> all = [] {
    std::vector<int64_t> v(1000);
    for (int64_t k = 0; k < 1000; ++k) v[k] = k;
    return v;
  }();
  const ChainTiming t = drops.chain(all, std::vector<int64_t>(1000, 10), 1.0, 2);
  EXPECT_NEAR(double(t.kept.size()) / 1000, 0.5, 0.06);
  EXPECT_EQ(int64_t(t.kept.size()) + t.dropped_visits, 1000);
}

struct Runs {
  std::vector<RoundResult> rounds;
  std::vector<float> params;
};

Runs train(const SystemsConfig& systems, bool astraea, int rounds = 3, int from = 1, std::vector<float> start = {}) {
  static const testing::SyntheticFederation f;
  TrainConfig t;
  t.model = "mlp";
  t.rounds = rounds;
  t.clients_per_round = 6;
  t.eval_every = 0;
  AstraeaConfig a;
  if (astraea) {
    a.scheduler = "greedy";
    a.mediator_size = 3;
  }
  auto be = make_backend("cpu", 2);
  FederatedRun fl(t, a, {}, 5, f.data.train, f.data.test, f.store, *be, nullptr, Scenario{systems, {}, {}});
  if (!start.empty()) fl.set_global_params(start);
  Runs r;
  for (int round = from; round <= rounds; ++round) r.rounds.push_back(fl.run_round(round));
  r.params = fl.global_params();
  return r;
}

// Speeds and links only measure time: the model is the one trained without them, bit for bit.
TEST(ClientSystems, TimeAloneChangesNothingTrained) {
  for (bool astraea : {false, true}) {
    const Runs plain = train(SystemsConfig(), astraea);
    SystemsConfig timed = fixed(40.0, 1.5, 0.02);
    timed.speed_sigma = timed.bandwidth_sigma = 0.7;
    const Runs clocked = train(timed, astraea);
    EXPECT_EQ(clocked.params, plain.params);
    for (size_t r = 0; r < plain.rounds.size(); ++r) {
      EXPECT_EQ(plain.rounds[r].simulated_seconds, 0.0);
      EXPECT_GT(clocked.rounds[r].simulated_seconds, 0.0);
      EXPECT_EQ(clocked.rounds[r].train_loss, plain.rounds[r].train_loss);
    }
    // A deadline below the slowest chain cuts visits, and what is trained changes.
    timed.deadline = 0.5 * clocked.rounds[0].simulated_seconds;
    const Runs cut = train(timed, astraea);
    EXPECT_GT(cut.rounds[0].dropped_visits, 0);
    EXPECT_NEAR(cut.rounds[0].simulated_seconds, timed.deadline, 1e-12);
    EXPECT_NE(cut.params, plain.params);
  }
}

TEST(ClientSystems, ResumeIsExactWithTheTimeModel) {
  SystemsConfig c = fixed(30.0, 1.0, 0.01);
  c.speed_sigma = 0.8;
  c.availability = 0.7;
  c.dropout = 0.1;
  c.deadline = 20.0;
  const Runs whole = train(c, true, 4);
  const Runs first = train(c, true, 2);
  const Runs rest = train(c, true, 4, 3, first.params);
  EXPECT_EQ(rest.params, whole.params);
  EXPECT_EQ(rest.rounds[1].simulated_seconds, whole.rounds[3].simulated_seconds);
}

}  // namespace
}  // namespace astraea
