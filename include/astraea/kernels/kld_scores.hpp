// The scheduler's hot loop as functors for both backends: the score of every candidate against the
// open mediator, KL(normalize(m + x_i) || uniform) through kl_from_sums (kl_score.hpp, the host
// greedy's score), in double precision; and the per-chunk minimum and tie-window pick that the
// batched greedy reduces on the host.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>
#include <cstdint>

#include "astraea/core/host_device.hpp"
#include "astraea/kernels/kl_score.hpp"

namespace astraea {

// This family's ops, for kernels/op_list.hpp.
#define ASTRAEA_SCHEDULER_OPS(X) \
  X(KldScores) \
  X(ChunkArgmin)

// Score of a candidate that is no longer available: above every KL (at most log N).
constexpr double kDeadScore = 1e300;

// (0, i) over candidates: scores[i] for histogram row i of [candidates x classes].
struct KldScores {
  const int32_t* histograms;
  const int64_t* merged;  // [classes]: the open mediator's counts
  double* scores;
  int classes;
  const uint8_t* live = nullptr;  // [candidates], optional: 0 scores kDeadScore
  ASTRAEA_HD void operator()(int64_t, int64_t i) const {
    if (live && !live[i]) {
      scores[i] = kDeadScore;
      return;
    }
    const int32_t* x = histograms + i * classes;
    int64_t total = 0;
    double g = 0;
    for (int y = 0; y < classes; ++y) {
      const int64_t v = merged[y] + x[y];
      total += v;
      g += v_log_v(double(v));
    }
    scores[i] = kl_from_sums(log(double(classes)), double(total), total > 0 ? log(double(total)) : 0.0, g);
  }
};

// (0, c) over chunks of `chunk` scores: the chunk's minimum, and its first index scoring within
// `tie` of that minimum with the score there. A chunk of dead candidates reports kDeadScore.
struct ChunkArgmin {
  const double* scores;
  int64_t count, chunk;
  double tie;
  double* chunk_min;
  int64_t* chunk_pick;
  double* chunk_pick_score;
  ASTRAEA_HD void operator()(int64_t, int64_t c) const {
    const int64_t begin = c * chunk, end = begin + chunk < count ? begin + chunk : count;
    double least = kDeadScore;
    for (int64_t i = begin; i < end; ++i) least = scores[i] < least ? scores[i] : least;
    int64_t pick = begin;
    while (pick < end && scores[pick] > least + tie) ++pick;
    chunk_min[c] = least;
    chunk_pick[c] = pick;
    chunk_pick_score[c] = pick < end ? scores[pick] : kDeadScore;
  }
};

// The host's half of the reduction, from ChunkArgmin's outputs: the lowest index scoring within
// `tie` of the global minimum (-1 when every candidate is dead). A chunk whose own minimum is above
// the global one by less than `tie` may pick outside the global window with a later index inside
// it: `fetch(c, out)` then supplies chunk c's scores and the chunk is scanned here.
template <typename FetchChunk>
int64_t lowest_in_window(const std::vector<double>& chunk_min, const std::vector<int64_t>& chunk_pick,
                         const std::vector<double>& chunk_pick_score, int64_t count, int64_t chunk, double tie,
                         FetchChunk&& fetch) {
  const double least = *std::min_element(chunk_min.begin(), chunk_min.end());
  if (!(least < kDeadScore)) return -1;
  const double cutoff = least + tie;
  std::vector<double> scores;
  for (size_t c = 0; c < chunk_min.size(); ++c) {
    if (chunk_min[c] > cutoff) continue;
    if (chunk_pick_score[c] <= cutoff) return chunk_pick[c];
    const int64_t begin = int64_t(c) * chunk, end = std::min(count, begin + chunk);
    scores.resize(size_t(end - begin));
    fetch(c, scores.data());
    for (int64_t i = begin; i < end; ++i)
      if (scores[size_t(i - begin)] <= cutoff) return i;
  }
  return -1;
}

}  // namespace astraea
