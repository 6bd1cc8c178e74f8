// The balanced scheduler's local search (balancer.hpp). Exchanges are scored incrementally over
// the classes the moved clients hold; lower bounds per exchange (convexity of C: the tangent at
// each mediator, and for the first mediator also at it without the client it gives) skip most of
// them before any exact score, with the same result as scoring every one.
#include "balancer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <omp.h>

#include "core/hot_loop.hpp"

namespace astraea::schedulers {
namespace {

constexpr int kPartners = 4;
constexpr size_t kFullSearch = 512;  // mediators up to which every one is a partner candidate
constexpr size_t kBucketScan = 256;  // beyond: candidates scanned from the complementary bucket
constexpr size_t kWorstScan = 128;  // partners the worst mediator tries per window
constexpr size_t kChainFirst = 8;    // first exchanges tried by a chain of two
constexpr size_t kPartnersPerThread = 64;  // a thread's least share of a scan over partners
constexpr size_t kMediatorsPerThread = 32;  // a thread's least share of a pass's mediators

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
  double below;   // the objective must be below this (worst case: max KL of a and b less 1e-12)
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

}  // namespace

Balancer::Balancer(const int32_t* rows, int classes, const MediatorGroups& positions, int gamma, const MediatorScore& score,
                   const std::vector<double>& target, bool bounds, int threads)
    : rows_(rows), n_(classes), gamma_(gamma), bounds_(bounds), threads_(threads), score_(&score), groups_(positions),
      log_t_(classes, -std::log(double(classes))) {
  for (size_t y = 0; y < target.size(); ++y) log_t_[y] = target[y] > 0 ? std::log(target[y]) : -700.0;
  const size_t M = groups_.size();
  // Each client's non-zero classes (CSR), so a swap touches only the classes it changes.
  support_start_.push_back(0);
  int64_t clients = 0;  // rows up to the largest position (a grouping may cover some rows only)
  for (const auto& g : groups_)
    for (int64_t k : g) clients = std::max(clients, k + 1);
  for (int64_t i = 0; i < clients; ++i) {
    for (int y = 0; y < classes; ++y)
      if (rows[i * classes + y] != 0) support_.push_back(y);
    support_start_.push_back(int64_t(support_.size()));
  }
  size_.resize(size_t(clients));
  for (int64_t i = 0; i < clients; ++i) size_[size_t(i)] = std::accumulate(row(i), row(i) + n_, int64_t{0});
  h_.assign(M * n_, 0);
  total_.assign(M, 0);
  cost_.assign(M, 0);
  pooled_.assign(n_, 0.0);
  for (size_t m = 0; m < M; ++m) {
    for (int64_t i : groups_[m]) add(m, i, +1);
    refresh(m);
  }
  // The tournament of KLs that worst() reads: leaves at [leaves, 2 leaves), padded with kNoMediator.
  size_t leaves = 1;
  while (leaves < M) leaves *= 2;
  ranking_.assign(2 * leaves, kNoMediator);
  for (size_t m = 0; m < M; ++m) ranking_[leaves + m] = uint32_t(m);
  for (size_t node = leaves - 1; node >= 1; --node) ranking_[node] = higher(ranking_[2 * node], ranking_[2 * node + 1]);
  double all = 0;
  for (size_t m = 0; m < M; ++m)
    for (int y = 0; y < n_; ++y) pooled_[y] += double(h_[m * n_ + y]), all += double(h_[m * n_ + y]);
  for (double& p : pooled_) p = all > 0 ? p / all : 0.0;
  if (!target.empty()) pooled_ = target;  // deviations are measured from the target
}

Balancer::Pick Balancer::pick(size_t a, bool worst_case, const PassView& view, Linear& l) const {
  const size_t M = groups_.size();
  const std::vector<double>& dev = *view.dev;
  Pick p;
  // The partners whose deviations most oppose a's.
  std::vector<std::pair<double, size_t>> dots;
  const auto offer_partner = [&](size_t b) {
    if (b != a) dots.emplace_back(deviation_dot(view, a, b), b);
  };
  if (M <= kFullSearch) {
    p.all = true;
    for (size_t b = 0; b < M; ++b) offer_partner(b);
  } else {
    const double* d = dev.data() + a * n_;
    const std::vector<size_t>& bucket = (*view.by_excess)[std::min_element(d, d + n_) - d];
    const size_t start = bucket.empty() ? 0 : (a * 7919) % bucket.size();
    for (size_t k = 0; k < std::min(kBucketScan, bucket.size()); ++k) offer_partner(bucket[(start + k) % bucket.size()]);
  }
  if (!p.all)
    for (const auto& d : dots) p.scanned.push_back(d.second);
  if (dots.empty()) return p;
  const size_t k = std::min<size_t>(kPartners, dots.size());
  std::partial_sort(dots.begin(), dots.begin() + std::ptrdiff_t(k), dots.end());
  p.last = dots[k - 1];
  for (size_t q = 0; q < k; ++q) {
    p.partners.push_back(dots[q].second);
    consider(a, dots[q].second, worst_case, p.best, l);
  }
  return p;
}

bool Balancer::still_valid(const Pick& p, size_t a, size_t t, const PassView& view) const {
  if (std::find(p.partners.begin(), p.partners.end(), t) != p.partners.end()) return false;  // its state changed
  if (!p.all && std::find(p.scanned.begin(), p.scanned.end(), t) == p.scanned.end()) return true;  // never a candidate
  // A candidate that was not tried: it must still rank after the last one kept.
  return !(std::make_pair(deviation_dot(view, a, t), t) < p.last);
}

double Balancer::deviation_dot(const PassView& view, size_t a, size_t b) const {
  const double* da = view.dev->data() + a * n_;
  const double* db = view.dev->data() + b * n_;
  double d = 0;
  for (int y = 0; y < n_; ++y) d += da[y] * db[y];
  return d;
}

bool Balancer::pass(bool worst_case) {
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
  const PassView view{&dev, &by_excess};
  // Mediators are visited in order, each taking its best exchange at once. A batch of the next
  // few is picked in parallel on the state before the batch; in order, a pick is kept unless an
  // exchange applied earlier in the batch changed the mediator, a partner it tried, or a candidate
  // that would now rank among those partners (still_valid), else it is picked again now: the
  // exchanges one mediator at a time takes, on any number of threads.
  const int threads = threads_for(M, kMediatorsPerThread);
  const size_t batch = size_t(threads);
  std::vector<size_t> changed_in_batch;  // the mediators the batch's exchanges so far changed
  std::vector<Pick> picks(batch);
  for (size_t first = 0; first < M; first += batch) {
    const size_t count = std::min(batch, M - first);
#pragma omp parallel for num_threads(threads) schedule(static, 1) if (count > 1)
    for (size_t j = 0; j < count; ++j) picks[j] = pick(order[first + j], worst_case, view, scratch_[size_t(omp_get_thread_num())]);
    changed_in_batch.clear();
    for (size_t j = 0; j < count; ++j) {
      const size_t a = order[first + j];
      bool valid = std::find(changed_in_batch.begin(), changed_in_batch.end(), a) == changed_in_batch.end();
      for (size_t t : changed_in_batch) valid = valid && still_valid(picks[j], a, t, view);
      if (!valid) picks[j] = pick(a, worst_case, view, scratch_[0]);  // outside the parallel loop
      const Change& best = picks[j].best;
      if (best.b == kNone) continue;
      apply(a, best);
      deviation(a, dev.data() + a * n_);
      deviation(best.b, dev.data() + best.b * n_);
      changed_in_batch.push_back(a);
      changed_in_batch.push_back(best.b);
      changed = true;
    }
  }
  return changed;
}

bool Balancer::lower_worst() {
  const size_t M = groups_.size();
  const size_t a = worst();
  // The others in windows of kWorstScan, the first window moving on at each call: the first
  // window with an exchange that lowers a is taken, and false means none of them has one.
  Change best;
  std::vector<size_t> partners;
  for (size_t seen = 0; seen < M - 1 && best.b == kNone; ++worst_window_) {
    partners.clear();
    for (size_t k = 0; k < kWorstScan && seen < M - 1; ++k, ++seen)
      partners.push_back((a + 1 + (worst_window_ * kWorstScan + k) % (M - 1)) % M);
    best = best_of(a, partners, true);
  }
  if (best.b == kNone) return false;
  apply(a, best);
  return true;
}

bool Balancer::lower_worst_by_chain() {
  const size_t M = groups_.size();
  if (M < 3) return false;
  const size_t a = worst();
  const double level = kl(a);
  struct First {
    double lifted;  // b's KL after
    Change change;
  };
  // Every exchange that lowers a, in partner order (runs of partners per thread, joined in order).
  const int threads = threads_for(M, kPartnersPerThread);
  std::vector<std::vector<First>> found(static_cast<size_t>(threads));
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int t = 0; t < threads; ++t) {
    Linear& l = scratch_[size_t(t)];
    for (size_t b = M * size_t(t) / size_t(threads); b < M * size_t(t + 1) / size_t(threads); ++b) {
      if (b == a) continue;
      if (bounds_) bound(a, b, l);
      exchanges(a, b, [&](size_t i, size_t j) {
        if (bounds_) {
          const Below w = below(a, b, i, j, l);
          const int64_t ta = total_[a] - moved(a, b, i, j);
          if (ta > 0 && !((cost_[a] + w.da - w.margin) / double(ta) < level - 1e-12)) return;
        }
        const After x = after(a, b, i, j);
        if (kl_of(x.cost_a, x.total_a) < level - 1e-12)
          found[size_t(t)].push_back(First{kl_of(x.cost_b, x.total_b), Change{b, i, j, 0, 0}});
      });
    }
  }
  std::vector<First> firsts;
  for (const auto& run : found) firsts.insert(firsts.end(), run.begin(), run.end());
  const size_t k = std::min(kChainFirst, firsts.size());
  std::partial_sort(firsts.begin(), firsts.begin() + std::ptrdiff_t(k), firsts.end(),
                    [](const First& x, const First& y) { return x.lifted < y.lifted; });
  for (size_t f = 0; f < k; ++f) {
    const size_t b = firsts[f].change.b;
    const Saved saved_a = save(a), saved_b = save(b);
    apply(a, firsts[f].change);
    std::vector<size_t> partners;
    for (size_t c = 0; c < M; ++c)
      if (c != a && c != b) partners.push_back(c);
    const Change second = best_of(b, partners, true);
    if (second.b != kNone && second.objective < level - 1e-12) {
      apply(b, second);
      return true;
    }
    restore(saved_a);
    restore(saved_b);
  }
  return false;
}

