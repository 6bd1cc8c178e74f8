// The exact greedy's candidates in scan order (greedy.cpp): per size bucket and dominant class, a
// group of blocks in the float screen's layout, and every group's head for the first incumbent.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "astraea/fl/score_screen.hpp"

namespace astraea::greedy_detail {

// Slot k's count of class y in blocks of kScreenLanes stored class by class (the screen's layout).
inline size_t lane_index(size_t k, int y, int classes) {
  return (k / kScreenLanes * size_t(classes) + size_t(y)) * kScreenLanes + k % kScreenLanes;
}

// One size bucket's candidates of one dominant class, by increasing peak count, with copies of their
// histograms in that order, in blocks of kScreenLanes stored class by class (the screen's layout):
// a pick's scan reads them front to back. A candidate that leaves clears its slot's bit in `live`
// (a dead lane costs the screen nothing but its lane); once an eighth of the slots are dead, the
// thread that scans the group next moves the live ones down over them.
struct Group {
  int classes = 0;
  std::vector<int32_t> peak, size;  // [slots], padded with zeros to whole blocks
  std::vector<int32_t> square;      // [slots]: the sum of the squared counts a lane holds (spread_bound.hpp)
  std::vector<int32_t> first_peak;  // [blocks]: the peak of each block's first slot (the scan's stop)
  std::vector<uint32_t> candidate;  // [slots]
  std::vector<ScreenCount> lanes;   // [blocks][classes][kScreenLanes]
  std::vector<uint32_t> live;       // [blocks]: the slots holding a live candidate
  std::vector<uint32_t> forced;     // [blocks]: the slots with a count past kScreenCountMax (not screened)
  size_t alive = 0;
  bool stale = false;
  size_t slots() const { return candidate.size(); }
  size_t blocks() const { return live.size(); }
  const ScreenCount* block(size_t b) const { return &lanes[b * size_t(classes) * kScreenLanes]; }
  ScreenCount count(size_t k, int y) const { return lanes[lane_index(k, y, classes)]; }
  void push(int32_t peak_count, int64_t samples, uint32_t u, const int32_t* row) {
    const size_t k = slots();
    candidate.push_back(u);
    const size_t padded = (slots() + kScreenLanes - 1) / kScreenLanes * kScreenLanes;
    peak.resize(padded, 0);
    size.resize(padded, 0);
    square.resize(padded, 0);
    lanes.resize(padded * size_t(classes), 0);
    live.resize(padded / kScreenLanes, 0);
    forced.resize(padded / kScreenLanes, 0);
    peak[k] = peak_count;
    if (k % kScreenLanes == 0) first_peak.push_back(peak_count);
    size[k] = static_cast<int32_t>(samples);
    const uint32_t bit = 1u << (k % kScreenLanes);
    if (peak_count > kScreenCountMax) forced[k / kScreenLanes] |= bit;
    for (int y = 0; y < classes; ++y) {
      lane(k, y) = static_cast<ScreenCount>(peak_count > kScreenCountMax ? 0 : row[y]);
      square[k] += int32_t(lane(k, y)) * int32_t(lane(k, y));
    }
    live[k / kScreenLanes] |= bit;
    ++alive;
  }
  size_t first_live() const {  // alive > 0
    size_t b = 0;
    while (live[b] == 0) ++b;
    return b * kScreenLanes + size_t(__builtin_ctz(live[b]));
  }
  // The candidate in slot k leaves. Once an eighth of the slots are dead the group is `stale`:
  // the thread that scans it next compacts it first.
  void erase(size_t k) {
    live[k / kScreenLanes] &= ~(1u << (k % kScreenLanes));
    --alive;
    stale = 8 * (slots() - alive) > slots();
  }
  // Moves the live slots down over the dead ones, in order; `entry_of` (candidate -> slot) follows.
  void compact(std::vector<uint32_t>& entry_of) {
    std::vector<uint32_t> kept_forced(forced.size(), 0);
    size_t w = 0;
    for (size_t j = 0; j < slots(); ++j) {
      if (!(live[j / kScreenLanes] >> (j % kScreenLanes) & 1u)) continue;
      if (w != j) {
        peak[w] = peak[j];
        size[w] = size[j];
        square[w] = square[j];
        candidate[w] = candidate[j];
        for (int y = 0; y < classes; ++y) lane(w, y) = lane(j, y);
      }
      kept_forced[w / kScreenLanes] |= (forced[j / kScreenLanes] >> (j % kScreenLanes) & 1u) << (w % kScreenLanes);
      entry_of[candidate[w]] = static_cast<uint32_t>(w);
      ++w;
    }
    for (size_t j = w; j < slots(); ++j) {
      peak[j] = size[j] = square[j] = 0;
      for (int y = 0; y < classes; ++y) lane(j, y) = 0;
    }
    candidate.resize(w);
    const size_t blocks = (w + kScreenLanes - 1) / kScreenLanes;
    peak.resize(blocks * kScreenLanes);
    first_peak.resize(blocks);
    for (size_t b = 0; b < blocks; ++b) first_peak[b] = peak[b * kScreenLanes];
    size.resize(blocks * kScreenLanes);
    square.resize(blocks * kScreenLanes);
    lanes.resize(blocks * kScreenLanes * size_t(classes));
    forced.assign(kept_forced.begin(), kept_forced.begin() + std::ptrdiff_t(blocks));
    live.assign(blocks, ~0u >> (32 - kScreenLanes));
    if (w % kScreenLanes) live.back() = (1u << (w % kScreenLanes)) - 1;
    alive = w;
    stale = false;
  }

