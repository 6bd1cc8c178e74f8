// The balanced scheduler's local search (balancer.hpp): the passes, the worst mediator's rounds
// and chains, and the mediators' state. How one exchange is bounded and scored is in
// balancer_exchange.cpp.
#include "balancer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <omp.h>

namespace astraea::schedulers {
namespace {

constexpr int kPartners = 4;
constexpr size_t kFullSearch = 512;  // mediators up to which every one is a partner candidate
constexpr size_t kBucketScan = 256;  // beyond: candidates scanned from the complementary bucket
constexpr size_t kWorstScan = 128;  // partners the worst mediator tries per window
constexpr size_t kChainFirst = 8;    // first exchanges tried by a chain of two
constexpr size_t kPartnersPerThread = 32;  // a thread's least share of a scan over partners
constexpr size_t kMediatorsPerThread = 32;  // a thread's least share of a pass's mediators

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
  const double below_level = level - kLevelMargin;  // what lowering a means, as in improves_below
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
          if (ta > 0 && !((cost_[a] + w.da - w.margin) / double(ta) < below_level)) return;
        }
        const After x = after(a, b, i, j);
        if (kl_of(x.cost_a, x.total_a) < below_level)
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
    if (second.b != kNone && second.objective < below_level) {
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

double Balancer::weighted_kl() const {
  double cost = 0.0;
  int64_t total = 0;
  for (size_t m = 0; m < groups_.size(); ++m) cost += cost_[m], total += total_[m];
  return kl_of(cost, total);
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
