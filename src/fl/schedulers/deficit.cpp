// An approximate mediator scheduler in O(c (N log N + log c)): clients are bucketed by dominant
// class, each bucket ordered by how concentrated its clients are on that class. A mediator starts
// with the remaining client of lowest own KL, then scores exactly the first kWindow remaining
// clients of the buckets of its kDeficits most deficient classes and takes the best (lowest id on
// ties). Not the papers' greedy: `astraea schedule --algorithm deficit` prints its mean mediator KL
// next to the exact greedy's.
#include <algorithm>
#include <numeric>
#include <utility>

#include "astraea/core/error.hpp"
#include "schedulers.hpp"
#include "astraea/fl/mediator_score.hpp"

namespace astraea {
namespace {

constexpr int kDeficits = 3;   // buckets looked at per pick
constexpr size_t kWindow = 16;  // candidates scored per bucket

}  // namespace

MediatorGroups deficit_mediators(const int32_t* histograms, int classes, const std::vector<int64_t>& ids, int gamma) {
  ASTRAEA_CHECK(gamma >= 1, "gamma {}", gamma);
  const size_t count = ids.size();
  const MediatorScore score(classes, 1 << 12);
  std::vector<double> own(count), share(count);
  std::vector<int> dominant(count);
  for (size_t i = 0; i < count; ++i) {
    const int32_t* h = histograms + i * classes;
    own[i] = score.score(nullptr, h);
    dominant[i] = static_cast<int>(std::max_element(h, h + classes) - h);
    const int64_t total = std::accumulate(h, h + classes, int64_t{0});
    share[i] = total ? double(h[dominant[i]]) / total : 0.0;
  }
  // Per class: clients by decreasing share of it (then position); globally: by own score.
  std::vector<std::vector<size_t>> bucket(classes);
  for (size_t i = 0; i < count; ++i) bucket[dominant[i]].push_back(i);
  for (auto& b : bucket) {
    std::stable_sort(b.begin(), b.end(), [&](size_t a, size_t c) { return share[a] > share[c]; });
  }
  std::vector<size_t> by_own(count);
  std::iota(by_own.begin(), by_own.end(), 0);
  std::stable_sort(by_own.begin(), by_own.end(), [&](size_t a, size_t b) { return own[a] < own[b]; });
  // Per bucket, "next alive slot at or after j" with path compression: picks leave holes anywhere
  // in a bucket's window, and scans must skip them in amortised O(1).
  std::vector<std::vector<size_t>> next_alive(classes);
  std::vector<size_t> slot_of(count);
  for (int y = 0; y < classes; ++y) {
    next_alive[y].resize(bucket[y].size() + 1);
    std::iota(next_alive[y].begin(), next_alive[y].end(), 0);
    for (size_t j = 0; j < bucket[y].size(); ++j) slot_of[bucket[y][j]] = j;
  }
  auto find = [&](int y, size_t j) {
    std::vector<size_t>& nx = next_alive[y];
    size_t root = j;
    while (nx[root] != root) root = nx[root];
    while (nx[j] != root) j = std::exchange(nx[j], root);
    return root;
  };
  std::vector<uint8_t> used(count, 0);
  size_t own_cursor = 0, left = count;
  std::vector<int> order(classes);

  MediatorGroups groups;
  std::vector<int64_t> merged(classes);
  while (left > 0) {
    std::fill(merged.begin(), merged.end(), 0);
    std::vector<int64_t> group;
    while (left > 0 && static_cast<int>(group.size()) < gamma) {
      size_t pick = count;
      if (group.empty()) {
        while (used[by_own[own_cursor]]) ++own_cursor;
        pick = by_own[own_cursor];
      } else {
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return merged[a] < merged[b]; });
        double best = 0;
        int looked = 0;
        for (int y : order) {
          size_t j = find(y, 0);
          if (j == bucket[y].size()) continue;  // empty bucket
          for (size_t seen = 0; j < bucket[y].size() && seen < kWindow; ++seen, j = find(y, j + 1)) {
            const size_t i = bucket[y][j];
            const double s = score.score(merged.data(), histograms + i * classes);
            if (pick == count || s < best || (s == best && i < pick)) best = s, pick = i;
          }
          if (++looked == kDeficits) break;
        }
      }
      used[pick] = 1;
      next_alive[dominant[pick]][slot_of[pick]] = slot_of[pick] + 1;
      --left;
      for (int y = 0; y < classes; ++y) merged[y] += histograms[pick * classes + y];
      group.push_back(ids[pick]);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace astraea

namespace astraea::schedulers {

std::unique_ptr<MediatorScheduler> make_deficit(const SchedulerOptions& o) {
  return std::make_unique<RowsScheduler>("deficit", deficit_mediators, o.gamma);
}

}  // namespace astraea::schedulers
