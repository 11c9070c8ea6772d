#include "bound/linear/s_shaped.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

namespace bf {

template <typename T>
T s_value(SShape f, T x) {
  if (f == SShape::Tanh) return std::tanh(x);
  return T(1) / (T(1) + std::exp(-x));
}

template <typename T>
T s_slope(SShape f, T x) {
  const T y = s_value(f, x);
  if (f == SShape::Tanh) return T(1) - y * y;
  return y * (T(1) - y);
}

namespace {

constexpr double kStep = 0.01;
constexpr std::int64_t kGrid = 50000 + 5;  // x_limit 500 / step 0.01, plus 5
constexpr int kBisections = 100;

// The tangent at d lies below f at `upper` (d <= upper).
template <typename T>
bool below_at(SShape f, T upper, T d) {
  return s_slope(f, d) * (upper - d) + s_value(f, d) <= s_value(f, upper);
}
// The tangent at d lies above f at `lower` (d >= lower).
template <typename T>
bool above_at(SShape f, T lower, T d) {
  return s_slope(f, d) * (lower - d) + s_value(f, d) >= s_value(f, lower);
}

// Largest d <= 0 (within the bisection) whose tangent is below f at `upper`.
// Gives -inf when no finite point works (an infinite or NaN bound): the
// tangent at -inf is the constant inf f, a bound everywhere.
template <typename T>
T bisect_lower(SShape f, T upper) {
  if (!std::isfinite(upper)) return -std::numeric_limits<T>::infinity();
  T l = T(-1), r = T(0);
  for (int doublings = 0; !below_at(f, upper, l); ++doublings) {
    if (doublings > 64) return -std::numeric_limits<T>::infinity();
    l = l * T(2);
  }
  for (int i = 0; i < kBisections; ++i) {
    const T m = (l + r) / T(2);
    if (below_at(f, upper, m)) {
      l = m;
    } else {
      r = m;
    }
  }
  return l;
}

// Smallest d >= 0 whose tangent is above f at `lower`.
// Gives +inf when no finite point works (see bisect_lower).
template <typename T>
T bisect_upper(SShape f, T lower) {
  if (!std::isfinite(lower)) return std::numeric_limits<T>::infinity();
  T l = T(0), r = T(1);
  for (int doublings = 0; !above_at(f, lower, r); ++doublings) {
    if (doublings > 64) return std::numeric_limits<T>::infinity();
    r = r * T(2);
  }
  for (int i = 0; i < kBisections; ++i) {
    const T m = (l + r) / T(2);
    if (above_at(f, lower, m)) {
      r = m;
    } else {
      l = m;
    }
  }
  return r;
}

// One lazily filled table per (function, side, type).
template <typename T>
class Table {
 public:
  T at(SShape f, bool lower_side, std::int64_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& v = values_[f == SShape::Tanh ? 1 : 0][lower_side ? 0 : 1];
    if (v.empty()) v.assign(kGrid, std::numeric_limits<T>::quiet_NaN());
    T& slot = v[static_cast<std::size_t>(index)];
    if (std::isnan(slot)) {
      // The grid point in T, as auto_LiRPA builds it: step * index.
      const T point = static_cast<T>(kStep) * static_cast<T>(index);
      slot = lower_side ? bisect_lower<T>(f, point) : bisect_upper<T>(f, -point);
    }
    return slot;
  }

 private:
  std::mutex mutex_;
  std::vector<T> values_[2][2];
};

template <typename T>
Table<T>& table() {
  static Table<T> t;
  return t;
}

// Grid index just past |bound|: floor(|bound| / step) + 1 (truncation, as torch's .long()).
template <typename T>
std::int64_t grid_index(T magnitude) {
  const T q = magnitude / static_cast<T>(kStep);
  if (!(q < static_cast<T>(kGrid))) return kGrid;  // also NaN
  return std::max<std::int64_t>(0, static_cast<std::int64_t>(q)) + 1;
}

}  // namespace

template <typename T>
T s_lower_tangent_point(SShape f, T u) {
  const std::int64_t i = grid_index(u);
  if (i < kGrid) return table<T>().at(f, true, i);
  return bisect_lower<T>(f, u);
}

template <typename T>
T s_upper_tangent_point(SShape f, T l) {
  const std::int64_t i = grid_index(-l);
  if (i < kGrid) return table<T>().at(f, false, i);
  return bisect_upper<T>(f, l);
}

template float s_value<float>(SShape, float);
template double s_value<double>(SShape, double);
template float s_slope<float>(SShape, float);
template double s_slope<double>(SShape, double);
template float s_lower_tangent_point<float>(SShape, float);
template double s_lower_tangent_point<double>(SShape, double);
template float s_upper_tangent_point<float>(SShape, float);
template double s_upper_tangent_point<double>(SShape, double);

}  // namespace bf