uint32_t Balancer::higher(uint32_t left, uint32_t right) const {
  if (right == kNoMediator) return left;
  if (left == kNoMediator) return right;
  return kl(right) > kl(left) ? right : left;  // ties to the left: the lower index
}

void Balancer::rank(size_t m) {
  if (ranking_.empty()) return;  // still in the constructor
  for (size_t node = (ranking_.size() / 2 + m) / 2; node >= 1; node /= 2)
    ranking_[node] = higher(ranking_[2 * node], ranking_[2 * node + 1]);
}

size_t Balancer::worst() const { return ranking_[1]; }

double Balancer::objective(bool worst_case) const {
  if (worst_case) return std::max(0.0, kl(worst()));
  double v = 0.0;
  for (size_t m = 0; m < groups_.size(); ++m) v += cost_[m];
  return v;
}

void Balancer::kick(HostEngine& engine) {
  const size_t M = groups_.size();
  const size_t a = engine() % M, b = (a + 1 + engine() % (M - 1)) % M;
  apply(a, Change{b, size_t(engine() % groups_[a].size()), size_t(engine() % groups_[b].size()), 0, 0});
}

void Balancer::add(size_t m, int64_t i, int sign) {
  const int32_t* x = row(i);
  for (int y = 0; y < n_; ++y) {
    h_[m * n_ + y] += sign * x[y];
    total_[m] += sign * x[y];
  }
}

