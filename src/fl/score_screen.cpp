#include "astraea/fl/score_screen.hpp"

#include <cmath>
#include <limits>

#include "astraea/fl/mediator_score.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ASTRAEA_SCREEN_X86 1
#endif

namespace astraea {

ScoreScreen::ScoreScreen(const MediatorScore& score)
    : score_(score),
      f_(static_cast<size_t>(score.table_size())),
      log_(f_.size()),
      near_(static_cast<size_t>(score.classes()) * kScreenTable),
      merged_(static_cast<size_t>(score.classes())) {
  for (size_t v = 0; v < f_.size(); ++v) {
    f_[v] = static_cast<float>(score.f_table()[v]);
    log_[v] = static_cast<float>(score.log_table()[v]);
  }
  in_.classes = score.classes();
  in_.near = near_.data();
  in_.merged = merged_.data();
  in_.f_table = f_.data();
  in_.log_table = log_.data();
  in_.log_classes = static_cast<float>(score.log_classes());
  in_.table_size = static_cast<int32_t>(f_.size());
}

bool ScoreScreen::reset(const int64_t* merged, int64_t largest_count, int64_t largest_size) {
  int64_t total = 0;
  bool fits = true;
  for (int y = 0; y < in_.classes; ++y) {
    total += merged[y];
    fits = fits && merged[y] + largest_count < score_.table_size();
  }
  fits = fits && total > 0 && total + largest_size < score_.table_size() && total + largest_size < (1 << 24);
  if (!fits) return false;
  for (int y = 0; y < in_.classes; ++y) {
    merged_[y] = static_cast<int32_t>(merged[y]);
    for (int v = 0; v < kScreenTable; ++v) near_[size_t(y) * kScreenTable + v] = static_cast<float>(score_.f(merged[y] + v));
  }
  in_.total = static_cast<int32_t>(total);
  slack_ = 2.0 * (in_.classes + 7) * std::ldexp(1.0, -24) *
           (std::log(double(total + largest_size)) + score_.log_classes());
  return true;
}

float ScoreScreen::widened(double cutoff) const {
  const double c = cutoff + slack_;
  float f = static_cast<float>(c);
  if (static_cast<double>(f) < c) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

namespace {

uint32_t plain_screen(const ScreenInputs& in, const ScreenCount* counts, const int32_t* sizes, float cutoff,
                      float* out) {
  uint32_t mask = 0;
  for (int l = 0; l < kScreenLanes; ++l) {
    float g = 0.0f;
    for (int y = 0; y < in.classes; ++y) {
      const int32_t c = counts[y * kScreenLanes + l];
      g += c < kScreenTable ? in.near[y * kScreenTable + c] : in.f_table[in.merged[y] + c];
    }
    const int32_t t = in.total + sizes[l];
    const float screened = (in.log_classes - in.log_table[t]) + g / static_cast<float>(t);
    if (screened <= cutoff) mask |= 1u << l;
    if (out) out[l] = screened;
  }
  return mask;
}

#ifdef ASTRAEA_SCREEN_X86
// GCC 12 warns inside its own gather intrinsics (their unset pass-through operand).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The same operations per lane as plain_screen.
__attribute__((target("avx512f"))) uint32_t avx512_screen(const ScreenInputs& in, const ScreenCount* counts,
                                                          const int32_t* sizes, float cutoff, float* out) {
  static_assert(sizeof(ScreenCount) == 1, "the loads below widen bytes");
  const __m512i beyond = _mm512_set1_epi32(kScreenTable - 1);
  __m512 g = _mm512_setzero_ps();
  for (int y = 0; y < in.classes; ++y) {
    const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(counts + y * kScreenLanes)));
    const float* row = in.near + y * kScreenTable;
    __m512 v = _mm512_permutex2var_ps(_mm512_loadu_ps(row), c, _mm512_loadu_ps(row + 16));
    const __mmask16 far = _mm512_cmpgt_epi32_mask(c, beyond);
    if (far != 0) {
      const __m512i at = _mm512_add_epi32(c, _mm512_set1_epi32(in.merged[y]));
      v = _mm512_mask_i32gather_ps(v, far, at, in.f_table, 4);
    }
    g = _mm512_add_ps(g, v);
  }
  const __m512i s = _mm512_loadu_si512(sizes);
  const __m512i t = _mm512_add_epi32(s, _mm512_set1_epi32(in.total));
  __m512 log_t;
  const int32_t base = in.total + in.size_base;
  if (in.size_base >= 0 && base + kScreenTable <= in.table_size) {
    // log(T + s) = log_table[base + d]: the 32 entries from base in two registers.
    const __m512i d = _mm512_sub_epi32(s, _mm512_set1_epi32(in.size_base));
    log_t = _mm512_permutex2var_ps(_mm512_loadu_ps(in.log_table + base), d, _mm512_loadu_ps(in.log_table + base + 16));
    const __mmask16 beyond = _mm512_cmpgt_epu32_mask(d, _mm512_set1_epi32(kScreenTable - 1));  // or below: wraps
    if (beyond != 0) log_t = _mm512_mask_i32gather_ps(log_t, beyond, t, in.log_table, 4);
  } else {
    log_t = _mm512_i32gather_ps(t, in.log_table, 4);
  }
  const __m512 head = _mm512_sub_ps(_mm512_set1_ps(in.log_classes), log_t);
  const __m512 screened = _mm512_add_ps(head, _mm512_div_ps(g, _mm512_cvtepi32_ps(t)));
  if (out) _mm512_storeu_ps(out, screened);
  return _mm512_cmp_ps_mask(screened, _mm512_set1_ps(cutoff), _CMP_LE_OQ);
}

// f(m_y + c) for eight lanes, AVX2: the near row as four registers of eight, picked by the
// count's low three bits and blended by bits 3 and 4; a gather for the lanes past the row.
__attribute__((target("avx2"), always_inline)) inline __m256 avx2_term(const ScreenInputs& in, int y, __m256i c) {
  const float* row = in.near + y * kScreenTable;
  const __m256 p0 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(row), c);
  const __m256 p1 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(row + 8), c);
  const __m256 p2 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(row + 16), c);
  const __m256 p3 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(row + 24), c);
  const __m256 bit3 = _mm256_castsi256_ps(_mm256_slli_epi32(c, 28));  // blendv reads the sign bit
  const __m256 bit4 = _mm256_castsi256_ps(_mm256_slli_epi32(c, 27));
  __m256 v = _mm256_blendv_ps(_mm256_blendv_ps(p0, p1, bit3), _mm256_blendv_ps(p2, p3, bit3), bit4);
  const __m256i far = _mm256_cmpgt_epi32(c, _mm256_set1_epi32(kScreenTable - 1));
  if (!_mm256_testz_si256(far, far)) {
    const __m256i at = _mm256_add_epi32(c, _mm256_set1_epi32(in.merged[y]));
    v = _mm256_mask_i32gather_ps(v, in.f_table, at, _mm256_castsi256_ps(far), 4);
  }
  return v;
}

