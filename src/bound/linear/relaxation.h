// Linear relaxations of the nonlinear ops a backward sweep passes through,
// computed once per node from the interval of its input, then read by every
// sweep that crosses the node.
//
// Elementwise ops (Relu, LeakyRelu, Sigmoid, Tanh, Clip): four planes over the
// input's elements, [batch, numel] each: lower slope, lower intercept, upper
// slope, upper intercept, such that for every x in [l, u]
//     lower_slope * x + lower_icpt <= f(x) <= upper_slope * x + upper_icpt.
// The choices follow auto_LiRPA 0.5.0's CROWN (docs/crown.md):
//   Relu        upper: the chord through (l, 0) and (u, u); lower: slope 1 when
//               u > -l, else 0 ("adaptive"); stable neurons exact.
//   LeakyRelu   (0 <= alpha <= 1) the same with alpha for the negative side.
//   Sigmoid, Tanh  chords and tangents: tangent at the midpoint on the convex or
//               concave side; for l < 0 < u the chord where it is a bound, else
//               the tangent through the far end point, at a point taken from a
//               table precomputed on a 0.01 grid (s_shaped.h).
//   Clip        exact where the interval meets at most one kink (a shifted
//               ReLU); the constant bounds [min, max] around both kinks.
//
// MaxPool: three planes over the output's elements: the input element (flat,
// per sample) whose lower bound is largest in the window (y >= that element),
// and for the upper side either that element (when its lower bound is at least
// every other upper bound: y equals it) or -1 with the window's largest upper
// bound as a constant in the fourth plane. Requires non-overlapping windows
// only for tightness, not for soundness.
#pragma once

#include "bound/linear/linear_view.h"
#include "ir/graph.h"

namespace bf {

enum class RelaxKind : std::uint8_t { None, Elementwise, MaxPool };

// Elements per plane of `node`'s relaxation buffer (0 when it has none).
std::int64_t relaxation_elements(const Node& node, const Shape& in_shape, const Shape& out_shape);

// Fills the four planes for `batch` samples from the input interval.
void compute_relaxation(const Node& node, DType dtype, std::int64_t batch, const Shape& in_shape,
                        const Shape& out_shape, IntervalView input, void* const planes[4]);

}  // namespace bf