void Balancer::refresh(size_t m) {
  double c = 0;
  for (int y = 0; y < n_; ++y) c += f(h_[m * n_ + y]) - double(h_[m * n_ + y]) * log_t_[y];
  cost_[m] = c - f(total_[m]);
  rank(m);
}

void Balancer::deviation(size_t m, double* out) const {
  const double t = std::max<double>(double(total_[m]), 1.0);
  for (int y = 0; y < n_; ++y) out[y] = double(h_[m * n_ + y]) / t - pooled_[y];
}

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

[[gnu::always_inline]] inline int64_t Balancer::moved(size_t a, size_t b, size_t i, size_t j) const {
  return (i != kNone ? size_[size_t(groups_[a][i])] : 0) - (j != kNone ? size_[size_t(groups_[b][j])] : 0);
}

Balancer::After Balancer::after(size_t a, size_t b, size_t i, size_t j) const {
  const int64_t ci = i == kNone ? -1 : groups_[a][i], cj = j == kNone ? -1 : groups_[b][j];
  After x{};
  x.cost_a = cost_after(a, ci, cj, &x.total_a);
  x.cost_b = cost_after(b, cj, ci, &x.total_b);
  return x;
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
  l.without_cost.resize(A);
  l.a_half.assign(A, 0.0);
  l.without_grad.assign(size_t(n_) * A, -std::numeric_limits<double>::infinity());  // [classes][A]
  for (size_t i = 0; i < A; ++i) {
    const int64_t c = groups_[a][i];
    int64_t total = 0;
    l.without_cost[i] = cost_after(a, c, -1, &total);
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

[[gnu::always_inline]] inline Balancer::Below Balancer::below(size_t a, size_t b, size_t i, size_t j, const Linear& l) const {
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

[[gnu::always_inline]] inline bool Balancer::may_win(size_t a, size_t b, double lowest, bool worst_case, const Change& best) const {
  if (worst_case) {
    if (!(lowest < std::max(kl(a), kl(b)) - 1e-12)) return false;
    return best.b == kNone || !(lowest > best.objective);
  }
  const double scale = 1e-9 * (std::fabs(cost_[a]) + std::fabs(cost_[b]) + 1.0);
  return lowest < (best.b == kNone ? -scale : best.objective);
}

namespace {
// The least KL a cost bound allows (none for an empty mediator).
double lowest_kl(double cost, int64_t total) {
  return total > 0 ? cost / double(total) : -std::numeric_limits<double>::infinity();
}
}  // namespace

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
  double objective;
  if (worst_case) {
    objective = std::max(kl_of(na, total_a), kl_of(nb, total_b));
    if (!(objective < std::max(kl(a), kl(b)) - 1e-12)) return;
  } else {
    objective = delta;
    if (!(delta < -1e-9 * (std::fabs(cost_[a]) + std::fabs(cost_[b]) + 1.0))) return;
    if (kl_of(na, total_a) > cap_ || kl_of(nb, total_b) > cap_) return;
  }
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
  l.a_off.resize(A), l.a_abs.resize(A), l.a_size.resize(A), l.b_size.resize(B), l.open.resize(A * B);
  for (size_t i = 0; i < A; ++i) {
    l.a_off[i] = l.without_cost[i] - cost_[a];
    l.a_abs[i] = std::fabs(l.a_on_a[i]) + std::fabs(l.a_on_b[i]) + std::fabs(l.without_cost[i]);
    l.a_size[i] = size_[size_t(groups_[a][i])];
  }
  for (size_t j = 0; j < B; ++j) l.b_size[j] = size_[size_t(groups_[b][j])];
  const double inf = std::numeric_limits<double>::infinity();
  SwapScreen in{A, B, l.a_on_a.data(), l.a_off.data(), l.a_on_b.data(), l.a_abs.data(), l.a_size.data(),
                l.b_on_a.data(), l.b_on_b.data(), l.b_size.data(), l.b_on_without.data(), l.b_curve.data(), l.a_half.data(),
                cost_[a], cost_[b], total_[a], total_[b], 0.0, inf};
  if (worst_case) {
    in.below = std::max(kl(a), kl(b)) - 1e-12;
    if (best.b != kNone) in.at_most = best.objective;
    screen_swaps<true>(in, l.open.data());
  } else {
    in.below = best.b == kNone ? -1e-9 * (std::fabs(cost_[a]) + std::fabs(cost_[b]) + 1.0) : best.objective;
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

int Balancer::threads_for(size_t items, size_t per_thread) const {
  const int most = threads_ > 0 ? threads_ : std::max(omp_get_max_threads(), 1);
  const int threads = int(std::clamp<size_t>(items / per_thread, 1, size_t(most)));
  if (scratch_.size() < size_t(threads)) scratch_.resize(size_t(threads));
  return threads;
}

Balancer::Change Balancer::best_of(size_t a, const std::vector<size_t>& partners, bool worst_case) const {
  const int threads = threads_for(partners.size(), kPartnersPerThread);
  std::vector<Change> best(static_cast<size_t>(threads));
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int t = 0; t < threads; ++t) {
    const size_t lo = partners.size() * size_t(t) / size_t(threads), hi = partners.size() * size_t(t + 1) / size_t(threads);
    for (size_t k = lo; k < hi; ++k) consider(a, partners[k], worst_case, best[size_t(t)], scratch_[size_t(t)]);
  }
  // Each run's best is the first of its least; in run order, only a strictly better one replaces
  // it: the change one thread scanning every partner in order takes.
  Change merged;
  for (const Change& c : best)
    if (c.b != kNone && better(c, merged, worst_case)) merged = c;
  return merged;
}

Balancer::Saved Balancer::save(size_t m) const {
  return Saved{m, groups_[m], std::vector<int64_t>(h_.begin() + std::ptrdiff_t(m * n_), h_.begin() + std::ptrdiff_t((m + 1) * n_)),
               total_[m], cost_[m]};
}

void Balancer::restore(const Saved& s) {
  ++changes_;
  groups_[s.m] = s.members;
  std::copy(s.counts.begin(), s.counts.end(), h_.begin() + std::ptrdiff_t(s.m * n_));
  total_[s.m] = s.total;
  cost_[s.m] = s.cost;
  rank(s.m);
}

void Balancer::apply(size_t a, const Change& c) {
  ++changes_;
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

}  // namespace astraea::schedulers
