// The centre-radius form of a box [l, u], shared by the reference interval
// rules and the fast kernels so both compute the same bits:
//   c = l/2 + u/2,  r = u/2 - l/2.
// Halving first is exact (outside the subnormal range), so this rounds like
// (u + l)/2 and (u - l)/2 would, but it cannot overflow: bounds near the top of
// the float range (l = 2e38, u = 3e38) keep a finite centre instead of an
// infinite one whose c - r would be an unsound +inf lower bound.
#pragma once

#include <immintrin.h>

namespace bf {

template <typename T>
inline T centre_of(T lower, T upper) {
  return lower / T(2) + upper / T(2);
}

template <typename T>
inline T radius_of(T lower, T upper) {
  return upper / T(2) - lower / T(2);
}

// Eight lanes at once (AVX); the same operations as the scalar forms.
inline __m256 centre_of8(__m256 lower, __m256 upper) {
  const __m256 half = _mm256_set1_ps(0.5f);
  return _mm256_add_ps(_mm256_mul_ps(lower, half), _mm256_mul_ps(upper, half));
}

inline __m256 radius_of8(__m256 lower, __m256 upper) {
  const __m256 half = _mm256_set1_ps(0.5f);
  return _mm256_sub_ps(_mm256_mul_ps(upper, half), _mm256_mul_ps(lower, half));
}

}  // namespace bf
