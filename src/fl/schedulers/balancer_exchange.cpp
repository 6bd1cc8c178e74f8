// How the balanced scheduler weighs an exchange between two mediators (balancer.hpp). Exchanges
// are scored incrementally over the classes the moved clients hold; lower bounds per exchange
// (convexity of C: the tangent at each mediator, and for the first mediator also at it without the
// client it gives, with the curvature of f) rule out most of them before any exact score, first
// for a partner's swaps all at once (screen_swaps), then one at a time, with the same result as
// scoring every one.
#include <algorithm>
#include <cmath>
#include <limits>

#include "balancer.hpp"
#include "core/hot_loop.hpp"

namespace astraea::schedulers {
namespace {

// A partner's swaps (i, j) in a tight loop, before the per-exchange test: below()'s bounds from
// per-client terms, with twice its margin, so that the screen never closes a swap that the exact
// test (bounds_allow) would pass; open[j * A + i] says which it leaves open.
struct SwapScreen {
  size_t A, B;
  const double* a_tan;    // [A]: grad_a . x_i
  const double* a_off;    // [A]: C_a without i, less C_a
  const double* a_on_b;   // [A]: grad_b . x_i
  const double* a_abs;    // [A]: |a_tan| + |a_on_b| + |C_a without i|
  const int64_t* a_size;  // [A]
  const double* b_on_a;   // [B]: grad_a . x_j
  const double* b_tan;    // [B]: grad_b . x_j
  const int64_t* b_size;  // [B]
  const double* on;       // [B][A]: grad C_a without i . x_j
  const double* b_curve;  // [B]: the curvature term of x_j at a (Linear::b_curve)
  const double* a_half;   // [A]: 1 / (2 T_a without i), 0 when that is empty
  double cost_a, cost_b;
  int64_t total_a, total_b;
  double below;   // the objective must be below this (improves_below, or the best so far)
  double at_most;  // worst case: and at most this (the best so far; infinity for none)
};

template <bool kWorstCase>
ASTRAEA_HOT_LOOP void screen_swaps(const SwapScreen& s, uint8_t* __restrict open) {
  // Locals and restrict pointers: the byte stores may not alias the inputs, so the loop over a's
  // clients vectorizes (no branches in it either).
  const size_t A = s.A, B = s.B;
  const double* __restrict a_tan = s.a_tan;
  const double* __restrict a_off = s.a_off;
  const double* __restrict a_on_b = s.a_on_b;
  const double* __restrict a_abs = s.a_abs;
  const int64_t* __restrict a_size = s.a_size;
  const double* __restrict a_half = s.a_half;
  const double cost_a = s.cost_a, cost_b = s.cost_b, below = s.below, at_most = s.at_most;
  const int64_t total_a = s.total_a, total_b = s.total_b;
  const double fixed = std::fabs(cost_a) + std::fabs(cost_b) + 1.0;
  for (size_t j = 0; j < B; ++j) {
    const double* __restrict on = s.on + j * A;
    uint8_t* __restrict verdict = open + j * A;
    const double b_on_a = s.b_on_a[j], b_tan = s.b_tan[j];
    const double b_curve = s.b_curve[j];
    const double b_abs = std::fabs(b_on_a) + std::fabs(b_tan) + std::fabs(b_curve);
    const int64_t b_size = s.b_size[j];
    const double b_size2 = double(b_size) * double(b_size);
    for (size_t i = 0; i < A; ++i) {
      const double total_curve = b_size2 * a_half[i];
      const double da = std::max(b_on_a - a_tan[i], a_off[i] + on[i] + b_curve - total_curve);
      const double db = a_on_b[i] - b_tan;
      const double margin = 2e-9 * (fixed + a_abs[i] + b_abs + std::fabs(on[i]) + total_curve);
      bool keep;
      if constexpr (kWorstCase) {
        // Each mediator's KL bound below the threshold, multiplied out by its total (an empty
        // one has none); the doubled margin covers the rounding that the division would not.
        const int64_t out = a_size[i] - b_size;
        const double ta = double(total_a - out), tb = double(total_b + out);
        const double below_a = cost_a + da - margin, below_b = cost_b + db - margin;
        keep = ((ta <= 0) | ((below_a < below * ta) & (below_a <= at_most * ta))) &
               ((tb <= 0) | ((below_b < below * tb) & (below_b <= at_most * tb)));
      } else {
        keep = da + db - margin < below;
      }
      verdict[i] = keep;
    }
  }
}

// The least KL a cost bound allows (none for an empty mediator).
double lowest_kl(double cost, int64_t total) {
  return total > 0 ? cost / double(total) : -std::numeric_limits<double>::infinity();
}

}  // namespace

double Balancer::cost_after(size_t m, int64_t out, int64_t in, int64_t* total) const {
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

Balancer::After Balancer::after(size_t a, size_t b, size_t i, size_t j) const {
  const int64_t ci = i == kNone ? -1 : groups_[a][i], cj = j == kNone ? -1 : groups_[b][j];
  After x{};
  x.cost_a = cost_after(a, ci, cj, &x.total_a);
  x.cost_b = cost_after(b, cj, ci, &x.total_b);
  return x;
}

void Balancer::gradient(size_t m, std::vector<double>& g) const {
  g.assign(size_t(n_), -std::numeric_limits<double>::infinity());
  if (total_[m] <= 0) return;
  const double log_total = score_->log_of(total_[m]);
  for (int y = 0; y < n_; ++y)
    if (h_[m * n_ + y] > 0) g[size_t(y)] = score_->log_of(h_[m * n_ + y]) - log_total - log_t_[size_t(y)];
}

[[gnu::always_inline]] inline double Balancer::dot(const std::vector<double>& g, int64_t client) const {
  const int32_t* x = row(client);
  double d = 0;
  for (int64_t k = support_start_[client]; k < support_start_[client + 1]; ++k) d += g[size_t(support_[k])] * x[support_[k]];
  return d;
}

void Balancer::without(size_t a, Linear& l) const {
  if (l.without_of == a && l.without_at == changes_) return;
  l.without_of = a, l.without_at = changes_;
  const size_t A = groups_[a].size();
  gradient(a, l.grad_a);
  l.a_on_a.clear();
  for (int64_t c : groups_[a]) l.a_on_a.push_back(dot(l.grad_a, c));
  l.without_cost.resize(A), l.a_off.resize(A), l.a_size.resize(A);
  l.a_half.assign(A, 0.0);
  l.without_grad.assign(size_t(n_) * A, -std::numeric_limits<double>::infinity());  // [classes][A]
  for (size_t i = 0; i < A; ++i) {
    const int64_t c = groups_[a][i];
    int64_t total = 0;
    l.without_cost[i] = cost_after(a, c, -1, &total);
    l.a_off[i] = l.without_cost[i] - cost_[a];
    l.a_size[i] = size_[size_t(c)];
    if (total <= 0) continue;
    l.a_half[i] = 0.5 / double(total);
    const double log_total = score_->log_of(total);
    const int32_t* x = row(c);
    for (int y = 0; y < n_; ++y) {
      const int64_t v = h_[a * n_ + y] - x[y];
      if (v > 0) l.without_grad[size_t(y) * A + i] = score_->log_of(v) - log_total - log_t_[size_t(y)];
    }
  }
}

void Balancer::bound(size_t a, size_t b, Linear& l) const {
  for (int64_t c : groups_[b]) __builtin_prefetch(row(c)), __builtin_prefetch(&support_start_[size_t(c)]);
  without(a, l);  // with grad_a and a_on_a
  gradient(b, l.grad_b);
  for (int64_t c : groups_[b]) __builtin_prefetch(support_.data() + support_start_[size_t(c)]);
  l.a_on_b.clear();
  for (int64_t c : groups_[a]) l.a_on_b.push_back(dot(l.grad_b, c));
  // One read of each of b's clients for all of its terms.
  const size_t A = groups_[a].size(), B = groups_[b].size();
  l.b_on_a.assign(B, 0.0), l.b_on_b.assign(B, 0.0), l.b_curve.assign(B, 0.0);
  l.b_on_without.assign(B * A, 0.0);  // [B][A]: a's clients in the inner loop
  const double* grad_a = l.grad_a.data();
  const double* grad_b = l.grad_b.data();
  const int64_t* h_a = h_.data() + a * size_t(n_);
  for (size_t j = 0; j < B; ++j) {
    const int64_t c = groups_[b][j];
    const int32_t* x = row(c);
    double on_a = 0, on_b = 0, curve = 0;
    double* d = l.b_on_without.data() + j * A;
    for (int64_t k = support_start_[c]; k < support_start_[c + 1]; ++k) {
      const int32_t y = support_[k];
      const double v = x[y];
      on_a += grad_a[y] * v;
      on_b += grad_b[y] * v;
      curve += v * v / (2.0 * (double(h_a[y]) + v));
      const double* g = l.without_grad.data() + size_t(y) * A;
      for (size_t i = 0; i < A; ++i) d[i] += g[i] * v;
    }
    l.b_on_a[j] = on_a, l.b_on_b[j] = on_b, l.b_curve[j] = curve;
  }
}

[[gnu::always_inline]] inline double Balancer::improves_below(size_t a, size_t b, bool worst_case) const {
  return worst_case ? std::max(kl(a), kl(b)) - kLevelMargin : -1e-9 * (std::fabs(cost_[a]) + std::fabs(cost_[b]) + 1.0);
}

[[gnu::always_inline]] inline bool Balancer::may_win(size_t a, size_t b, double lowest, bool worst_case, const Change& best) const {
  if (worst_case) {
    if (!(lowest < improves_below(a, b, true))) return false;
    return best.b == kNone || !(lowest > best.objective);
  }
  return lowest < (best.b == kNone ? improves_below(a, b, false) : best.objective);
}

[[gnu::always_inline]] inline bool Balancer::bounds_allow(size_t a, size_t b, const Below& w, int64_t out, bool worst_case, const Change& best) const {
  return may_win(a, b,
                 worst_case ? std::max(lowest_kl(cost_[a] + w.da - w.margin, total_[a] - out),
                                       lowest_kl(cost_[b] + w.db - w.margin, total_[b] + out))
                            : w.da + w.db - w.margin,
                 worst_case, best);
}

void Balancer::offer(size_t a, size_t b, size_t i, size_t j, const Below& w, int64_t out, bool worst_case, Change& best) const {
  const int64_t ci = i == kNone ? -1 : groups_[a][i], cj = j == kNone ? -1 : groups_[b][j];
  const int64_t ta = total_[a] - out, tb = total_[b] + out;
  int64_t total_a = 0, total_b = 0;
  const double na = cost_after(a, ci, cj, &total_a);
  if (!may_win(a, b, worst_case ? std::max(kl_of(na, ta), lowest_kl(cost_[b] + w.db - w.margin, tb)) : na - cost_[a] + w.db - w.margin,
               worst_case, best))
    return;
  const double nb = cost_after(b, cj, ci, &total_b);
  const double delta = na + nb - cost_[a] - cost_[b];
  const double objective = worst_case ? std::max(kl_of(na, total_a), kl_of(nb, total_b)) : delta;
  if (!(objective < improves_below(a, b, worst_case))) return;
  if (!worst_case && (kl_of(na, total_a) > cap_ || kl_of(nb, total_b) > cap_)) return;
  const Change c{b, i, j, objective, delta};
  if (better(c, best, worst_case)) best = c;
}

void Balancer::consider(size_t a, size_t b, bool worst_case, Change& best, Linear& l) const {
  if (!bounds_) {
    exchanges(a, b, [&](size_t i, size_t j) { offer(a, b, i, j, kNoBound, moved(a, b, i, j), worst_case, best); });
    return;
  }
  bound(a, b, l);
  // The swaps through the screen first (against the best so far: a later, better one only closes
  // more), then every exchange it leaves open through the exact test and scores, in order.
  const size_t A = groups_[a].size(), B = groups_[b].size();
  l.a_abs.resize(A), l.b_size.resize(B), l.open.resize(A * B);
  for (size_t i = 0; i < A; ++i) l.a_abs[i] = std::fabs(l.a_on_a[i]) + std::fabs(l.a_on_b[i]) + std::fabs(l.without_cost[i]);
  for (size_t j = 0; j < B; ++j) l.b_size[j] = size_[size_t(groups_[b][j])];
  const double inf = std::numeric_limits<double>::infinity();
  SwapScreen in{A, B, l.a_on_a.data(), l.a_off.data(), l.a_on_b.data(), l.a_abs.data(), l.a_size.data(),
                l.b_on_a.data(), l.b_on_b.data(), l.b_size.data(), l.b_on_without.data(), l.b_curve.data(), l.a_half.data(),
                cost_[a], cost_[b], total_[a], total_[b], 0.0, inf};
  in.below = improves_below(a, b, worst_case);
  if (worst_case) {
    if (best.b != kNone) in.at_most = best.objective;
    screen_swaps<true>(in, l.open.data());
  } else {
    if (best.b != kNone) in.below = best.objective;
    screen_swaps<false>(in, l.open.data());
  }
  exchanges(a, b, [&](size_t i, size_t j) {
    if (i != kNone && j != kNone && !l.open[j * A + i]) return;
    const Below w = below(a, b, i, j, l);
    const int64_t out = moved(a, b, i, j);
    if (bounds_allow(a, b, w, out, worst_case, best)) offer(a, b, i, j, w, out, worst_case, best);
  });
}

bool Balancer::better(const Change& c, const Change& than, bool worst_case) {
  if (than.b == kNone) return true;
  if (worst_case) return c.objective < than.objective || (c.objective == than.objective && c.delta < than.delta);
  return c.objective < than.objective;
}

}  // namespace astraea::schedulers
