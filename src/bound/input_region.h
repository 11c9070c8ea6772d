// The input region of a bound computation: per-element lower and upper bounds
// for a batch of samples of the graph's (single) input.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace bf {

struct InputRegion {
  DType dtype = DType::F32;
  Shape shape;             // per-sample shape of the graph input
  std::int64_t batch = 1;  // samples
  Tensor lower;            // batch * numel(shape) elements, C order, sample-major
  Tensor upper;
};

// L-infinity ball: [x0 - eps, x0 + eps], computed in `dtype` (x0 and eps are
// rounded to it first, as auto_LiRPA does), optionally clamped to a data range
// [lo, hi]. x0 holds batch * numel(shape) values; the batch is inferred.
InputRegion linf_ball(const std::vector<double>& x0, double eps, const Shape& shape, DType dtype,
                      std::optional<std::pair<double, double>> clamp = std::nullopt);

// The same ball as a box that contains x0 +- eps of real arithmetic (clamped):
// every end computed in f64 and rounded outward (sound floating point).
InputRegion linf_ball_outward(const std::vector<double>& x0, double eps, const Shape& shape, DType dtype,
                              std::optional<std::pair<double, double>> clamp = std::nullopt);

// Explicit box: per-element lower and upper values (batch inferred), rounded
// to `dtype` to nearest (as auto_LiRPA does: `bounds` compares with it), or
// outward when `outward` (the verifier: the box in `dtype` then contains the
// given box, so its proofs cover every point of it).
InputRegion input_box(const std::vector<double>& lower, const std::vector<double>& upper, const Shape& shape,
                      DType dtype, bool outward = false);

// Every bound finite, lower <= upper, sizes a multiple of numel(shape); throws
// bf::Error(Invalid) naming the first offending element.
void check_region(const InputRegion& region);

}  // namespace bf
