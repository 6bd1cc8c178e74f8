#include "astraea/fl/spread_bound.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "schedulers/greedy_bounds.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ASTRAEA_SPREAD_X86 1
#endif

namespace astraea {
namespace {

// m_y is split into two bytes of seven bits for the signed operand of the byte dot products.
constexpr int64_t kMergedLimit = int64_t{1} << 14;
// A relative margin on the ratio that covers rounding A, t^2 and the product to floats (2^-24 each).
constexpr double kRoundingMargin = 1.0 / (1 << 20);

// kappa = g(R) = h(R) / (R - 1)^2 (spread_bound.hpp), rounded down: a smaller kappa only loosens the
// bound. Near R = 1, where h cancels, the series 1/2 - d/6 + d^2/12 - ... stopped after -d/6 is
// below g.
double quadratic_coefficient(double R) {
  const double d = R - 1;
  if (d < 1e-4) return 0.5 - std::max(d, 0.0) / 6;
  return (R * std::log(R) - d) / (d * d) * (1 - 1e-9);
}

}  // namespace

SpreadBound::SpreadBound(int classes)
    : merged_(static_cast<size_t>(classes)), low_(static_cast<size_t>((classes + 3) / 4)), high_(low_.size()) {
  in_.classes = classes;
  in_.merged = merged_.data();
  in_.low = low_.data();
  in_.high = high_.data();
}

bool SpreadBound::reset(const int64_t* merged, int64_t largest_size) {
  int64_t total = 0, squares = 0;
  for (int y = 0; y < in_.classes; ++y) {
    if (merged[y] < 0 || merged[y] >= kMergedLimit) return false;
    total += merged[y];
    squares += merged[y] * merged[y];
  }
  const double reach = double(total + largest_size);
  // N (T + s)^2 bounds N sum_y v_y^2, the largest integer a kernel forms.
  if (total <= 0 || double(in_.classes) * reach * reach >= double(std::numeric_limits<int32_t>::max())) return false;
  std::fill(low_.begin(), low_.end(), 0u);
  std::fill(high_.begin(), high_.end(), 0u);
  for (int y = 0; y < in_.classes; ++y) {
    merged_[size_t(y)] = static_cast<int32_t>(merged[y]);
    const int shift = 8 * (y % 4);
    low_[size_t(y / 4)] |= uint32_t(merged[y] & 127) << shift;
    high_[size_t(y / 4)] |= uint32_t(merged[y] >> 7) << shift;
  }
  in_.total = static_cast<int32_t>(total);
  in_.merged_squares = static_cast<int32_t>(squares);
  in_.ratio = std::numeric_limits<float>::infinity();
  return true;
}

void set_spread_cutoff(SpreadInputs& in, double cutoff, double share) {
  if (!std::isfinite(cutoff) || !(share < 1.0)) {
    in.ratio = std::numeric_limits<float>::infinity();  // rule nothing out
    return;
  }
  const double kappa = quadratic_coefficient(double(in.classes) * share);
  const double c = std::max(cutoff, 0.0) + greedy_detail::kBoundSlack;
  const double ratio = (kappa + c) / (kappa * double(in.classes)) * (1 + kRoundingMargin);
  float r = static_cast<float>(ratio);
  if (double(r) < ratio) r = std::nextafter(r, std::numeric_limits<float>::infinity());
  in.ratio = r;
}

namespace {

uint32_t plain_block(const SpreadInputs& in, const ScreenCount* counts, const int32_t* sizes, const int32_t* squares) {
  int32_t dot[kScreenLanes] = {};
  for (int y = 0; y < in.classes; ++y)  // lanes innermost: the compiler's vectors take them
    for (int l = 0; l < kScreenLanes; ++l) dot[l] += in.merged[y] * int32_t(counts[y * kScreenLanes + l]);
  uint32_t mask = 0;
  for (int l = 0; l < kScreenLanes; ++l) {
    const int32_t a = in.merged_squares + squares[l] + 2 * dot[l];
    const float t = static_cast<float>(in.total + sizes[l]);
    if (!(static_cast<float>(a) > in.ratio * (t * t))) mask |= 1u << l;
  }
  return mask;
}

void plain_spread(const SpreadInputs& in, const ScreenCount* counts, const int32_t* sizes, const int32_t* squares,
                  size_t blocks, uint32_t* masks) {
  const size_t stride = size_t(in.classes) * kScreenLanes;
  for (size_t b = 0; b < blocks; ++b)
    masks[b] = plain_block(in, counts + b * stride, sizes + b * kScreenLanes, squares + b * kScreenLanes);
}

#ifdef ASTRAEA_SPREAD_X86
// GCC 12 warns inside its own intrinsics (their unset pass-through operand).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The same operations per lane as plain_block, eight lanes at a time.
__attribute__((target("avx2"), always_inline)) inline uint32_t avx2_block(const SpreadInputs& in, const ScreenCount* counts,
                                                                          const int32_t* sizes, const int32_t* squares) {
  uint32_t mask = 0;
  for (int half = 0; half < 2; ++half) {
    __m256i dot = _mm256_setzero_si256();
    for (int y = 0; y < in.classes; ++y) {
      const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(counts + y * kScreenLanes + half * 8));
      dot = _mm256_add_epi32(dot, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(bytes), _mm256_set1_epi32(in.merged[y])));
    }
    const __m256i a = _mm256_add_epi32(
        _mm256_add_epi32(_mm256_set1_epi32(in.merged_squares),
                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(squares + half * 8))),
        _mm256_add_epi32(dot, dot));
    const __m256 t = _mm256_cvtepi32_ps(_mm256_add_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sizes + half * 8)), _mm256_set1_epi32(in.total)));
    const __m256 rhs = _mm256_mul_ps(_mm256_set1_ps(in.ratio), _mm256_mul_ps(t, t));
    const uint32_t out = uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_cvtepi32_ps(a), rhs, _CMP_GT_OQ)));
    mask |= (~out & 0xffu) << (half * 8);
  }
  return mask;
}

