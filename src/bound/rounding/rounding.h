// The arithmetic of the rounding account (docs/soundness.md, "Sound floating
// point"): the standard error bound of a floating-point sum of products,
//
//   |fl(sum_i a_i b_i) - sum_i a_i b_i| <= gamma(n) sum_i |a_i b_i| + 2 n eta,
//   gamma(n) = n u / (1 - n u),
//
// for any order of summation and with or without fused multiply-adds (Higham,
// Accuracy and Stability of Numerical Algorithms, 2nd ed., 3.1), where u is the
// unit roundoff of the format (2^-24 for binary32, 2^-53 for binary64) and eta
// bounds the absolute error one operation can make near underflow (we take the
// smallest normal number, which also covers flush-to-zero). Assumes IEEE-754
// arithmetic with round-to-nearest, and no -ffast-math.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "support/outward_round.h"
#include "tensor/dtype.h"

namespace bf {

// Unit roundoff of a floating type.
inline double unit_roundoff(DType dtype) { return dtype == DType::F32 ? 0x1p-24 : 0x1p-53; }

// The absolute error one operation may add near underflow: the smallest normal.
inline double underflow_eta(DType dtype) {
  return dtype == DType::F32 ? static_cast<double>(std::numeric_limits<float>::min())
                             : std::numeric_limits<double>::min();
}

// gamma(n) for `n` rounded operations in `dtype`, rounded up (computed in
// double with a relative margin far above double's own error); infinity where
// n u >= 1/2, where the bound stops being useful.
inline double rounding_gamma(std::int64_t n, DType dtype) {
  const double nu = static_cast<double>(n) * unit_roundoff(dtype);
  if (!(nu < 0.5)) return std::numeric_limits<double>::infinity();
  return nu / (1.0 - nu) * (1.0 + 0x1p-40);
}

// An upper bound of a sum of `n` non-negative double products accumulated in
// double (`sum`), in any order: the true sum is at most sum (1 + gamma_double(n
// + 1)), plus underflow.
inline double inflate_double_sum(double sum, std::int64_t n) {
  return sum * (1.0 + rounding_gamma(n + 1, DType::F64)) + static_cast<double>(2 * (n + 1)) * 0x1p-1022;
}

// The same for `n` non-negative products of T accumulated in T (s): the
// computed sum is within gamma_n(T) of the true one relatively (Higham 3.1,
// any order), so the true sum is at most (s + underflow) / (1 - gamma_{n+1}).
template <typename T>
class SumBound {
 public:
  explicit SumBound(std::int64_t n) {
    constexpr DType kType = sizeof(T) == 4 ? DType::F32 : DType::F64;
    const double g = rounding_gamma(n + 1, kType);
    factor_ = g < 0.5 ? (1.0 + g / (1.0 - g)) * (1.0 + 0x1p-50) : std::numeric_limits<double>::infinity();
    under_ = static_cast<double>(2 * (n + 1)) * underflow_eta(kType);
  }
  double operator()(T sum) const { return (static_cast<double>(sum) + under_) * factor_; }
  double factor() const { return factor_; }
  double under() const { return under_; }

 private:
  double factor_ = 0.0, under_ = 0.0;
};

// a + b rounded down (up) to T: at most (at least) the exact sum, for T float
// or double (the double sum is stepped one ulp outward first, which also
// covers an exact sum; infinities stay where a bound may keep them).
template <typename T>
T add_down(double a, double b) {
  const double s = a + b;
  return round_down<T>(next_down<double>(s));
}
template <typename T>
T add_up(double a, double b) {
  const double s = a + b;
  return round_up<T>(next_up<double>(s));
}

}  // namespace bf
