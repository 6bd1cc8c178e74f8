// The balanced scheduler's local search (balanced.cpp): mediators' class counts and costs, and the
// exchanges (swaps and moves of clients) between them that lower the weighted mean or the worst
// mediator KL. With C_m = sum_y f(h_my) - f(T_m) = T_m KL_m, f(v) = v log v (toward a target t,
// f(v) gains -v log t_y): the weighted mean is sum_m C_m / T, so an exchange's worth is the change
// of C over the two mediators it touches.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "astraea/core/rng.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "astraea/fl/mediator_score.hpp"

namespace astraea::schedulers {

class Balancer {
 public:
  // `positions`: the groups, as positions into `rows`. `bounds` false: every exchange is scored
  // exactly (the reference the bounds are tested against; the same groups). `threads` scan long
  // lists of partners (0: OpenMP's); the groups do not depend on it.
  Balancer(const int32_t* rows, int classes, const MediatorGroups& positions, int gamma, const MediatorScore& score,
           const std::vector<double>& target, bool bounds = true, int threads = 0);

  // One pass; true if anything changed.
  bool pass(bool worst_case);

  // Mean passes take no exchange that leaves either mediator's KL above `cap` (none: infinity):
  // lowering the mean without lifting the worst mediator.
  void set_cap(double cap) { cap_ = cap; }

  // The worst mediator against every other one, not only its most complementary: applies the
  // swap or move that lowers it most without lifting its partner to its level; false when none
  // does (the worst mediator cannot be lowered by one exchange).
  bool lower_worst();

  // When no single exchange lowers the worst mediator a, two in a row: one with b that lowers a
  // but lifts b to a's level or above, then one of b with a third mediator that brings both below
  // that level. The kChainFirst first exchanges that lift b least are tried; false if none works.
  bool lower_worst_by_chain();

  size_t worst() const;  // the mediator of the largest KL (the first, on ties): O(1)

  MediatorGroups positions() const { return groups_; }
  size_t mediators() const { return groups_.size(); }
  double objective(bool worst_case) const;
  double weighted_kl() const;  // the sample-weighted mean mediator KL, sum_m C_m / sum_m T_m
  // Swaps a random client of one random mediator with one of another (the ILS kick).
  void kick(HostEngine& engine);

 private:
  static constexpr size_t kNone = SIZE_MAX;
  // How far below the worst of two mediators' KLs an exchange must bring them to count as lowering
  // it (improves_below, and the chains of lower_worst_by_chain): rounding is not an improvement.
  static constexpr double kLevelMargin = 1e-12;
  struct Change {
    size_t b = kNone;
    size_t i = kNone, j = kNone;  // positions within a and b; kNone: nothing moves that way
    double objective = 0;         // mean: the change of sum C; max: the larger KL after
    double delta = 0;             // the change of sum C (tie-break for max)
  };

  const int32_t* row(int64_t i) const { return rows_ + i * n_; }
  double f(int64_t v) const { return score_->f(v); }
  double kl(size_t m) const { return total_[m] > 0 ? cost_[m] / double(total_[m]) : 0.0; }
  void add(size_t m, int64_t i, int sign);
  void refresh(size_t m);  // C_m from the counts, and m's place in the ranking (rank)
  // The ranking of mediators by KL, a tournament tree (node k's children 2k and 2k + 1; the root
  // at 1 holds the worst mediator): rank(m) replays m's path after its KL changed.
  static constexpr uint32_t kNoMediator = UINT32_MAX;
  uint32_t higher(uint32_t left, uint32_t right) const;
  void rank(size_t m);
  void deviation(size_t m, double* out) const;
  // C of mediator m with client `out` removed and `in` added (either may be -1: none), over the
  // classes either holds.
  double cost_after(size_t m, int64_t out, int64_t in, int64_t* total) const;
  double kl_of(double cost, int64_t total) const { return total > 0 ? cost / double(total) : 0.0; }

  // C and T of mediators a and b after exchanging positions i and j (kNone: nothing that way).
  struct After {
    double cost_a, cost_b;
    int64_t total_a, total_b;
  };
  After after(size_t a, size_t b, size_t i, size_t j) const;
  // Samples that go from a to b when a gives position i and b gives j (negative: toward a).
  int64_t moved(size_t a, size_t b, size_t i, size_t j) const;

  // Every swap (i, j) and move (i, kNone) or (kNone, j) between a and b; moves keep every
  // mediator non-empty and within gamma.
  template <typename F>
  void exchanges(size_t a, size_t b, F&& each) const;

