// "balanced": the greedy's groups, then improved by swapping clients between mediators (and moving
// them into the last, short one) while the objective falls. Objective "mean": the sample-weighted
// mean mediator KL, i.e. sum_m C_m with C_m = sum_y f(h_my) - f(T_m) = T_m (KL_m - log N), f(v) =
// v log v; it can never go below the pooled distribution's KL (the floor). Objective "max": the
// worst mediator's KL, lowered by further passes from the mean's groups. Each pass visits the
// mediators from the worst down; each is offered its `kPartners` most complementary mediators
// (the most negative dot product of the deviations of their distributions from the pooled one;
// with many mediators, searched among those whose most over-represented class is the one it lacks
// most) and takes the best improving swap or move.
// Passes stop when one changes nothing or after astraea.balance_passes: deterministic, no clock.
// For "max", the passes are followed by rounds of the worst mediator against every other one (the
// complementary few miss the exchanges that lower it), then passes again, while the worst falls.
// Passes left over once no single swap helps go to iterated local search: a seeded random swap
// between two mediators (a kick), passes until nothing helps, kept only if the objective fell.
// Toward a non-uniform target (astraea.target, a feedback replan) KL is measured to the target:
// f(v) gains -v log t_y, and deviations are taken from the target instead of the pooled mix.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/fl/mediator_score.hpp"
#include "schedulers.hpp"

namespace astraea::schedulers {
namespace {

constexpr int kPartners = 4;
constexpr size_t kFullSearch = 512;  // mediators up to which every one is a partner candidate
constexpr size_t kBucketScan = 256;  // beyond: candidates scanned from the complementary bucket
constexpr size_t kWorstScan = 1024;  // partners the worst mediator tries per window
constexpr int kWorstRounds = 8;      // rounds of worst-mediator exchanges and passes, at most
constexpr size_t kChainFirst = 8;    // first exchanges tried by a chain of two

class Balancer {
 public:
  Balancer(const int32_t* rows, int classes, const MediatorGroups& positions, int gamma, const MediatorScore& score,
           const std::vector<double>& target)
      : rows_(rows), n_(classes), gamma_(gamma), score_(&score), groups_(positions),
        log_t_(classes, -std::log(double(classes))) {
    for (size_t y = 0; y < target.size(); ++y) log_t_[y] = target[y] > 0 ? std::log(target[y]) : -700.0;
    const size_t M = groups_.size();
    // Each client's non-zero classes (CSR), so a swap touches only the classes it changes.
    support_start_.push_back(0);
    int64_t clients = 0;
    for (const auto& g : groups_) clients += int64_t(g.size());
    for (int64_t i = 0; i < clients; ++i) {
      for (int y = 0; y < classes; ++y)
        if (rows[i * classes + y] != 0) support_.push_back(y);
      support_start_.push_back(int64_t(support_.size()));
    }
    h_.assign(M * n_, 0);
    total_.assign(M, 0);
    cost_.assign(M, 0);
    pooled_.assign(n_, 0.0);
    for (size_t m = 0; m < M; ++m) {
      for (int64_t i : groups_[m]) add(m, i, +1);
      refresh(m);
    }
    double all = 0;
    for (size_t m = 0; m < M; ++m)
      for (int y = 0; y < n_; ++y) pooled_[y] += double(h_[m * n_ + y]), all += double(h_[m * n_ + y]);
    for (double& p : pooled_) p = all > 0 ? p / all : 0.0;
    if (!target.empty()) pooled_ = target;  // deviations are measured from the target
  }

