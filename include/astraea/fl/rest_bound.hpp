// A lower bound on the mediator score of a candidate, checked for eight candidates at once before
// the exact greedy scores any of them exactly.
//
// With the open mediator's counts m (total T), a candidate x of size s scores
//   KL = log N - log(T + s) + g / (T + s),   g = sum_y f(m_y + x_y),   f(v) = v log v.
// Fixing the candidate's dominant class y and its count a there, the rest r = s - a of its samples
// at best pour into the mediator's other classes from the smallest up to a common level (f is
// convex: water-filling gives the least sum over all real x >= 0 with that sum), so
//   g >= f(m_y + a) + W_y(r),
// W_y(r) tabulated per pick (RestTable). A check is three table reads per candidate: AVX-512
// gathers when the CPU has them (chosen at run time), else a plain loop with the same operations
// in the same order, so both give the same bits.
#pragma once

#include <cstdint>
#include <vector>

namespace astraea {

class MediatorScore;

constexpr int kBoundLanes = 8;

// W_y(r) for one pick, r = 0 .. cap: f at the water level from the tangent of f's integer table at
// the integer below it, and below 1 from max(v - 1, -1/e): at most f, and W stays non-decreasing
// in r, so W at min(r, cap) bounds every larger r too.
class RestTable {
 public:
  RestTable(int classes, const MediatorScore& score, int cap);
  void reset(const int64_t* merged);  // the open mediator for the next pick
  // Row y tabulated (on first use in a pick).
  const double* row(int y);
  int cap() const { return cap_; }

 private:
  int n_, cap_;
  const MediatorScore& score_;
  std::vector<int> order_;
  std::vector<double> f_, w_;  // w_: [classes][cap + 1]
  std::vector<uint8_t> ready_;
  const int64_t* m_ = nullptr;
};

struct RestBoundInputs {
  const double* f_table;    // f(v) at integers, for every m_y + a the lanes can reach
  const double* log_table;  // log v at integers, for every T + s
  const double* rest;       // RestTable::row(y)
  int32_t cap = 0;          // r beyond it reads rest[cap]
  int32_t merged_y = 0;     // m_y
  int32_t total = 0;        // T > 0
  double log_classes = 0;
};

// Bit l of the result: lane l's bound (peaks[l] = a, sizes[l] = s) is at most `cutoff`.
using RestBoundKernel = uint32_t (*)(const RestBoundInputs& in, const int32_t* peaks, const int32_t* sizes,
                                     double cutoff);

struct RestBoundVariant {
  const char* name;  // "plain", "avx512"
  RestBoundKernel kernel;
  bool supported;    // by this CPU
};

std::vector<RestBoundVariant> rest_bound_variants();  // the plain loop first
RestBoundKernel best_rest_bound_kernel();

}  // namespace astraea