 private:
  ScreenCount& lane(size_t k, int y) { return lanes[lane_index(k, y, classes)]; }
};

// Every group's first entry (its flattest candidate), in the screen's layout: screened together,
// they give each pick a first incumbent for one exact score.
struct Heads {
  int classes = 0;
  std::vector<ScreenCount> lanes;   // [blocks][classes][kScreenLanes]
  std::vector<int32_t> size;        // [blocks x kScreenLanes]
  std::vector<uint32_t> candidate;  // [group]
  std::vector<uint32_t> live;       // [block]: lanes whose group has entries, and whose head is screened
  Heads(int n, size_t groups) : classes(n) {
    const size_t blocks = (groups + kScreenLanes - 1) / kScreenLanes;
    lanes.assign(blocks * size_t(n) * kScreenLanes, 0);
    size.assign(blocks * kScreenLanes, 0);
    candidate.assign(groups, 0);
    live.assign(blocks, 0);
  }
  size_t blocks() const { return live.size(); }
  const ScreenCount* block(size_t b) const { return &lanes[b * size_t(classes) * kScreenLanes]; }
  void set(size_t group, const Group& g) {
    const size_t b = group / kScreenLanes, l = group % kScreenLanes;
    const uint32_t bit = 1u << l;
    live[b] &= ~bit;
    if (g.alive == 0) return;
    const size_t k = g.first_live();
    if (g.forced[k / kScreenLanes] >> (k % kScreenLanes) & 1u) return;
    live[b] |= bit;
    for (int y = 0; y < classes; ++y) lanes[lane_index(group, y, classes)] = g.count(k, y);
    size[group] = g.size[k];
    candidate[group] = g.candidate[k];
  }
};

struct SizeBucket {
  int64_t largest = 0;
  int64_t smallest = INT64_MAX;
  std::vector<Group> by_class;  // [dominant class]
  // [dominant class]: the group's first peak (INT32_MAX once it is empty), in one line: most groups
  // a pick visits end before their first block, and this says so without touching the group.
  std::vector<int32_t> head;
  void update_head(int y) {
    const Group& g = by_class[size_t(y)];
    head[size_t(y)] = g.alive == 0 ? INT32_MAX : g.first_peak[0];
  }
};

}  // namespace astraea::greedy_detail