  // One pass; true if anything changed.
  bool pass(bool worst_case) {
    const size_t M = groups_.size();
    std::vector<size_t> order(M);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return kl(a) > kl(b); });
    bool changed = false;
    std::vector<double> dev(M * n_);
    for (size_t m = 0; m < M; ++m) deviation(m, dev.data() + m * n_);
    // Mediators by their most over-represented class (the buckets partners come from when many).
    std::vector<std::vector<size_t>> by_excess(n_);
    if (M > kFullSearch) {
      for (size_t m = 0; m < M; ++m) {
        const double* d = dev.data() + m * n_;
        by_excess[std::max_element(d, d + n_) - d].push_back(m);
      }
    }
    std::vector<std::pair<double, size_t>> dots;
    for (size_t a : order) {
      // The partners whose deviations most oppose a's.
      dots.clear();
      const auto offer_partner = [&](size_t b) {
        if (b == a) return;
        double d = 0;
        for (int y = 0; y < n_; ++y) d += dev[a * n_ + y] * dev[b * n_ + y];
        dots.emplace_back(d, b);
      };
      if (M <= kFullSearch) {
        for (size_t b = 0; b < M; ++b) offer_partner(b);
      } else {
        const double* d = dev.data() + a * n_;
        const std::vector<size_t>& bucket = by_excess[std::min_element(d, d + n_) - d];
        const size_t start = bucket.empty() ? 0 : (a * 7919) % bucket.size();
        for (size_t k = 0; k < std::min(kBucketScan, bucket.size()); ++k) offer_partner(bucket[(start + k) % bucket.size()]);
      }
      if (dots.empty()) continue;
      const size_t k = std::min<size_t>(kPartners, dots.size());
      std::partial_sort(dots.begin(), dots.begin() + k, dots.end());
      Change best;
      for (size_t p = 0; p < k; ++p) consider(a, dots[p].second, worst_case, best);
      if (best.b == kNone) continue;
      apply(a, best);
      deviation(a, dev.data() + a * n_);
      deviation(best.b, dev.data() + best.b * n_);
      changed = true;
    }
    return changed;
  }

  // The worst mediator against every other one, not only its most complementary: applies the
  // swap or move that lowers it most without lifting its partner to its level; false when none
  // does (the worst mediator cannot be lowered by one exchange).
  bool lower_worst() {
    const size_t M = groups_.size();
    const size_t a = worst();
    // The others in windows of kWorstScan, the first window moving on at each call: the first
    // window with an exchange that lowers a is taken, and false means none of them has one.
    Change best;
    for (size_t seen = 0; seen < M - 1 && best.b == kNone; ++worst_window_) {
      for (size_t k = 0; k < kWorstScan && seen < M - 1; ++k, ++seen)
        consider(a, (a + 1 + (worst_window_ * kWorstScan + k) % (M - 1)) % M, true, best);
    }
    if (best.b == kNone) return false;
    apply(a, best);
    return true;
  }

  // When no single exchange lowers the worst mediator a, two in a row: one with b that lowers a
  // but lifts b to a's level or above, then one of b with a third mediator that brings both below
  // that level. The kChainFirst first exchanges that lift b least are tried; false if none works.
  bool lower_worst_by_chain() {
    const size_t M = groups_.size();
    if (M < 3) return false;
    const size_t a = worst();
    const double level = kl(a);
    struct First {
      double lifted;  // b's KL after
      Change change;
    };
    std::vector<First> firsts;
    for (size_t b = 0; b < M; ++b) {
      if (b == a) continue;
      exchanges(a, b, [&](size_t i, size_t j) {
        const After x = after(a, b, i, j);
        if (kl_of(x.cost_a, x.total_a) < level - 1e-12)
          firsts.push_back(First{kl_of(x.cost_b, x.total_b), Change{b, i, j, 0, 0}});
      });
    }
    const size_t k = std::min(kChainFirst, firsts.size());
    std::partial_sort(firsts.begin(), firsts.begin() + std::ptrdiff_t(k), firsts.end(),
                      [](const First& x, const First& y) { return x.lifted < y.lifted; });
    for (size_t f = 0; f < k; ++f) {
      const size_t b = firsts[f].change.b;
      const Saved saved_a = save(a), saved_b = save(b);
      apply(a, firsts[f].change);
      Change second;
      for (size_t c = 0; c < M; ++c)
        if (c != a && c != b) consider(b, c, true, second);
      if (second.b != kNone && second.objective < level - 1e-12) {
        apply(b, second);
        return true;
      }
      restore(saved_a);
      restore(saved_b);
    }
    return false;
  }

