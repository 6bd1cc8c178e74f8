#include "astraea/data/drift.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"

namespace astraea {

int drift_step(const DriftConfig& drift, int round) { return drift.every > 0 ? (round - 1) / drift.every : 0; }

double class_presence(const DriftConfig& drift, int y, int step) {
  const double t = std::min(1.0, double(step) / double(std::max(1, drift.ramp)));
  if (std::find(drift.emerge.begin(), drift.emerge.end(), y) != drift.emerge.end()) return t;
  if (std::find(drift.fade.begin(), drift.fade.end(), y) != drift.fade.end()) return 1.0 - t;
  return 1.0;
}

void check_drift(const DriftConfig& drift, int classes) {
  for (const auto& [key, list] : {std::pair<const char*, const std::vector<int>*>{"drift.emerge", &drift.emerge},
                                  {"drift.fade", &drift.fade}}) {
    for (int y : *list) {
      if (y < 0 || y >= classes) ASTRAEA_FAIL("{}: class {} is not in [0, {})", key, y, classes);
    }
  }
  for (int y : drift.emerge) {
    if (std::count(drift.fade.begin(), drift.fade.end(), y)) ASTRAEA_FAIL("drift.fade: class {} also emerges", y);
  }
  for (int step : {0, std::max(1, drift.ramp)}) {
    bool any = false;
    for (int y = 0; y < classes; ++y) any = any || class_presence(drift, y, step) > 0;
    if (!any) ASTRAEA_FAIL("drift.emerge and drift.fade leave no class present at step {}", step);
  }
}

namespace {

// The pool of each class: sample ids by label.
std::vector<std::vector<int32_t>> class_pools(const std::vector<int32_t>& labels, int classes) {
  std::vector<std::vector<int32_t>> pools(static_cast<size_t>(classes));
  for (int32_t i = 0; i < int32_t(labels.size()); ++i) pools[size_t(labels[i])].push_back(i);
  return pools;
}

uint32_t draw(uint64_t seed, int64_t client, int64_t sample, int step, uint32_t what) {
  return philox(seed, RngStream::kDrift, uint32_t(client), uint32_t(sample), uint32_t(step), what).v[0];
}

}  // namespace

ClientStore drifted_store(const ClientStore& base, const std::vector<int32_t>& labels, const DriftConfig& drift,
                          int step, uint64_t seed) {
  const int classes = base.classes();
  const auto pools = class_pools(labels, classes);
  std::vector<double> presence(static_cast<size_t>(classes));
  for (int y = 0; y < classes; ++y) presence[y] = class_presence(drift, y, step);
  const int shift = ((drift.rotate * step) % classes + classes) % classes;
  const auto from_pool = [&](int y, int64_t k, int64_t i, uint32_t what) {
    const auto& pool = pools[size_t(y)];
    return pool[draw(seed, k, i, step, what) % pool.size()];
  };
  ClientStore out(classes);
  std::vector<int32_t> ids;
  for (int64_t k = 0; k < base.num_clients(); ++k) {
    ids.assign(base.samples(k), base.samples(k) + base.size(k));
    // Rotation: class y's samples become samples of class y + shift.
    if (shift != 0) {
      for (int64_t i = 0; i < int64_t(ids.size()); ++i) {
        const int y = (labels[ids[i]] + shift) % classes;
        if (!pools[size_t(y)].empty()) ids[i] = from_pool(y, k, i, 0);
      }
    }
    // Presence: a sample of a (partly) absent class is kept with its class's presence; the others
    // are replaced by a pool sample of one of the client's fully present classes.
    std::vector<int> kept_classes;
    std::vector<char> keep(ids.size(), 1);
    for (size_t i = 0; i < ids.size(); ++i) {
      const double p = presence[size_t(labels[ids[i]])];
      keep[i] = p >= 1.0 || (p > 0 && to_unit_float(draw(seed, k, int64_t(i), step, 1)) < p);
      if (p >= 1.0) kept_classes.push_back(labels[ids[i]]);  // replacements come from classes fully present
    }
    if (kept_classes.empty()) {  // nothing of its own left: classes present anywhere
      for (int y = 0; y < classes; ++y)
        if (presence[y] >= 1.0 && !pools[size_t(y)].empty()) kept_classes.push_back(y);
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      if (keep[i] || kept_classes.empty()) continue;
      const int y = kept_classes[draw(seed, k, int64_t(i), step, 2) % kept_classes.size()];
      ids[i] = from_pool(y, k, int64_t(i), 3);
    }
    out.add_client(ids.data(), int64_t(ids.size()), labels);
  }
  return out;
}

std::vector<char> active_clients(int64_t clients, const DriftConfig& drift, int step, uint64_t seed) {
  std::vector<char> active(size_t(clients), 1);
  if (drift.active >= 1.0 || clients == 0) return active;
  // A seeded order of the population; the active window slides along it.
  std::vector<int64_t> order(static_cast<size_t>(clients));
  std::iota(order.begin(), order.end(), 0);
  HostEngine engine = make_host_engine(seed, RngStream::kDrift, 0, 0xC0);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[engine() % i]);
  const int64_t window = std::max<int64_t>(1, std::llround(drift.active * double(clients)));
  const int64_t moved = std::llround(drift.churn * double(window));
  std::fill(active.begin(), active.end(), 0);
  const int64_t start = (moved * int64_t(step)) % clients;
  for (int64_t j = 0; j < window; ++j) active[size_t(order[size_t((start + j) % clients)])] = 1;
  return active;
}

}  // namespace astraea
