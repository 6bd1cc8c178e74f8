// A lower bound on the mediator score from how far the merged shares spread around uniform,
// sixteen candidates at once in integer arithmetic: the exact greedy rules lanes out with it
// before the float screen (score_screen.hpp) looks at them.
//
// With merged counts v = m + x (total t = T + s) and shares p_y = v_y / t,
//   KL(p || u) = (1/N) sum_y h(N p_y),  h(r) = r log r - r + 1 = (r - 1)^2 g(r),
//   g(r) = int_0^1 (1 - s) / (1 + s (r - 1)) ds, which falls with r.
// A candidate that puts more than q* of the merged mass in any class scores above the cutoff c (the
// two-bin bound, greedy_bounds.hpp); every other one has N p_y <= R = N q* in every class, so
// h(N p_y) >= kappa (N p_y - 1)^2 with kappa = g(R) (the largest such coefficient), and
//   KL >= kappa N sum_y (p_y - 1/N)^2 = kappa (N A - t^2) / t^2,
//   A = sum_y v_y^2 = M2 + 2 m.x + X2,
// with M2 = sum_y m_y^2 per pick and X2 = sum_y x_y^2 per candidate; that is above c when
//   A > r t^2,  r = (kappa + c) / (kappa N).
// A is an exact integer (m.x from byte dot products); the test runs in floats with r rounded up by
// a margin that covers rounding A, t^2 and the product. Every kernel performs the same
// operations: the same bits everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "astraea/core/kernel_variants.hpp"
#include "astraea/fl/score_screen.hpp"

namespace astraea {

// What a kernel reads; counts in the screen's block layout (score_screen.hpp).
struct SpreadInputs {
  int classes = 0;
  const int32_t* merged = nullptr;    // m_y
  const uint32_t* low = nullptr;      // [(classes + 3) / 4]: four classes' m_y mod 128, one byte each
  const uint32_t* high = nullptr;     // likewise m_y / 128
  int32_t total = 0;                  // T
  int32_t merged_squares = 0;         // M2
  float ratio = 0;                    // r, rounded up (infinity: rule nothing out)
};

class SpreadBound {
 public:
  explicit SpreadBound(int classes);
  // inputs() points into this object's arrays: a copy would point into the original's, a move
  // keeps them (the buffers move with it).
  SpreadBound(const SpreadBound&) = delete;
  SpreadBound& operator=(const SpreadBound&) = delete;
  SpreadBound(SpreadBound&&) = default;
  // The open mediator for the next pick; false when a count or a total a lane may reach (at most
  // `largest_size` samples) lies past the kernels' integer range, or the mediator is empty.
  bool reset(const int64_t* merged, int64_t largest_size);
  const SpreadInputs& inputs() const { return in_; }

 private:
  std::vector<int32_t> merged_;
  std::vector<uint32_t> low_, high_;
  SpreadInputs in_;
};

// Sets `in` to rule out lanes above `cutoff`, where `share` is q* for that cutoff (ShareTable).
void set_spread_cutoff(SpreadInputs& in, double cutoff, double share);

// A run of `blocks` consecutive blocks (counts in the screen's layout, sizes and squares per lane,
// squares[l] = sum_y x_y^2): bit l of masks[b] is set when lane l of block b is not ruled out.
using SpreadKernel = void (*)(const SpreadInputs& in, const ScreenCount* counts, const int32_t* sizes,
                              const int32_t* squares, size_t blocks, uint32_t* masks);

using SpreadVariant = KernelVariant<SpreadKernel>;

std::vector<SpreadVariant> spread_variants();  // the plain loop first
SpreadKernel best_spread_kernel();

}  // namespace astraea
