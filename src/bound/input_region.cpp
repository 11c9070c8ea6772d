#include "bound/input_region.h"

#include <cmath>
#include <limits>

#include "support/error.h"
#include "support/outward_round.h"

namespace bf {
namespace {

std::int64_t infer_batch(std::size_t count, const Shape& shape, const char* what) {
  const std::int64_t per_sample = numel(shape);
  BF_CHECK(per_sample > 0, ErrorKind::Invalid, "input shape {} has no elements", shape_str(shape));
  BF_CHECK(count > 0 && static_cast<std::int64_t>(count) % per_sample == 0, ErrorKind::Invalid,
           "{} has {} values, not a multiple of the input's {} elements (shape {})", what, count, per_sample,
           shape_str(shape));
  return static_cast<std::int64_t>(count) / per_sample;
}

template <typename T>
InputRegion make_ball(const std::vector<double>& x0, double eps, const Shape& shape,
                      std::optional<std::pair<double, double>> clamp) {
  InputRegion r;
  r.dtype = dtype_of<T>();
  r.shape = shape;
  r.batch = infer_batch(x0.size(), shape, "x0");
  r.lower = Tensor(r.dtype, {static_cast<std::int64_t>(x0.size())});
  r.upper = Tensor(r.dtype, {static_cast<std::int64_t>(x0.size())});
  T* lo = r.lower.mutable_data<T>();
  T* hi = r.upper.mutable_data<T>();
  const T e = static_cast<T>(eps);
  for (std::size_t i = 0; i < x0.size(); ++i) {
    const T x = static_cast<T>(x0[i]);
    lo[i] = x - e;
    hi[i] = x + e;
    if (clamp) {
      lo[i] = std::max(lo[i], static_cast<T>(clamp->first));
      hi[i] = std::min(hi[i], static_cast<T>(clamp->second));
    }
  }
  return r;
}

template <typename T>
InputRegion make_box(const std::vector<double>& lower, const std::vector<double>& upper, const Shape& shape,
                     bool outward) {
  InputRegion r;
  r.dtype = dtype_of<T>();
  r.shape = shape;
  r.batch = infer_batch(lower.size(), shape, "box lower");
  r.lower = Tensor(r.dtype, {static_cast<std::int64_t>(lower.size())});
  r.upper = Tensor(r.dtype, {static_cast<std::int64_t>(upper.size())});
  for (std::size_t i = 0; i < lower.size(); ++i) {
    r.lower.mutable_data<T>()[i] = outward ? round_down<T>(lower[i]) : static_cast<T>(lower[i]);
    r.upper.mutable_data<T>()[i] = outward ? round_up<T>(upper[i]) : static_cast<T>(upper[i]);
  }
  return r;
}

}  // namespace

InputRegion linf_ball(const std::vector<double>& x0, double eps, const Shape& shape, DType dtype,
                      std::optional<std::pair<double, double>> clamp) {
  BF_CHECK(std::isfinite(eps) && eps >= 0, ErrorKind::Invalid, "eps must be finite and >= 0, got {}", eps);
  if (clamp) {
    BF_CHECK(std::isfinite(clamp->first) && std::isfinite(clamp->second) && clamp->first <= clamp->second,
             ErrorKind::Invalid, "clamp range [{}, {}] is not a finite interval", clamp->first, clamp->second);
  }
  BF_CHECK(is_floating(dtype), ErrorKind::Unsupported, "input region in {}", dtype_name(dtype));
  InputRegion r =
      dtype == DType::F64 ? make_ball<double>(x0, eps, shape, clamp) : make_ball<float>(x0, eps, shape, clamp);
  check_region(r);
  return r;
}

InputRegion linf_ball_outward(const std::vector<double>& x0, double eps, const Shape& shape, DType dtype,
                              std::optional<std::pair<double, double>> clamp) {
  BF_CHECK(std::isfinite(eps) && eps >= 0, ErrorKind::Invalid, "eps must be finite and >= 0, got {}", eps);
  std::vector<double> lo(x0.size()), hi(x0.size());
  for (std::size_t i = 0; i < x0.size(); ++i) {
    // x0 - eps in f64 rounds to nearest: one step outward covers it.
    lo[i] = std::nextafter(x0[i] - eps, -std::numeric_limits<double>::infinity());
    hi[i] = std::nextafter(x0[i] + eps, std::numeric_limits<double>::infinity());
    if (clamp) {
      lo[i] = std::min(std::max(lo[i], clamp->first), clamp->second);
      hi[i] = std::min(std::max(hi[i], clamp->first), clamp->second);
    }
  }
  return input_box(lo, hi, shape, dtype, /*outward=*/true);
}

InputRegion input_box(const std::vector<double>& lower, const std::vector<double>& upper, const Shape& shape,
                      DType dtype, bool outward) {
  BF_CHECK(lower.size() == upper.size(), ErrorKind::Invalid, "box has {} lower but {} upper values", lower.size(),
           upper.size());
  BF_CHECK(is_floating(dtype), ErrorKind::Unsupported, "input region in {}", dtype_name(dtype));
  InputRegion r = dtype == DType::F64 ? make_box<double>(lower, upper, shape, outward)
                                      : make_box<float>(lower, upper, shape, outward);
  check_region(r);
  return r;
}

void check_region(const InputRegion& r) {
  BF_CHECK(r.lower.numel() == r.batch * numel(r.shape) && r.upper.numel() == r.lower.numel(), ErrorKind::Invalid,
           "input region holds {} / {} values for batch {} of shape {}", r.lower.numel(), r.upper.numel(), r.batch,
           shape_str(r.shape));
  auto lo = r.lower.to_double_vector();
  auto hi = r.upper.to_double_vector();
  for (std::size_t i = 0; i < lo.size(); ++i) {
    BF_CHECK(std::isfinite(lo[i]) && std::isfinite(hi[i]), ErrorKind::Invalid,
             "input bound {} is unbounded or NaN ([{}, {}]); every input variable needs finite bounds", i, lo[i],
             hi[i]);
    BF_CHECK(lo[i] <= hi[i], ErrorKind::Invalid, "input bound {} is empty: lower {} > upper {}", i, lo[i], hi[i]);
  }
}

}  // namespace bf
