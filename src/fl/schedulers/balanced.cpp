// "balanced": the greedy's groups, then improved by swapping clients between mediators (and moving
// them into the last, short one) while the objective falls. Objective "mean": the sample-weighted
// mean mediator KL, i.e. sum_m C_m with C_m = sum_y f(h_my) - f(T_m) = T_m (KL_m - log N), f(v) =
// v log v; it can never go below the pooled distribution's KL (the floor). Objective "max": the
// worst mediator's KL. Its greedy opens each mediator with the hardest client left (MediatorSeed),
// so the clients hardest to balance get the best complements; further passes from the mean's
// groups lower the worst. Each pass visits the mediators from the worst down; each is offered its
// `kPartners` most complementary mediators (the most negative dot product of the deviations of
// their distributions from the pooled one; with many mediators, searched among those whose most
// over-represented class is the one it lacks most) and takes the best improving swap or move.
// Passes stop when one changes nothing or after astraea.balance_passes: deterministic, no clock.
// For "max", the passes are followed by rounds of the worst mediator against every other one (the
// complementary few miss the exchanges that lower it), then passes again, while the worst falls;
// last, mean passes that lift no mediator above the worst (the lowest mean that keeps it).
// Objective "mean" with a worst ratio R (astraea.balance_worst_ratio): after the passes, the worst
// mediator is lowered by the same exchanges until it is within R times the weighted mean; from the
// mean's groups a few exchanges per hundred mediators do (the max's search lowers it further, in
// several times the time).
// Passes left over once no single swap helps go to iterated local search: a seeded random swap
// between two mediators (a kick), passes until nothing helps, kept only if the objective fell.
// Toward a non-uniform target (astraea.target, a feedback replan) KL is measured to the target:
// f(v) gains -v log t_y, and deviations are taken from the target instead of the pooled mix.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "astraea/core/error.hpp"
#include "balancer.hpp"
#include "schedulers.hpp"

