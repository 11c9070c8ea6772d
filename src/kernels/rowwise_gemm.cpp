#include "kernels/rowwise_gemm.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

namespace bf {

namespace {

constexpr std::int64_t kPanel = 16;  // columns per panel: two AVX registers
constexpr std::int64_t kRows = 6;    // rows per tile: 12 accumulators

// One tile: R rows of A against one panel of B, all of k in one chain per element.
template <int R>
void tile(std::int64_t k, const float* a, std::int64_t lda, const float* panel, float* c, std::int64_t ldc,
          std::int64_t cols, bool accumulate) {
  __m256 acc[R][2];
  alignas(32) float buf[R][kPanel];
  for (int r = 0; r < R; ++r) {
    if (accumulate) {
      std::memset(buf[r], 0, sizeof(buf[r]));
      std::memcpy(buf[r], c + r * ldc, static_cast<std::size_t>(cols) * sizeof(float));
      acc[r][0] = _mm256_load_ps(buf[r]);
      acc[r][1] = _mm256_load_ps(buf[r] + 8);
    } else {
      acc[r][0] = _mm256_setzero_ps();
      acc[r][1] = _mm256_setzero_ps();
    }
  }
  for (std::int64_t kk = 0; kk < k; ++kk) {
    const __m256 b0 = _mm256_loadu_ps(panel + kk * kPanel);
    const __m256 b1 = _mm256_loadu_ps(panel + kk * kPanel + 8);
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + kk);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; ++r) {
    if (cols == kPanel) {
      _mm256_storeu_ps(c + r * ldc, acc[r][0]);
      _mm256_storeu_ps(c + r * ldc + 8, acc[r][1]);
    } else {
      _mm256_store_ps(buf[r], acc[r][0]);
      _mm256_store_ps(buf[r] + 8, acc[r][1]);
      std::memcpy(c + r * ldc, buf[r], static_cast<std::size_t>(cols) * sizeof(float));
    }
  }
}

void tile_rows(std::int64_t rows, std::int64_t k, const float* a, std::int64_t lda, const float* panel, float* c,
               std::int64_t ldc, std::int64_t cols, bool accumulate) {
  switch (rows) {
    case 6:
      tile<6>(k, a, lda, panel, c, ldc, cols, accumulate);
      break;
    case 5:
      tile<5>(k, a, lda, panel, c, ldc, cols, accumulate);
      break;
    case 4:
      tile<4>(k, a, lda, panel, c, ldc, cols, accumulate);
      break;
    case 3:
      tile<3>(k, a, lda, panel, c, ldc, cols, accumulate);
      break;
    case 2:
      tile<2>(k, a, lda, panel, c, ldc, cols, accumulate);
      break;
    default:
      tile<1>(k, a, lda, panel, c, ldc, cols, accumulate);
      break;
  }
}

// AVX-512: R rows against NP (1 or 2) panels, k from k0 to k1, 2R accumulators
// of 16 lanes. Lanes are independent IEEE fma chains, so the bits equal the
// AVX2 path's.
template <int R, int NP>
__attribute__((target("avx512f"))) void tile512(std::int64_t k0, std::int64_t k1, std::int64_t k, const float* a,
                                                std::int64_t lda, const float* panels, float* c, std::int64_t ldc,
                                                std::int64_t cols, bool load_c) {
  __m512 acc[R][NP];
  const __mmask16 m0 = cols >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << cols) - 1u);
  const __mmask16 m1 = cols >= 32   ? static_cast<__mmask16>(0xFFFF)
                       : cols <= 16 ? static_cast<__mmask16>(0)
                                    : static_cast<__mmask16>((1u << (cols - 16)) - 1u);
  for (int r = 0; r < R; ++r) {
    acc[r][0] = load_c ? _mm512_maskz_loadu_ps(m0, c + r * ldc) : _mm512_setzero_ps();
    if constexpr (NP == 2) acc[r][1] = load_c ? _mm512_maskz_loadu_ps(m1, c + r * ldc + 16) : _mm512_setzero_ps();
  }
  const float* p0 = panels;
  const float* p1 = panels + k * kPanel;
  for (std::int64_t kk = k0; kk < k1; ++kk) {
    const __m512 b0 = _mm512_loadu_ps(p0 + kk * kPanel);
    __m512 b1 = b0;
    if constexpr (NP == 2) b1 = _mm512_loadu_ps(p1 + kk * kPanel);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + kk]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      if constexpr (NP == 2) acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
    if constexpr (NP == 2) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
  }
}

template <int NP>
__attribute__((target("avx512f"))) void tile512_rows(int rows, std::int64_t k0, std::int64_t k1, std::int64_t k,
                                                     const float* a, std::int64_t lda, const float* panels, float* c,
                                                     std::int64_t ldc, std::int64_t cols, bool load_c) {
  switch (rows) {
    case 8:
      tile512<8, NP>(k0, k1, k, a, lda, panels, c, ldc, cols, load_c);
      break;
    case 7:
      tile512<7, NP>(k0, k1, k, a, lda, panels, c, ldc, cols, load_c);
      break;
    case 6:
      tile512<6, NP>(k0, k1, k, a, lda, panels, c, ldc, cols, load_c);
      break;
    case 5:
      tile512<5, NP>(k0, k1, k, a, lda, panels, c, ldc, cols, load_c);
      break;
    case 4:
      tile512<4, NP>(k0, k1, k, a, lda, panels, c, ldc, cols, load_c);
      break;
    case 3:
      tile512<3, NP>(k0, k1, k, a, lda, panels, c, ldc, cols, load_c);
      break;
    case 2:
      tile512<2, NP>(k0, k1, k, a, lda, panels, c, ldc, cols, load_c);
      break;
    default:
      tile512<1, NP>(k0, k1, k, a, lda, panels, c, ldc, cols, load_c);
      break;
  }
}

