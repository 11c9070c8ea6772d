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

// Fills the four planes for `batch` samples from the input interval. With
// `sound` (sound floating point), each elementwise line's intercept is moved
// outward until the line bounds the exact real function over the exact
// interval (sound_lines.h); MaxPool's lines are exact already.
void compute_relaxation(const Node& node, DType dtype, std::int64_t batch, const Shape& in_shape,
                        const Shape& out_shape, IntervalView input, void* const planes[4], bool sound = false);

// alpha-CROWN: the lines of an elementwise relaxation that can be optimised,
// per element, by up to two parameters: p[0] shapes the lower line, p[1] the
// upper one (auto_LiRPA 0.5.0's parametrisation):
//   Relu, LeakyRelu  one parameter: the lower line's slope through the origin,
//                    in [leak, 1], where l < 0 < u; CROWN's choice is 1 when
//                    u > -l, else leak. The upper line is the chord.
//   Sigmoid, Tanh    two: tangent points. u <= 0: the lower line is the tangent
//                    at p[0] in [l, u] (CROWN: the midpoint), the upper the
//                    chord; l >= 0: mirrored, p[1]. l < 0 < u: each side is the
//                    chord where that is a bound, else the tangent at p[0] <=
//                    d_lower (p[1] >= d_upper), CROWN's choice being d itself.
// Other ops, and elements whose interval is not finite, have fixed lines.
// Lines not shaped by a parameter are exactly the CROWN ones.
int alpha_params(const Node& node);

template <typename T>
struct OptLine {
  T slope = 0, icpt = 0;
  int param = -1;           // the parameter shaping it (0 or 1), -1: fixed
  T dslope = 0, dicpt = 0;  // d slope / d param, d icpt / d param
};

template <typename T>
struct OptRelaxation {
  OptLine<T> lower, upper;
};

// The lines at an element with input interval [l, u]. p[0], p[1] are clamped
// into their ranges in place; a NaN parameter is set to CROWN's choice. With
// `sound`, intercepts as compute_relaxation's (the derivatives are unchanged).
template <typename T>
OptRelaxation<T> alpha_relax(const Node& node, T l, T u, T* p, bool sound = false);

}  // namespace bf