// The same operations per lane as plain_screen, as two halves of eight lanes.
__attribute__((target("avx2"))) uint32_t avx2_screen(const ScreenInputs& in, const ScreenCount* counts,
                                                     const int32_t* sizes, float cutoff, float* out) {
  static_assert(sizeof(ScreenCount) == 1, "the loads below widen bytes");
  uint32_t mask = 0;
  for (int half = 0; half < 2; ++half) {
    __m256 g = _mm256_setzero_ps();
    for (int y = 0; y < in.classes; ++y) {
      const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(counts + y * kScreenLanes + half * 8));
      g = _mm256_add_ps(g, avx2_term(in, y, _mm256_cvtepu8_epi32(bytes)));
    }
    const __m256i t = _mm256_add_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sizes + half * 8)),
                                       _mm256_set1_epi32(in.total));
    const __m256 head = _mm256_sub_ps(_mm256_set1_ps(in.log_classes), _mm256_i32gather_ps(in.log_table, t, 4));
    const __m256 screened = _mm256_add_ps(head, _mm256_div_ps(g, _mm256_cvtepi32_ps(t)));
    if (out) _mm256_storeu_ps(out + half * 8, screened);
    mask |= uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(screened, _mm256_set1_ps(cutoff), _CMP_LE_OQ))) << (half * 8);
  }
  return mask;
}
#pragma GCC diagnostic pop
#endif

}  // namespace

std::vector<ScreenVariant> screen_variants() {
  std::vector<ScreenVariant> v = {{"plain", plain_screen, true}};
#ifdef ASTRAEA_SCREEN_X86
  __builtin_cpu_init();
  v.push_back({"avx2", avx2_screen, __builtin_cpu_supports("avx2") != 0});
  v.push_back({"avx512", avx512_screen, __builtin_cpu_supports("avx512f") != 0});
#endif
  return v;
}

ScreenKernel best_screen_kernel() {
  static const ScreenKernel best = best_supported(screen_variants());
  return best;
}

}  // namespace astraea