  // Linear lower bounds on an exchange's change of C_a and C_b. C is convex in the counts (sum_y
  // h_y log(h_y / T) is a sum of perspectives of v log v), so C(h + D) >= C(h) + grad C(h) . D,
  // grad_y = log(h_y / T) - log t_y; where m holds none of class y the gradient is -inf (no bound,
  // unless D leaves y alone). Filled by bound(a, b): a client's dot with each gradient (a's own
  // terms once per state of a, b's per pair).
  // For a's side also a bound at a without client i, which is exact on i's removal, with the
  // curvature of f (f'' = 1/v) added: with h' = h - x_i and T' its total,
  //   C_a(h' + x_j) >= C_a(h') + grad C_a(h') . x_j + sum_y x_jy^2 / (2 (h_y + x_jy)) - |x_j|^2 / (2 T'),
  // as f(h' + x) >= f(h') + f'(h') x + x^2 / (2 (h' + x)) per class (h_y >= h'_y only loosens it) and
  // -f(T' + X) >= -f(T') - f'(T') X - X^2 / (2 T'). A scan of many partners for one mediator a (the
  // worst one, a pass's pick) computes a's part of it once.
  struct Linear {
    // a's terms, held for mediator `without_of` at state `without_at` (Balancer::changes_): without().
    size_t without_of = SIZE_MAX;
    uint64_t without_at = 0;
    std::vector<double> grad_a;            // [classes]
    std::vector<double> a_on_a;            // [A]: grad_a . x_i
    std::vector<double> without_cost;      // [A]: C_a without client i
    std::vector<double> a_off;             // [A]: C_a without i, less C_a
    std::vector<int64_t> a_size;           // [A]: client i's size
    std::vector<double> a_half;            // [A]: 1 / (2 T'), 0 when a without i is empty
    std::vector<double> without_grad;      // [classes * A]: grad C_a without client i, by class
    // The pair's terms: bound(a, b).
    std::vector<double> grad_b;            // [classes]
    std::vector<double> a_on_b;            // [A]: grad_b . x_i
    std::vector<double> b_on_a, b_on_b;    // [B]: grad_a . x_j and grad_b . x_j, for b's clients
    std::vector<double> b_on_without;      // [B * A]: without_grad_i . x_j
    std::vector<double> b_curve;           // [B]: sum_y x_jy^2 / (2 (h_ay + x_jy))
    // The swap screen's per-pair inputs and its verdicts (consider()).
    std::vector<double> a_abs;
    std::vector<int64_t> b_size;
    std::vector<uint8_t> open;             // [B * A]
  };
  void gradient(size_t m, std::vector<double>& g) const;
  double dot(const std::vector<double>& g, int64_t client) const;
  void bound(size_t a, size_t b, Linear& l) const;
  // Fills a's terms of l, unless they hold a's current state already.
  void without(size_t a, Linear& l) const;
  // Lower bounds on the change of C_a and C_b when a gives position i and b gives j (kNone:
  // nothing), from the last bound(a, b); `margin` covers their rounding and the exact score's.
  struct Below {
    double da, db, margin;
  };
  static constexpr Below kNoBound{-std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), 0};
  Below below(size_t a, size_t b, size_t i, size_t j, const Linear& l) const;
  // What an exchange's objective must be below to improve on a and b: the larger of their KLs
  // (worst case), or no change of sum C (mean), less a rounding margin.
  double improves_below(size_t a, size_t b, bool worst_case) const;
  // Whether an objective of at least `lowest` can still improve on a and b and beat `best`.
  bool may_win(size_t a, size_t b, double lowest, bool worst_case, const Change& best) const;
  // Whether the bounds `w` (kNoBound: none) leave the exchange that moves `out` samples from a to
  // b a chance against `best`: the test before any exact score.
  bool bounds_allow(size_t a, size_t b, const Below& w, int64_t out, bool worst_case, const Change& best) const;
  // Takes the exchange that `bounds_allow` let through if it improves and beats `best`: the exact
  // change of C_a first, that of C_b only when C_a's and b's bound still allow a win.
  void offer(size_t a, size_t b, size_t i, size_t j, const Below& w, int64_t out, bool worst_case, Change& best) const;

  // What a pass's pick reads besides the state: the deviations and the buckets of partners.
  struct PassView {
    const std::vector<double>* dev;
    const std::vector<std::vector<size_t>>* by_excess;
  };
  // A's best exchange with its most complementary partners, and what decided which were tried:
  // the candidates whose dots were compared (`scanned`; every other mediator when `all`), and the
  // last (dot, mediator) kept among them.
  struct Pick {
    Change best;
    std::vector<size_t> partners, scanned;
    bool all = false;
    std::pair<double, size_t> last{0.0, 0};
  };
  Pick pick(size_t a, bool worst_case, const PassView& view, Linear& l) const;
  // Whether a's pick is still the one it would make after mediator t changed (a did not).
  bool still_valid(const Pick& p, size_t a, size_t t, const PassView& view) const;
  // How a and b's deviations oppose each other (most negative: most complementary). pick() ranks
  // partners by it and still_valid() re-ranks with it: the same arithmetic, the same order.
  double deviation_dot(const PassView& view, size_t a, size_t b) const;

