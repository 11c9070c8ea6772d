// Rounding a double outward to a narrower floating type: the nearest T at or
// below (above) v. A bound or box converted this way still contains what it
// held in f64 (round-to-nearest can move it inward by half an ulp).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace bf {

// The next T below (above) x, as std::nextafter towards -inf (+inf), without
// a library call: the sound kernels step every bound they round.
template <typename T>
T next_down(T x) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  static_assert(std::numeric_limits<T>::is_iec559 && sizeof(T) == sizeof(Bits));
  if (x != x || x == -std::numeric_limits<T>::infinity()) return x;
  if (x == T(0)) return -std::numeric_limits<T>::denorm_min();
  const Bits b = std::bit_cast<Bits>(x);
  return std::bit_cast<T>(x > T(0) ? b - 1 : b + 1);
}

template <typename T>
T next_up(T x) {
  return -next_down<T>(-x);
}

namespace outward_detail {

// A float's place in the order of floats as an integer (-0 and +0 both 0), so
// that the next float below is one less: finite and infinite alike.
inline std::int64_t float_order(float x) {
  const auto u = std::bit_cast<std::uint32_t>(x);
  const auto m = static_cast<std::int64_t>(u & 0x7fffffffU);
  return (u >> 31) != 0U ? -m : m;
}
// The float at place k; a zero keeps the sign of `from` (the float stepped
// from, as std::nextafter does).
inline float float_at(std::int64_t k, float from) {
  const std::uint32_t u = k < 0 ? 0x80000000U | static_cast<std::uint32_t>(-k) : static_cast<std::uint32_t>(k);
  const std::uint32_t zero_sign = k == 0 ? std::bit_cast<std::uint32_t>(from) & 0x80000000U : 0U;
  return std::bit_cast<float>(u | zero_sign);
}

// c ? x : y by bit masks, both computed (t itself keeps a zero's sign).
inline float pick(bool c, float x, float y) {
  const std::uint32_t mask = 0U - static_cast<std::uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<std::uint32_t>(x) & mask) | (std::bit_cast<std::uint32_t>(y) & ~mask));
}

}  // namespace outward_detail

// Without a branch on the data: whether round-to-nearest went up or down is a
// coin toss the branch predictor cannot learn, and the sound kernels round
// every bound they write.
template <typename T>
T round_down(double v) {
  if constexpr (std::is_same_v<T, double>) {
    return v;
  } else {
    static_assert(std::is_same_v<T, float>);
    const float t = static_cast<float>(v);
    // A NaN or -inf t is never above v, so the step never leaves the floats.
    const bool step = static_cast<double>(t) > v;
    return outward_detail::pick(step, outward_detail::float_at(outward_detail::float_order(t) - 1, t), t);
  }
}

template <typename T>
T round_up(double v) {
  if constexpr (std::is_same_v<T, double>) {
    return v;
  } else {
    static_assert(std::is_same_v<T, float>);
    const float t = static_cast<float>(v);
    const bool step = static_cast<double>(t) < v;
    return outward_detail::pick(step, outward_detail::float_at(outward_detail::float_order(t) + 1, t), t);
  }
}

}  // namespace bf