constexpr std::int64_t kRows512 = 8;     // rows per AVX-512 tile
constexpr std::int64_t kBlockRows = 96;  // rows per block (its slice of A stays in cache)
constexpr std::int64_t kBlockK = 256;    // k per pass over a block (B's panels stay in cache)

// One block of rows and panels [p0, p1): k in slices, each through every pair
// of panels. C holds the running sums between slices, so each element is still
// one fma chain.
__attribute__((target("avx512f"))) void block512(std::int64_t rows, std::int64_t k, std::int64_t n, std::int64_t p0,
                                                 std::int64_t p1, const float* a, std::int64_t lda,
                                                 const float* packed_b, float* c, std::int64_t ldc, bool accumulate) {
  for (std::int64_t k0 = 0; k0 < k; k0 += kBlockK) {
    const std::int64_t k1 = std::min(k, k0 + kBlockK);
    const bool load_c = accumulate || k0 > 0;
    for (std::int64_t p = p0; p < p1; p += 2) {
      const std::int64_t cols = std::min({2 * kPanel, n - p * kPanel, (p1 - p) * kPanel});
      const float* pp = packed_b + p * k * kPanel;
      for (std::int64_t r0 = 0; r0 < rows; r0 += kRows512) {
        const int rr = static_cast<int>(std::min(kRows512, rows - r0));
        if (cols > kPanel) {
          tile512_rows<2>(rr, k0, k1, k, a + r0 * lda, lda, pp, c + r0 * ldc + p * kPanel, ldc, cols, load_c);
        } else {
          tile512_rows<1>(rr, k0, k1, k, a + r0 * lda, lda, pp, c + r0 * ldc + p * kPanel, ldc, cols, load_c);
        }
      }
    }
  }
}

}  // namespace

bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") != 0;
  return yes;
}

std::int64_t packed_b_floats(std::int64_t k, std::int64_t n) { return (n + kPanel - 1) / kPanel * k * kPanel; }

void pack_b(const float* b, std::int64_t ldb, std::int64_t k, std::int64_t n, const std::int64_t* rows, float* dst) {
  const std::int64_t panels = (n + kPanel - 1) / kPanel;
  for (std::int64_t p = 0; p < panels; ++p) {
    const std::int64_t cols = std::min(kPanel, n - p * kPanel);
    float* panel = dst + p * k * kPanel;
    for (std::int64_t kk = 0; kk < k; ++kk) {
      const std::int64_t row = rows != nullptr ? rows[kk] : kk;
      float* out = panel + kk * kPanel;
      if (cols == kPanel) {
        // A constant size: an inline copy, not a library call per 64 bytes.
        std::memcpy(out, b + row * ldb + p * kPanel, kPanel * sizeof(float));
        continue;
      }
      std::memcpy(out, b + row * ldb + p * kPanel, static_cast<std::size_t>(cols) * sizeof(float));
      std::memset(out + cols, 0, static_cast<std::size_t>(kPanel - cols) * sizeof(float));
    }
  }
}

void rowwise_gemm(std::int64_t m, std::int64_t k, std::int64_t n, const float* a, std::int64_t lda,
                  const float* packed_b, float* c, std::int64_t ldc, bool accumulate) {
  // Each element is computed by one thread, always the same way: the split of
  // rows between threads (and between blocks) does not change a single bit.
  if (has_avx512()) {
    // Tasks: blocks of rows times groups of panels (few rows, as at batch 1,
    // still spread over the threads by columns).
    constexpr std::int64_t kGroupPanels = 8;
    const std::int64_t panels = (n + kPanel - 1) / kPanel;
    const std::int64_t row_blocks = (m + kBlockRows - 1) / kBlockRows;
    const std::int64_t groups = (panels + kGroupPanels - 1) / kGroupPanels;
    const std::int64_t tasks = row_blocks * groups;
#pragma omp parallel for schedule(static) if (m * n * k > (std::int64_t{1} << 20) && tasks > 1)
    for (std::int64_t t = 0; t < tasks; ++t) {
      const std::int64_t r0 = t / groups * kBlockRows, g = t % groups;
      block512(std::min(kBlockRows, m - r0), k, n, g * kGroupPanels, std::min(panels, (g + 1) * kGroupPanels),
               a + r0 * lda, lda, packed_b, c + r0 * ldc, ldc, accumulate);
    }
    return;
  }
  detail::rowwise_gemm_avx2(m, k, n, a, lda, packed_b, c, ldc, accumulate);
}

void detail::rowwise_gemm_avx2(std::int64_t m, std::int64_t k, std::int64_t n, const float* a, std::int64_t lda,
                               const float* packed_b, float* c, std::int64_t ldc, bool accumulate) {
  const std::int64_t panels = (n + kPanel - 1) / kPanel;
  const std::int64_t blocks = (m + kRows - 1) / kRows;
#pragma omp parallel for schedule(static) if (blocks * panels * k > 200000)
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    const std::int64_t r0 = blk * kRows, rows = std::min(kRows, m - r0);
    for (std::int64_t p = 0; p < panels; ++p) {
      const std::int64_t cols = std::min(kPanel, n - p * kPanel);
      tile_rows(rows, k, a + r0 * lda, lda, packed_b + p * k * kPanel, c + r0 * ldc + p * kPanel, ldc, cols,
                accumulate);
    }
  }
}

}  // namespace bf
