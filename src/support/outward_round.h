// Rounding a double outward to a narrower floating type: the nearest T at or
// below (above) v. A bound or box converted this way still contains what it
// held in f64 (round-to-nearest can move it inward by half an ulp).
#pragma once

#include <cmath>
#include <limits>

namespace bf {

template <typename T>
T round_down(double v) {
  T t = static_cast<T>(v);
  if (static_cast<double>(t) > v) t = std::nextafter(t, -std::numeric_limits<T>::infinity());
  return t;
}

template <typename T>
T round_up(double v) {
  T t = static_cast<T>(v);
  if (static_cast<double>(t) < v) t = std::nextafter(t, std::numeric_limits<T>::infinity());
  return t;
}

}  // namespace bf