namespace astraea {
namespace {

using schedulers::Balancer;

constexpr int kWorstRounds = 8;  // rounds of worst-mediator exchanges and passes, at most
// Worst-mediator exchanges per mediator, in all rounds. From the hardest-first greedy's groups
// every mediator above the final level needs at least one, so fewer would stop the max early.
constexpr size_t kWorstStepsPerMediator = 2;

// Passes until one changes nothing, at most `passes`; how many changed something.
int descend(Balancer& balancer, bool worst_case, int passes) {
  int used = 0;
  while (used < passes && balancer.pass(worst_case)) ++used;
  return used;
}

// Passes until one changes nothing, then kicks (iterated local search) while passes are left.
void improve(Balancer& balancer, bool worst_case, int passes, HostEngine& engine) {
  int used = descend(balancer, worst_case, passes);
  while (++used < passes) {
    const Balancer before = balancer;
    balancer.kick(engine);
    used += descend(balancer, worst_case, passes - used);
    if (!(balancer.objective(worst_case) < before.objective(worst_case))) balancer = before;
  }
}

// Exchanges (or chains of two) that lower the worst mediator, one at a time while `more()`, until
// none does or `steps` reaches `limit`.
template <typename More>
void lower_worst_while(Balancer& balancer, size_t& steps, size_t limit, More&& more) {
  while (steps < limit && more() && (balancer.lower_worst() || balancer.lower_worst_by_chain())) ++steps;
}

// Rounds of the worst mediator against every other one, one exchange at a time until none lowers
// it (at most kWorstStepsPerMediator exchanges per mediator in all), then passes, while the worst falls.
void worst_rounds(Balancer& balancer, int passes, HostEngine& engine) {
  size_t steps = 0;
  const size_t limit = kWorstStepsPerMediator * balancer.mediators();
  for (int round = 0; round < kWorstRounds; ++round) {
    const double before = balancer.objective(true);
    if (round > 0) improve(balancer, true, passes, engine);
    lower_worst_while(balancer, steps, limit, [] { return true; });
    if (!(balancer.objective(true) < before)) break;
  }
}

// The same exchanges until the worst mediator is within `ratio` times the weighted mean, without
// the rounds' passes: where single exchanges and chains stop short of it, further passes lowered
// the mean but not the worst on the populations measured (bench/RESULTS.md).
void worst_within(Balancer& balancer, double ratio) {
  size_t steps = 0;
  lower_worst_while(balancer, steps, kWorstStepsPerMediator * balancer.mediators(),
                    [&] { return balancer.objective(true) > ratio * balancer.weighted_kl(); });
}

// Throws naming astraea.balance_worst_ratio unless it is 0 (off), or at least 1 with objective mean.
void require_worst_ratio(double ratio, const std::string& objective) {
  ASTRAEA_REQUIRE(ratio == 0 || (ratio >= 1 && std::isfinite(ratio)),
                  "astraea.balance_worst_ratio = {}: expected 0 (off) or a finite number >= 1", ratio);
  ASTRAEA_REQUIRE(ratio == 0 || objective == "mean",
                  "astraea.balance_worst_ratio = {}: applies to astraea.balance = \"mean\" (\"max\" lowers the worst "
                  "mediator as far as its search goes)", ratio);
}

// Rows the groups reach (the largest position + 1); throws naming the mediator when a group is
// empty or over gamma, or a position is negative or in two groups.
int64_t check_groups(const MediatorGroups& groups, int gamma) {
  int64_t clients = 0;
  for (size_t m = 0; m < groups.size(); ++m) {
    ASTRAEA_REQUIRE(!groups[m].empty() && int(groups[m].size()) <= gamma, "mediator {} has {} clients: expected 1 to {} (gamma)",
                    m, groups[m].size(), gamma);
    for (int64_t k : groups[m]) {
      ASTRAEA_REQUIRE(k >= 0, "mediator {}: negative position {}", m, k);
      clients = std::max(clients, k + 1);
    }
  }
  std::vector<uint8_t> seen(size_t(clients), 0);
  for (size_t m = 0; m < groups.size(); ++m)
    for (int64_t k : groups[m]) {
      ASTRAEA_REQUIRE(!seen[size_t(k)], "position {} is in more than one mediator (again in mediator {})", k, m);
      seen[size_t(k)] = 1;
    }
  return clients;
}

}  // namespace

MediatorGroups balance_mediators(const int32_t* histograms, int classes, const MediatorGroups& groups,
                                 const BalanceOptions& o) {
  ASTRAEA_REQUIRE(o.objective == "mean" || o.objective == "max", "astraea.balance = \"{}\": expected mean or max", o.objective);
  ASTRAEA_REQUIRE(o.passes >= 0, "astraea.balance_passes = {}: must be >= 0", o.passes);
  require_worst_ratio(o.worst_ratio, o.objective);
  ASTRAEA_REQUIRE(o.threads >= 0, "balance threads = {}: must be >= 0", o.threads);
  ASTRAEA_REQUIRE(o.target.empty() || int(o.target.size()) == classes, "balance target: {} weights for {} classes",
                  o.target.size(), classes);
  const int64_t clients = check_groups(groups, o.gamma);
  if (groups.size() <= 1) return groups;
  std::vector<double> target = o.target;
  if (!target.empty()) {
    double sum = 0;
    for (double t : target) {
      ASTRAEA_REQUIRE(t >= 0 && std::isfinite(t), "balance target: weight {} is not a finite non-negative number", t);
      sum += t;
    }
    ASTRAEA_REQUIRE(sum > 0, "balance target: the weights sum to zero");
    for (double& t : target) t /= sum;
  }
  int64_t largest = 0;
  for (int64_t i = 0; i < clients; ++i)
    largest = std::max<int64_t>(largest, std::accumulate(histograms + i * classes, histograms + (i + 1) * classes, int64_t{0}));
  const MediatorScore score(classes, std::min<int64_t>(largest * o.gamma, 1 << 20));
  Balancer balancer(histograms, classes, groups, o.gamma, score, target, o.bounds, o.threads);
  HostEngine engine = make_host_engine(o.seed, RngStream::kScheduler, o.round, 1);
  if (o.objective == "max") {
    // The worst mediator is lowered from the mean's groups: swaps that only ever lower the worst
    // of two mediators get stuck early when started from the greedy's. Should the mean's groups
    // end with a worse worst mediator than the start, the swaps start from the start instead
    // (never worse than the start, as for objective mean).
    const Balancer start = balancer;
    improve(balancer, false, o.passes, engine);
    improve(balancer, true, o.passes, engine);
    if (balancer.objective(true) > start.objective(true)) {
      balancer = start;
      improve(balancer, true, o.passes, engine);
    }
    worst_rounds(balancer, o.passes, engine);
    if (o.mean_under_max) {  // then the lowest mean that keeps the worst mediator: capped mean passes
      balancer.set_cap(balancer.objective(true));
      descend(balancer, false, o.passes);
    }
  } else {
    improve(balancer, false, o.passes, engine);
    if (o.worst_ratio > 0) worst_within(balancer, o.worst_ratio);
  }
  return balancer.positions();
}

void positions_to_chains(MediatorGroups& groups, const std::vector<int64_t>& ids) {
  for (auto& g : groups) {
    for (int64_t& k : g) k = ids[size_t(k)];
    std::sort(g.begin(), g.end());
  }
}

void chains_to_positions(MediatorGroups& groups, const std::vector<int64_t>& ids) {
  std::unordered_map<int64_t, int64_t> row;
  for (size_t i = 0; i < ids.size(); ++i) row[ids[i]] = int64_t(i);
  std::vector<uint8_t> seen(ids.size(), 0);
  for (auto& g : groups)
    for (int64_t& k : g) {
      const auto it = row.find(k);
      ASTRAEA_REQUIRE(it != row.end(), "client {} is not among the ids of the rows", k);
      ASTRAEA_REQUIRE(!seen[size_t(it->second)]++, "client {} is in more than one mediator", k);
      k = it->second;
    }
}

}  // namespace astraea

