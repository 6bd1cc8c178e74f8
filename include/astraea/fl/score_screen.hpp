// A float screen of the mediator score, sixteen candidates at once, before the exact greedy scores
// any of them exactly.
//
// With the open mediator's counts m (total T), a candidate x of size s scores
//   KL = log N - log(T + s) + g / (T + s),   g = sum_y f(m_y + x_y),   f(v) = v log v.
// The screen computes the same expression in floats from float copies of the exact tables: per
// pick, f(m_y + v) for v < kScreenTable sits in a 32-entry row per class, which AVX-512 reads with
// one in-register permute per class and sixteen lanes; larger counts and log(T + s) are gathered
// from the run's float tables. Every value is a rounded exact one and the operations are fixed, so
// the screen differs from the exact score by at most slack(): a lane whose screened score is above
// cutoff + slack cannot score within the cutoff, and the greedy scores exactly only the others.
// Every kernel performs the same float operations in the same order: the same bits everywhere.
#pragma once

#include <cstdint>
#include <vector>

#include "astraea/core/kernel_variants.hpp"

namespace astraea {

class MediatorScore;

constexpr int kScreenLanes = 16;
constexpr int kScreenTable = 32;
// Counts are stored in a byte, which keeps a block to 16 x (N + 4) bytes (the scan streams them): a
// candidate with a larger count is not screened (the caller scores it exactly).
using ScreenCount = uint8_t;
constexpr int32_t kScreenCountMax = 255;

// One block: counts[y * kScreenLanes + l] is lane l's count of class y; sizes[l] its total.
struct ScreenInputs {
  int classes = 0;
  const float* near = nullptr;      // [classes][kScreenTable]: f(m_y + v)
  const int32_t* merged = nullptr;  // m_y
  const float* f_table = nullptr;   // f(v), every m_y + x_y the lanes reach
  const float* log_table = nullptr; // log v, every T + s the lanes reach
  int32_t total = 0;                // T > 0
  float log_classes = 0;
  // Optional: no lane's size is below it (a size bucket's smallest). log(T + s) for s within 31 of
  // it is then read from registers (AVX-512), the rest gathered; -1: all gathered.
  int32_t size_base = -1;
  int32_t table_size = 0;           // entries of f_table and log_table
};

// The screen's tables: float copies of the score's, once per run, and the near rows per pick.
class ScoreScreen {
 public:
  explicit ScoreScreen(const MediatorScore& score);
  // inputs() points into this object's tables: a copy would point into the original's, a move
  // keeps them (the buffers move with it).
  ScoreScreen(const ScoreScreen&) = delete;
  ScoreScreen& operator=(const ScoreScreen&) = delete;
  ScoreScreen(ScoreScreen&&) = default;
  // The open mediator for the next pick; false when a count or total a lane may reach lies past
  // the tables (then screen nothing out).
  bool reset(const int64_t* merged, int64_t largest_count, int64_t largest_size);
  const ScreenInputs& inputs() const { return in_; }
  // The most the screened score can differ from the exact one for this pick's candidates (at most
  // `largest_size` samples): 2 (N + 7) u (log(T + s) + log N), twice the rounding analysis
  // (u = 2^-24: each table value, the sum of N terms, the division, the log and two additions).
  double slack() const { return slack_; }
  // The float cutoff for an exact one: cutoff + slack, rounded up.
  float widened(double cutoff) const;

 private:
  const MediatorScore& score_;
  std::vector<float> f_, log_, near_;
  std::vector<int32_t> merged_;
  ScreenInputs in_;
  double slack_ = 0;
};

// Bit l of the result: lane l's screened score is at most `cutoff`. With `screened` not null, the
// sixteen screened scores are stored there too.
using ScreenKernel = uint32_t (*)(const ScreenInputs& in, const ScreenCount* counts, const int32_t* sizes,
                                  float cutoff, float* screened);

using ScreenVariant = KernelVariant<ScreenKernel>;

std::vector<ScreenVariant> screen_variants();  // the plain loop first
ScreenKernel best_screen_kernel();

}  // namespace astraea