  // Offers every exchange between a and b; `l`: the bounds' scratch (one per thread).
  void consider(size_t a, size_t b, bool worst_case, Change& best, Linear& l) const;
  // Whether offer() would let c replace `than`.
  static bool better(const Change& c, const Change& than, bool worst_case);
  // The best exchange of a with any of `partners`: the one a scan of them in order takes. Long
  // lists are split into runs, one per thread, whose bests are merged in run order.
  Change best_of(size_t a, const std::vector<size_t>& partners, bool worst_case) const;
  // Threads for `items` (partners of a scan, mediators of a pass), at least `per_thread` each, each
  // thread with its scratch in scratch_.
  int threads_for(size_t items, size_t per_thread) const;

  // One mediator's state, to undo a tentative exchange.
  struct Saved {
    size_t m;
    std::vector<int64_t> members, counts;
    int64_t total;
    double cost;
  };
  Saved save(size_t m) const;
  void restore(const Saved& s);

  void apply(size_t a, const Change& c);

  const int32_t* rows_;
  int n_, gamma_;
  bool bounds_;
  int threads_;
  const MediatorScore* score_;
  MediatorGroups groups_;  // positions into rows
  std::vector<int64_t> h_, total_, size_;  // size_: per client
  mutable std::vector<Linear> scratch_;    // the bounds' scratch, per thread (threads_for sizes it)
  std::vector<int32_t> support_;        // the clients' non-zero classes
  std::vector<int64_t> support_start_;  // client i: support_[start[i], start[i + 1])
  std::vector<double> cost_, pooled_;
  std::vector<double> log_t_;  // log of the target, per class
  size_t worst_window_ = 0;    // lower_worst's windows so far: where its next one starts
  uint64_t changes_ = 0;       // exchanges applied or undone: the state the bounds' caches belong to
  std::vector<uint32_t> ranking_;  // the tournament tree of KLs (rank())
  double cap_ = std::numeric_limits<double>::infinity();
};

// Small enough to inline where exchanges are scanned (both .cpp files use them).
inline int64_t Balancer::moved(size_t a, size_t b, size_t i, size_t j) const {
  return (i != kNone ? size_[size_t(groups_[a][i])] : 0) - (j != kNone ? size_[size_t(groups_[b][j])] : 0);
}

template <typename F>
void Balancer::exchanges(size_t a, size_t b, F&& each) const {
  const size_t A = groups_[a].size(), B = groups_[b].size();
  for (size_t i = 0; i < A; ++i)
    for (size_t j = 0; j < B; ++j) each(i, j);
  if (A > 1 && B < size_t(gamma_))
    for (size_t i = 0; i < A; ++i) each(i, kNone);
  if (B > 1 && A < size_t(gamma_))
    for (size_t j = 0; j < B; ++j) each(kNone, j);
}

inline Balancer::Below Balancer::below(size_t a, size_t b, size_t i, size_t j, const Linear& l) const {
  Below w{0, 0, 0};
  double size = 0;
  if (i != kNone) w.da -= l.a_on_a[i], w.db += l.a_on_b[i], size += std::fabs(l.a_on_a[i]) + std::fabs(l.a_on_b[i]);
  if (j != kNone) w.da += l.b_on_a[j], w.db -= l.b_on_b[j], size += std::fabs(l.b_on_a[j]) + std::fabs(l.b_on_b[j]);
  if (i != kNone) {  // a without i, exactly, then j by the bound there
    double on = 0;
    if (j != kNone) {
      const double sj = double(size_[size_t(groups_[b][j])]);
      const double total_curve = sj * sj * l.a_half[i];
      on = l.b_on_without[j * groups_[a].size() + i] + l.b_curve[j] - total_curve;
      size += std::fabs(l.b_on_without[j * groups_[a].size() + i]) + std::fabs(l.b_curve[j]) + total_curve;
    }
    const double da = l.without_cost[i] - cost_[a] + on;
    if (da > w.da) w.da = da;
    size += std::fabs(l.without_cost[i]);
  }
  w.margin = 1e-9 * (std::fabs(cost_[a]) + std::fabs(cost_[b]) + size + 1.0);
  return w;
}

}  // namespace astraea::schedulers
