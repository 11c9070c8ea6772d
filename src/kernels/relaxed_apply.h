// One step of CROWN's backward pass through an elementwise relaxation: every
// coefficient a of a row takes the line that bounds its side (pos where a > 0,
// neg where a < 0): t = a * slope (or t += ...), and the intercepts' share
// sum a * intercept comes back. A zero coefficient takes no line (an infinite
// intercept would make 0 * inf = NaN); a NaN coefficient takes the neg line.
// Every t is one multiply (and one add): the same bits on every path; the sum
// is accumulated in lanes, so its bits depend on the path.
#pragma once

#include <cstdint>

namespace bf {

float relaxed_apply(const float* a, float* t, const float* pos_slope, const float* pos_icpt, const float* neg_slope,
                    const float* neg_icpt, std::int64_t n, bool accumulate);

namespace detail {
// The AVX2 path (machines without AVX-512), for tests of both paths.
float relaxed_apply_avx2(const float* a, float* t, const float* pos_slope, const float* pos_icpt,
                         const float* neg_slope, const float* neg_icpt, std::int64_t n, bool accumulate);
}  // namespace detail

}  // namespace bf