__attribute__((target("avx2"))) void avx2_spread(const SpreadInputs& in, const ScreenCount* counts, const int32_t* sizes,
                                                 const int32_t* squares, size_t blocks, uint32_t* masks) {
  const size_t stride = size_t(in.classes) * kScreenLanes;
  for (size_t b = 0; b < blocks; ++b)
    masks[b] = avx2_block(in, counts + b * stride, sizes + b * kScreenLanes, squares + b * kScreenLanes);
}

// m.x by byte dot products: a permute turns four classes' rows of sixteen lanes into each lane's
// four counts in one 32-bit word, and VNNI multiplies them by m_y's two seven-bit halves. With
// `Quads` > 0 (up to 4 x Quads classes) the weights stay in registers over the run.
template <int Quads>
__attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vnni"), always_inline)) inline void avx512_run(
    const SpreadInputs& in, const ScreenCount* counts, const int32_t* sizes, const int32_t* squares, size_t blocks,
    uint32_t* masks) {
  static_assert(sizeof(ScreenCount) == 1 && kScreenLanes == 16, "four classes of sixteen byte lanes per register");
  alignas(64) static const uint8_t order[64] = {
      0, 16, 32, 48, 1, 17, 33, 49, 2,  18, 34, 50, 3,  19, 35, 51, 4,  20, 36, 52, 5,  21,
      37, 53, 6, 22, 38, 54, 7, 23, 39, 55, 8,  24, 40, 56, 9,  25, 41, 57, 10, 26, 42, 58, 11, 27,
      43, 59, 12, 28, 44, 60, 13, 29, 45, 61, 14, 30, 46, 62, 15, 31, 47, 63};
  const __m512i by_lane = _mm512_load_si512(order);
  const int quads = Quads > 0 ? Quads : (in.classes + 3) / 4;
  const size_t stride = size_t(in.classes) * kScreenLanes;
  const int last_rows = in.classes - 4 * (quads - 1);
  const __mmask64 last_bytes = last_rows == 4 ? ~__mmask64{0} : (__mmask64{1} << (last_rows * kScreenLanes)) - 1;
  __m512i low_w[Quads > 0 ? Quads : 1], high_w[Quads > 0 ? Quads : 1];
  for (int k = 0; k < Quads; ++k) {
    low_w[k] = _mm512_set1_epi32(int32_t(in.low[k]));
    high_w[k] = _mm512_set1_epi32(int32_t(in.high[k]));
  }
  const __m512i base = _mm512_set1_epi32(in.merged_squares), total = _mm512_set1_epi32(in.total);
  const __m512 ratio = _mm512_set1_ps(in.ratio);
  for (size_t b = 0; b < blocks; ++b) {
    const ScreenCount* block = counts + b * stride;
    __m512i low = _mm512_setzero_si512(), high = _mm512_setzero_si512();
    for (int k = 0; k < quads; ++k) {
      const __mmask64 bytes = k + 1 < quads ? ~__mmask64{0} : last_bytes;  // the last rows may be fewer
      const __m512i c = _mm512_permutexvar_epi8(by_lane, _mm512_maskz_loadu_epi8(bytes, block + 4 * k * kScreenLanes));
      low = _mm512_dpbusd_epi32(low, c, Quads > 0 ? low_w[k] : _mm512_set1_epi32(int32_t(in.low[k])));
      high = _mm512_dpbusd_epi32(high, c, Quads > 0 ? high_w[k] : _mm512_set1_epi32(int32_t(in.high[k])));
    }
    const __m512i dot = _mm512_add_epi32(low, _mm512_slli_epi32(high, 7));
    const __m512i a = _mm512_add_epi32(_mm512_add_epi32(base, _mm512_loadu_si512(squares + b * kScreenLanes)),
                                       _mm512_add_epi32(dot, dot));
    const __m512 t = _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_loadu_si512(sizes + b * kScreenLanes), total));
    const __m512 rhs = _mm512_mul_ps(ratio, _mm512_mul_ps(t, t));
    masks[b] = uint32_t(_mm512_cmp_ps_mask(_mm512_cvtepi32_ps(a), rhs, _CMP_NGT_UQ));
  }
}

__attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vnni"))) void avx512_spread(
    const SpreadInputs& in, const ScreenCount* counts, const int32_t* sizes, const int32_t* squares, size_t blocks,
    uint32_t* masks) {
  switch ((in.classes + 3) / 4) {
    case 1: return avx512_run<1>(in, counts, sizes, squares, blocks, masks);
    case 2: return avx512_run<2>(in, counts, sizes, squares, blocks, masks);
    case 3: return avx512_run<3>(in, counts, sizes, squares, blocks, masks);
    case 4: return avx512_run<4>(in, counts, sizes, squares, blocks, masks);
    default: return avx512_run<0>(in, counts, sizes, squares, blocks, masks);
  }
}
#pragma GCC diagnostic pop
#endif

}  // namespace

std::vector<SpreadVariant> spread_variants() {
  std::vector<SpreadVariant> v = {{"plain", plain_spread, true}};
#ifdef ASTRAEA_SPREAD_X86
  __builtin_cpu_init();
  v.push_back({"avx2", avx2_spread, __builtin_cpu_supports("avx2") != 0});
  v.push_back({"avx512", avx512_spread,
               __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vnni")});
#endif
  return v;
}

SpreadKernel best_spread_kernel() {
  static const SpreadKernel best = best_supported(spread_variants());
  return best;
}

}  // namespace astraea
