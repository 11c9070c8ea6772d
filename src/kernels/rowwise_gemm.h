// C = A B (or C += A B) in f32 where every row of C comes out bit for bit the
// same however many rows are computed at once, wherever the row sits, and on
// how many threads. Each output element is one chain of fused multiply-adds in
// ascending k, started from 0 (or from C's value when accumulating). Library
// GEMMs pick kernels and blockings by the matrix sizes, so a row's bits depend
// on how many rows came with it; CROWN's sweeps split rows into chunks to fit a
// memory budget and promise the same bounds whatever the split.
//
// B is packed (pack_b) into panels of 16 columns, contiguous along k, into
// storage the caller owns (a prepared weight or a kernel's arena scratch).
// The kernel works on 6 x 16 tiles of C with AVX2 FMA.
#pragma once

#include <cstdint>

namespace bf {

// Floats needed to pack a [k, n] matrix.
std::int64_t packed_b_floats(std::int64_t k, std::int64_t n);

// Packs rows `rows[0..k)` of B (row-major, leading dimension ldb, n columns)
// into `dst` (packed_b_floats(k, n) floats); rows == nullptr packs rows 0..k.
void pack_b(const float* b, std::int64_t ldb, std::int64_t k, std::int64_t n, const std::int64_t* rows, float* dst);

// C[m, n] (leading dimension ldc) = A[m, k] (lda) x packed B, or += when `accumulate`.
void rowwise_gemm(std::int64_t m, std::int64_t k, std::int64_t n, const float* a, std::int64_t lda,
                  const float* packed_b, float* c, std::int64_t ldc, bool accumulate);

// Whether this CPU runs AVX-512F (kernels with a wider path ask).
bool has_avx512();

namespace detail {
// The AVX2 path, which machines without AVX-512 take; for tests that check both
// paths give the same bits.
void rowwise_gemm_avx2(std::int64_t m, std::int64_t k, std::int64_t n, const float* a, std::int64_t lda,
                       const float* packed_b, float* c, std::int64_t ldc, bool accumulate);
}  // namespace detail

}  // namespace bf
