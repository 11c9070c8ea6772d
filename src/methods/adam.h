// The optimiser of alpha-CROWN and beta-CROWN: Adam on flat parameter arrays,
// ascent or descent by range. The parameters' ranges are not its business: the
// program clamps each parameter into its range where it reads it (alpha's
// lines, beta's signs) and writes the clamped value back.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace bf {

struct AdamSettings {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

template <typename T>
class Adam {
 public:
  explicit Adam(std::size_t n, AdamSettings s = {}) : m_(n, T(0)), v_(n, T(0)), s_(s) {}

  std::size_t size() const { return m_.size(); }
  // Moments back to zero on [i0, i1): a fresh start for those parameters.
  void reset(std::size_t i0, std::size_t i1) {
    std::fill(m_.begin() + static_cast<std::ptrdiff_t>(i0), m_.begin() + static_cast<std::ptrdiff_t>(i1), T(0));
    std::fill(v_.begin() + static_cast<std::ptrdiff_t>(i0), v_.begin() + static_cast<std::ptrdiff_t>(i1), T(0));
  }

  // Step number `step` (from 0) on [i0, i1): p += lr * mhat / (sqrt(vhat) + eps)
  // with the moments of sign * g (sign +1: ascent, -1: descent).
  void update(T* p, const T* g, std::size_t i0, std::size_t i1, T sign, int step, double lr) {
    const T c1 = static_cast<T>(1.0 - std::pow(s_.beta1, step + 1));
    const T c2 = static_cast<T>(1.0 - std::pow(s_.beta2, step + 1));
    const T lr_c = static_cast<T>(lr) / c1, inv_c2 = T(1) / c2;
    const T b1 = static_cast<T>(s_.beta1), b2 = static_cast<T>(s_.beta2), e = static_cast<T>(s_.eps);
    T* m = m_.data();
    T* v = v_.data();
    std::size_t i = i0;
    if constexpr (std::is_same_v<T, float>) {
      const __m256 vs = _mm256_set1_ps(sign), vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2);
      const __m256 vb1c = _mm256_set1_ps(1.0f - b1), vb2c = _mm256_set1_ps(1.0f - b2);
      const __m256 vlr = _mm256_set1_ps(lr_c), vic = _mm256_set1_ps(inv_c2), ve = _mm256_set1_ps(e);
      for (; i + 8 <= i1; i += 8) {
        const __m256 gi = _mm256_mul_ps(_mm256_loadu_ps(g + i), vs);
        const __m256 mi = _mm256_fmadd_ps(vb1, _mm256_loadu_ps(m + i), _mm256_mul_ps(vb1c, gi));
        const __m256 vi = _mm256_fmadd_ps(vb2, _mm256_loadu_ps(v + i), _mm256_mul_ps(vb2c, _mm256_mul_ps(gi, gi)));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        const __m256 step_v =
            _mm256_div_ps(_mm256_mul_ps(vlr, mi), _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, vic)), ve));
        _mm256_storeu_ps(p + i, _mm256_add_ps(_mm256_loadu_ps(p + i), step_v));
      }
    }
    for (; i < i1; ++i) {
      const T gi = g[i] * sign;
      m[i] = b1 * m[i] + (T(1) - b1) * gi;
      v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
      p[i] += lr_c * m[i] / (std::sqrt(v[i] * inv_c2) + e);
    }
  }

 private:
  std::vector<T> m_, v_;
  AdamSettings s_;
};

}  // namespace bf
