#include "astraea/fl/rest_bound.hpp"

#include <algorithm>
#include <numeric>

#include "astraea/fl/mediator_score.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ASTRAEA_REST_BOUND_X86 1
#endif

namespace astraea {

namespace {
constexpr double kInvE = 0.36787944117144233;
}

RestTable::RestTable(int classes, const MediatorScore& score, int cap)
    : n_(classes), cap_(cap), score_(score), order_(classes), f_(classes), w_(size_t(classes) * (cap + 1)),
      ready_(classes, 0) {}

void RestTable::reset(const int64_t* merged) {
  m_ = merged;
  std::iota(order_.begin(), order_.end(), 0);
  std::sort(order_.begin(), order_.end(), [&](int a, int b) { return merged[a] < merged[b]; });
  for (int y = 0; y < n_; ++y) f_[y] = score_.f(merged[y]);
  std::fill(ready_.begin(), ready_.end(), 0);
}

const double* RestTable::row(int y) {
  double* w = &w_[size_t(y) * (cap_ + 1)];
  if (ready_[y]) return w;
  ready_[y] = 1;
  double rest_f = 0;
  for (int z = 0; z < n_; ++z)
    if (z != y) rest_f += f_[z];
  // Water-fill r = 0, 1, ..., cap into the other classes, smallest first: the level only rises.
  double spent = 0, filled_f = 0;
  int filled = 0, next = 0;  // next: position in order_ of the next class to fill
  auto skip = [&] {
    while (next < n_ && order_[next] == y) ++next;
  };
  skip();
  for (int r = 0; r <= cap_; ++r) {
    while (next < n_ && (filled == 0 || double(m_[order_[next]]) * filled - spent < r)) {
      spent += double(m_[order_[next]]);
      filled_f += f_[order_[next]];
      ++filled;
      ++next;
      skip();
    }
    if (filled == 0) {  // one class: nothing to fill
      w[r] = 0;
      continue;
    }
    const double level = (spent + r) / filled;
    const int64_t j = std::max<int64_t>(1, static_cast<int64_t>(level));
    // Below 1 the tangent at 1 (v - 1) or f's least value -1/e, whichever is larger.
    const double tangent = std::max(score_.f(j) + (level - double(j)) * (score_.log_of(j) + 1.0), -kInvE);
    w[r] = filled * tangent + (rest_f - filled_f);
  }
  return w;
}

namespace {

uint32_t plain_bound(const RestBoundInputs& in, const int32_t* peaks, const int32_t* sizes, double cutoff) {
  uint32_t mask = 0;
  for (int l = 0; l < kBoundLanes; ++l) {
    const int32_t t = in.total + sizes[l];
    const int32_t r = std::min(sizes[l] - peaks[l], in.cap);
    const double g = in.f_table[in.merged_y + peaks[l]] + in.rest[r];
    const double b = (in.log_classes - in.log_table[t]) + g / double(t);
    if (b <= cutoff) mask |= 1u << l;
  }
  return mask;
}

#ifdef ASTRAEA_REST_BOUND_X86
// GCC 12 warns inside its own gather intrinsics (their unset pass-through operand).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The same operations per lane as plain_bound.
__attribute__((target("avx512f"))) uint32_t avx512_bound(const RestBoundInputs& in, const int32_t* peaks,
                                                         const int32_t* sizes, double cutoff) {
  const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(peaks));
  const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sizes));
  const __m256i t = _mm256_add_epi32(s, _mm256_set1_epi32(in.total));
  const __m256i r = _mm256_min_epi32(_mm256_sub_epi32(s, a), _mm256_set1_epi32(in.cap));
  const __m512d f = _mm512_i32gather_pd(_mm256_add_epi32(a, _mm256_set1_epi32(in.merged_y)), in.f_table, 8);
  const __m512d g = _mm512_add_pd(f, _mm512_i32gather_pd(r, in.rest, 8));
  const __m512d head = _mm512_sub_pd(_mm512_set1_pd(in.log_classes), _mm512_i32gather_pd(t, in.log_table, 8));
  const __m512d b = _mm512_add_pd(head, _mm512_div_pd(g, _mm512_cvtepi32_pd(t)));
  return _mm512_cmp_pd_mask(b, _mm512_set1_pd(cutoff), _CMP_LE_OQ);
}
#pragma GCC diagnostic pop
#endif

}  // namespace

std::vector<RestBoundVariant> rest_bound_variants() {
  std::vector<RestBoundVariant> v = {{"plain", plain_bound, true}};
#ifdef ASTRAEA_REST_BOUND_X86
  __builtin_cpu_init();
  v.push_back({"avx512", avx512_bound, __builtin_cpu_supports("avx512f") != 0});
#endif
  return v;
}

RestBoundKernel best_rest_bound_kernel() {
  static const RestBoundKernel best = [] {
    RestBoundKernel k = plain_bound;
    for (const RestBoundVariant& v : rest_bound_variants())
      if (v.supported) k = v.kernel;
    return k;
  }();
  return best;
}

}  // namespace astraea