namespace astraea::schedulers {
namespace {

class BalancedScheduler final : public MediatorScheduler {
 public:
  explicit BalancedScheduler(const SchedulerOptions& o) : gamma_(o.gamma) {
    options_.gamma = o.gamma;
    options_.objective = o.balance;
    options_.passes = o.balance_passes;
    options_.worst_ratio = o.balance_worst_ratio;
    options_.seed = o.seed;
  }
  std::string name() const override { return "balanced"; }
  MediatorGroups schedule_rows(const int32_t* rows, int classes, const std::vector<int64_t>& ids,
                               uint32_t round) override {
    std::vector<int64_t> positions(ids.size());
    std::iota(positions.begin(), positions.end(), 0);
    // For the worst mediator, the hardest clients open the mediators (see MediatorSeed).
    const MediatorSeed seed = options_.objective == "max" ? MediatorSeed::hardest : MediatorSeed::flattest;
    MediatorGroups groups = uniform_target() ? greedy_mediators(rows, classes, positions, gamma_, 0, seed)
                                             : greedy_mediators_to_target(rows, classes, positions, gamma_, target_, seed);
    BalanceOptions o = options_;
    o.round = round;
    o.target = target_;
    groups = balance_mediators(rows, classes, groups, o);
    positions_to_chains(groups, ids);
    return groups;
  }

 private:
  int gamma_;
  BalanceOptions options_;
};

}  // namespace

std::unique_ptr<MediatorScheduler> make_balanced(const SchedulerOptions& o) {
  ASTRAEA_REQUIRE(o.balance == "mean" || o.balance == "max", "astraea.balance = \"{}\": expected mean or max", o.balance);
  ASTRAEA_REQUIRE(o.balance_passes >= 0, "astraea.balance_passes = {}: must be >= 0", o.balance_passes);
  require_worst_ratio(o.balance_worst_ratio, o.balance);
  return std::make_unique<BalancedScheduler>(o);
}

}  // namespace astraea::schedulers
