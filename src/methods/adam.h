// The optimiser of alpha-CROWN and beta-CROWN: Adam on flat parameter arrays,
// ascent or descent by range. The parameters' ranges are not its business: the
// program clamps each parameter into its range where it reads it (alpha's
// lines, beta's signs) and writes the clamped value back.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
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
    const Step k = step_constants(sign, step, lr);
    apply(k, p + i0, g + i0, m_.data() + i0, v_.data() + i0, static_cast<std::int64_t>(i1 - i0));
  }

  // The same on the entries at[0..count) of p and g, the moments compact
  // (entry i's at i): for parameters of which only a known few can have a
  // gradient (branch and bound: the root's unstable neurons, a domain's
  // splits). Gathered into blocks, stepped as above, scattered back.
  void update_at(T* p, const T* g, const std::int64_t* at, std::size_t count, T sign, int step, double lr) {
    const Step k = step_constants(sign, step, lr);
    constexpr std::int64_t kBlock = 2048;
    const auto n = static_cast<std::int64_t>(count);
    const std::int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (blocks > 8)
    for (std::int64_t b = 0; b < blocks; ++b) {
      T pb[kBlock], gb[kBlock];
      const std::int64_t i0 = b * kBlock, len = std::min(kBlock, n - i0);
      for (std::int64_t i = 0; i < len; ++i) {
        pb[i] = p[at[i0 + i]];
        gb[i] = g[at[i0 + i]];
      }
      apply(k, pb, gb, m_.data() + i0, v_.data() + i0, len);
      for (std::int64_t i = 0; i < len; ++i) p[at[i0 + i]] = pb[i];
    }
  }

 private:
  struct Step {
    T sign, lr_c, inv_c2, b1, b2, e;
  };
  Step step_constants(T sign, int step, double lr) const {
    const T c1 = static_cast<T>(1.0 - std::pow(s_.beta1, step + 1));
    const T c2 = static_cast<T>(1.0 - std::pow(s_.beta2, step + 1));
    return {sign,
            static_cast<T>(lr) / c1,
            T(1) / c2,
            static_cast<T>(s_.beta1),
            static_cast<T>(s_.beta2),
            static_cast<T>(s_.eps)};
  }

  // n entries of p, g, m and v, side by side.
  static void apply(const Step& k, T* p, const T* g, T* m, T* v, std::int64_t n) {
    std::int64_t i = 0;
    if constexpr (std::is_same_v<T, float>) {
      const __m256 vs = _mm256_set1_ps(k.sign), vb1 = _mm256_set1_ps(k.b1), vb2 = _mm256_set1_ps(k.b2);
      const __m256 vb1c = _mm256_set1_ps(1.0f - k.b1), vb2c = _mm256_set1_ps(1.0f - k.b2);
      const __m256 vlr = _mm256_set1_ps(k.lr_c), vic = _mm256_set1_ps(k.inv_c2), ve = _mm256_set1_ps(k.e);
      for (; i + 8 <= n; i += 8) {
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
    for (; i < n; ++i) {
      const T gi = g[i] * k.sign;
      m[i] = k.b1 * m[i] + (T(1) - k.b1) * gi;
      v[i] = k.b2 * v[i] + (T(1) - k.b2) * gi * gi;
      p[i] += k.lr_c * m[i] / (std::sqrt(v[i] * k.inv_c2) + k.e);
    }
  }

  std::vector<T> m_, v_;
  AdamSettings s_;
};

}  // namespace bf
