#include "kernels/relaxed_apply.h"

#include <immintrin.h>

#include "kernels/rowwise_gemm.h"

namespace bf {

namespace {

// 16 lanes; the tail (and a window's short lines, often 3 to 14 wide) in one
// masked step instead of element by element.
__attribute__((target("avx512f"))) float apply512(const float* a, float* t, const float* ps, const float* pi,
                                                  const float* ns, const float* ni, std::int64_t n, bool accumulate) {
  const __m512 zero = _mm512_setzero_ps();
  __m512 acc = _mm512_setzero_ps();
  for (std::int64_t e = 0; e < n; e += 16) {
    const __mmask16 m = n - e >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << (n - e)) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(m, a + e);
    const __mmask16 positive = _mm512_mask_cmp_ps_mask(m, v, zero, _CMP_GT_OQ);
    const __mmask16 nonzero = _mm512_mask_cmp_ps_mask(m, v, zero, _CMP_NEQ_UQ);
    const auto negative = static_cast<__mmask16>(m & ~positive);
    const __m512 slope = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(negative, ns + e), positive, ps + e);
    const __m512 icpt = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(static_cast<__mmask16>(nonzero & negative), ni + e),
                                             positive, pi + e);
    __m512 out = _mm512_mul_ps(v, slope);
    if (accumulate) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(m, t + e));
    _mm512_mask_storeu_ps(t + e, m, out);
    acc = _mm512_fmadd_ps(v, icpt, acc);
  }
  return _mm512_reduce_add_ps(acc);
}

}  // namespace

float detail::relaxed_apply_avx2(const float* a, float* t, const float* ps, const float* pi, const float* ns,
                                 const float* ni, std::int64_t n, bool accumulate) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 acc = _mm256_setzero_ps();
  std::int64_t e = 0;
  for (; e + 8 <= n; e += 8) {
    const __m256 v = _mm256_loadu_ps(a + e);
    const __m256 positive = _mm256_cmp_ps(v, zero, _CMP_GT_OQ);
    const __m256 slope = _mm256_blendv_ps(_mm256_loadu_ps(ns + e), _mm256_loadu_ps(ps + e), positive);
    const __m256 nonzero = _mm256_cmp_ps(v, zero, _CMP_NEQ_UQ);
    const __m256 icpt =
        _mm256_and_ps(nonzero, _mm256_blendv_ps(_mm256_loadu_ps(ni + e), _mm256_loadu_ps(pi + e), positive));
    __m256 out = _mm256_mul_ps(v, slope);
    if (accumulate) out = _mm256_add_ps(out, _mm256_loadu_ps(t + e));
    _mm256_storeu_ps(t + e, out);
    acc = _mm256_fmadd_ps(v, icpt, acc);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  float sum = 0.0f;
  for (float l : lanes) sum += l;
  for (; e < n; ++e) {
    const float v = a[e];
    const bool positive = v > 0.0f;
    const float out = v * (positive ? ps[e] : ns[e]);
    t[e] = accumulate ? t[e] + out : out;
    if (v != 0.0f) sum += v * (positive ? pi[e] : ni[e]);
  }
  return sum;
}

float relaxed_apply(const float* a, float* t, const float* ps, const float* pi, const float* ns, const float* ni,
                    std::int64_t n, bool accumulate) {
  if (has_avx512()) return apply512(a, t, ps, pi, ns, ni, n, accumulate);
  return detail::relaxed_apply_avx2(a, t, ps, pi, ns, ni, n, accumulate);
}

}  // namespace bf