  size_t worst() const {  // the mediator of the largest KL (the first, on ties)
    size_t a = 0;
    for (size_t m = 1; m < groups_.size(); ++m)
      if (kl(m) > kl(a)) a = m;
    return a;
  }

  MediatorGroups positions() const { return groups_; }
  size_t mediators() const { return groups_.size(); }
  double objective(bool worst_case) const {
    double v = worst_case ? 0.0 : 0.0;
    for (size_t m = 0; m < groups_.size(); ++m) v = worst_case ? std::max(v, kl(m)) : v + cost_[m];
    return v;
  }
  // Swaps a random client of one random mediator with one of another (the ILS kick).
  void kick(HostEngine& engine) {
    const size_t M = groups_.size();
    const size_t a = engine() % M, b = (a + 1 + engine() % (M - 1)) % M;
    apply(a, Change{b, size_t(engine() % groups_[a].size()), size_t(engine() % groups_[b].size()), 0, 0});
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;
  struct Change {
    size_t b = kNone;
    size_t i = kNone, j = kNone;  // positions within a and b; kNone: nothing moves that way
    double objective = 0;         // mean: the change of sum C; max: the larger KL after
    double delta = 0;             // the change of sum C (tie-break for max)
  };

  const int32_t* row(int64_t i) const { return rows_ + i * n_; }
  double f(int64_t v) const { return score_->f(v); }
  double kl(size_t m) const { return total_[m] > 0 ? cost_[m] / double(total_[m]) : 0.0; }
  void add(size_t m, int64_t i, int sign) {
    const int32_t* x = row(i);
    for (int y = 0; y < n_; ++y) {
      h_[m * n_ + y] += sign * x[y];
      total_[m] += sign * x[y];
    }
  }
  void refresh(size_t m) {
    double c = 0;
    for (int y = 0; y < n_; ++y) c += f(h_[m * n_ + y]) - double(h_[m * n_ + y]) * log_t_[y];
    cost_[m] = c - f(total_[m]);
  }
  void deviation(size_t m, double* out) const {
    const double t = std::max<double>(double(total_[m]), 1.0);
    for (int y = 0; y < n_; ++y) out[y] = double(h_[m * n_ + y]) / t - pooled_[y];
  }
  // C of mediator m with client `out` removed and `in` added (either may be -1: none), over the
  // classes either holds.
  double cost_after(size_t m, int64_t out, int64_t in, int64_t* total) const {
    const int32_t* xo = out >= 0 ? row(out) : nullptr;
    const int32_t* xi = in >= 0 ? row(in) : nullptr;
    double c = cost_[m] + f(total_[m]);
    int64_t t = total_[m];
    const auto change = [&](int y) {
      const int64_t d = (xi ? xi[y] : 0) - (xo ? xo[y] : 0);
      if (d == 0) return;
      const int64_t v = h_[m * n_ + y];
      c += f(v + d) - f(v) - double(d) * log_t_[y];
      t += d;
    };
    if (out >= 0)
      for (int64_t k = support_start_[out]; k < support_start_[out + 1]; ++k) change(support_[k]);
    if (in >= 0)
      for (int64_t k = support_start_[in]; k < support_start_[in + 1]; ++k)
        if (!xo || xo[support_[k]] == 0) change(support_[k]);  // classes `out` holds were done above
    *total = t;
    return c - f(t);
  }
  double kl_of(double cost, int64_t total) const { return total > 0 ? cost / double(total) : 0.0; }

  // C and T of mediators a and b after exchanging positions i and j (kNone: nothing that way).
  struct After {
    double cost_a, cost_b;
    int64_t total_a, total_b;
  };
  After after(size_t a, size_t b, size_t i, size_t j) const {
    const int64_t ci = i == kNone ? -1 : groups_[a][i], cj = j == kNone ? -1 : groups_[b][j];
    After x{};
    x.cost_a = cost_after(a, ci, cj, &x.total_a);
    x.cost_b = cost_after(b, cj, ci, &x.total_b);
    return x;
  }

  void offer(size_t a, size_t b, size_t i, size_t j, bool worst_case, Change& best) const {
    const After x = after(a, b, i, j);
    const double na = x.cost_a, nb = x.cost_b;
    const int64_t ta = x.total_a, tb = x.total_b;
    const double delta = na + nb - cost_[a] - cost_[b];
    const double scale = 1e-9 * (std::fabs(cost_[a]) + std::fabs(cost_[b]) + 1.0);
    double objective;
    if (worst_case) {
      objective = std::max(kl_of(na, ta), kl_of(nb, tb));
      if (!(objective < std::max(kl(a), kl(b)) - 1e-12)) return;
      if (best.b != kNone && !(objective < best.objective || (objective == best.objective && delta < best.delta))) return;
    } else {
      objective = delta;
      if (!(delta < -scale)) return;
      if (best.b != kNone && !(delta < best.objective)) return;
    }
    best = Change{b, i, j, objective, delta};
  }

  // Every swap (i, j) and move (i, kNone) or (kNone, j) between a and b; moves keep every
  // mediator non-empty and within gamma.
  template <typename F>
  void exchanges(size_t a, size_t b, F&& each) const {
    const size_t A = groups_[a].size(), B = groups_[b].size();
    for (size_t i = 0; i < A; ++i)
      for (size_t j = 0; j < B; ++j) each(i, j);
    if (A > 1 && B < size_t(gamma_))
      for (size_t i = 0; i < A; ++i) each(i, kNone);
    if (B > 1 && A < size_t(gamma_))
      for (size_t j = 0; j < B; ++j) each(kNone, j);
  }

  void consider(size_t a, size_t b, bool worst_case, Change& best) const {
    exchanges(a, b, [&](size_t i, size_t j) { offer(a, b, i, j, worst_case, best); });
  }

  // One mediator's state, to undo a tentative exchange.
  struct Saved {
    size_t m;
    std::vector<int64_t> members, counts;
    int64_t total;
    double cost;
  };
  Saved save(size_t m) const {
    return Saved{m, groups_[m], std::vector<int64_t>(h_.begin() + std::ptrdiff_t(m * n_), h_.begin() + std::ptrdiff_t((m + 1) * n_)),
                 total_[m], cost_[m]};
  }
  void restore(const Saved& s) {
    groups_[s.m] = s.members;
    std::copy(s.counts.begin(), s.counts.end(), h_.begin() + std::ptrdiff_t(s.m * n_));
    total_[s.m] = s.total;
    cost_[s.m] = s.cost;
  }

  void apply(size_t a, const Change& c) {
    const size_t b = c.b;
    int64_t ci = -1, cj = -1;
    if (c.i != kNone) {
      ci = groups_[a][c.i];
      add(a, ci, -1);
      add(b, ci, +1);
      groups_[a].erase(groups_[a].begin() + std::ptrdiff_t(c.i));
    }
    if (c.j != kNone) {
      cj = groups_[b][c.j];
      add(b, cj, -1);
      add(a, cj, +1);
      groups_[b].erase(groups_[b].begin() + std::ptrdiff_t(c.j));
    }
    if (ci >= 0) groups_[b].push_back(ci);
    if (cj >= 0) groups_[a].push_back(cj);
    refresh(a);
    refresh(b);
  }

  const int32_t* rows_;
  int n_, gamma_;
  const MediatorScore* score_;
  MediatorGroups groups_;  // positions into rows
  std::vector<int64_t> h_, total_;
  std::vector<int32_t> support_;        // the clients' non-zero classes
  std::vector<int64_t> support_start_;  // client i: support_[start[i], start[i + 1])
  std::vector<double> cost_, pooled_;
  std::vector<double> log_t_;  // log of the target, per class
  size_t worst_window_ = 0;    // lower_worst's windows so far: where its next one starts
};

class BalancedScheduler final : public MediatorScheduler {
 public:
  explicit BalancedScheduler(const SchedulerOptions& o)
      : gamma_(o.gamma), worst_case_(o.balance == "max"), passes_(o.balance_passes), seed_(o.seed) {}
  std::string name() const override { return "balanced"; }
  // Passes until one changes nothing, then kicks (iterated local search) while passes are left.
  void improve(Balancer& balancer, bool worst_case, HostEngine& engine) const {
    int used = 0;
    while (used < passes_ && balancer.pass(worst_case)) ++used;
    while (++used < passes_) {
      const Balancer before = balancer;
      balancer.kick(engine);
      while (used < passes_ && balancer.pass(worst_case)) ++used;
      if (!(balancer.objective(worst_case) < before.objective(worst_case))) balancer = before;
    }
  }
  // Rounds of the worst mediator against every other one, one exchange at a time until none
  // lowers it (at most one exchange per mediator in all), then passes, while the worst falls.
  void worst_rounds(Balancer& balancer, HostEngine& engine) const {
    size_t steps = 0;
    const size_t limit = balancer.mediators();
    for (int round = 0; round < kWorstRounds; ++round) {
      const double before = balancer.objective(true);
      if (round > 0) improve(balancer, true, engine);
      while (steps < limit && (balancer.lower_worst() || balancer.lower_worst_by_chain())) ++steps;
      if (!(balancer.objective(true) < before)) break;
    }
  }
  MediatorGroups schedule_rows(const int32_t* rows, int classes, const std::vector<int64_t>& ids,
                               uint32_t round) override {
    std::vector<int64_t> positions(ids.size());
    std::iota(positions.begin(), positions.end(), 0);
    MediatorGroups groups = uniform_target() ? greedy_mediators(rows, classes, positions, gamma_)
                                             : greedy_mediators_to_target(rows, classes, positions, gamma_, target_);
    if (groups.size() > 1) {
      int64_t largest = 0;
      for (size_t i = 0; i < ids.size(); ++i) {
        largest = std::max<int64_t>(largest, std::accumulate(rows + i * classes, rows + (i + 1) * classes, int64_t{0}));
      }
      const MediatorScore score(classes, std::min<int64_t>(largest * gamma_, 1 << 20));
      Balancer balancer(rows, classes, groups, gamma_, score, target_);
      HostEngine engine = make_host_engine(seed_, RngStream::kScheduler, round, 1);
      if (worst_case_) {
        // The worst mediator is lowered from the mean's groups: swaps that only ever lower the
        // worst of two mediators get stuck early when started from the greedy's. Should the mean's
        // groups end with a worse worst mediator than the greedy's, the swaps start from the
        // greedy's instead (never worse than the greedy, as for objective mean).
        const Balancer greedy = balancer;
        improve(balancer, false, engine);
        improve(balancer, true, engine);
        if (balancer.objective(true) > greedy.objective(true)) {
          balancer = greedy;
          improve(balancer, true, engine);
        }
        worst_rounds(balancer, engine);
      } else {
        improve(balancer, false, engine);
      }
      groups = balancer.positions();
    }
    // Back to client ids, each mediator's clients in ascending id order (the chain's order).
    for (auto& g : groups) {
      for (int64_t& k : g) k = ids[size_t(k)];
      std::sort(g.begin(), g.end());
    }
    return groups;
  }

 private:
  int gamma_;
  bool worst_case_;
  int passes_;
  uint64_t seed_;
};

}  // namespace

std::unique_ptr<MediatorScheduler> make_balanced(const SchedulerOptions& o) {
  ASTRAEA_REQUIRE(o.balance == "mean" || o.balance == "max", "astraea.balance = \"{}\": expected mean or max", o.balance);
  ASTRAEA_REQUIRE(o.balance_passes >= 0, "astraea.balance_passes = {}: must be >= 0", o.balance_passes);
  return std::make_unique<BalancedScheduler>(o);
}

}  // namespace astraea::schedulers
