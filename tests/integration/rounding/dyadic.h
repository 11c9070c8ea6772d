// Exact dyadic rationals for the rounding tests: sign * mantissa * 2^exponent,
// the mantissa an arbitrary-precision integer (32-bit limbs, least significant
// first). Every float and double is one exactly, and sums, differences and
// products of them are computed without rounding, so a network's output at a
// point, or its maximum over a box, can be known exactly. No dependencies
// beyond the standard library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bf::test {

class Dyadic {
 public:
  Dyadic() = default;  // zero
  // Exact. Throws std::invalid_argument for NaN or infinity.
  explicit Dyadic(double d);
  static Dyadic of_float(float f) { return Dyadic(static_cast<double>(f)); }

  int sign() const { return mag_.empty() ? 0 : (neg_ ? -1 : 1); }
  bool is_zero() const { return mag_.empty(); }
  Dyadic abs() const;
  Dyadic operator-() const;
  Dyadic& operator+=(const Dyadic& b);
  Dyadic& operator-=(const Dyadic& b);

  friend Dyadic operator+(const Dyadic& a, const Dyadic& b);
  friend Dyadic operator-(const Dyadic& a, const Dyadic& b);
  friend Dyadic operator*(const Dyadic& a, const Dyadic& b);
  // -1, 0 or 1 as a < b, a == b, a > b (exactly).
  friend int compare(const Dyadic& a, const Dyadic& b);

  // The nearest double (ties to even; results in the subnormal range may be
  // off by one rounding). For printing and for choosing candidate thresholds,
  // which are then checked exactly.
  double to_double() const;
  // "%.17g" of to_double(), with "~" in front when that is not exact.
  std::string str() const;
  std::int64_t bits() const;  // the mantissa's length in bits (0 for zero)

 private:
  bool neg_ = false;
  std::vector<std::uint32_t> mag_;  // no high zero limbs, odd (lowest bit set) unless zero
  std::int64_t exp_ = 0;
  void normalize();
  static Dyadic add(const Dyadic& a, const Dyadic& b, bool negate_b);
};

inline bool operator<(const Dyadic& a, const Dyadic& b) { return compare(a, b) < 0; }
inline bool operator<=(const Dyadic& a, const Dyadic& b) { return compare(a, b) <= 0; }
inline bool operator>(const Dyadic& a, const Dyadic& b) { return compare(a, b) > 0; }
inline bool operator>=(const Dyadic& a, const Dyadic& b) { return compare(a, b) >= 0; }
inline bool operator==(const Dyadic& a, const Dyadic& b) { return compare(a, b) == 0; }
inline bool operator!=(const Dyadic& a, const Dyadic& b) { return compare(a, b) != 0; }
inline const Dyadic& max(const Dyadic& a, const Dyadic& b) { return a < b ? b : a; }
inline const Dyadic& min(const Dyadic& a, const Dyadic& b) { return b < a ? b : a; }

}  // namespace bf::test
