// Tangent points for S-shaped activations (Sigmoid, Tanh) when the input
// interval [l, u] straddles the inflection point 0.
//
// Lower side: the tangent at d <= 0 (convex part) is below f up to u when its
// value at u is at most f(u); the best such d is the one closest to 0. Upper
// side, mirrored: the tangent at d >= 0 through f(l). Like auto_LiRPA 0.5.0,
// d is found by bisection for grid points 0.01 * i (i <= 50004) and looked up
// at the grid point just past the bound (index floor(u / 0.01) + 1), so the
// tangent bounds f on an interval slightly larger than [l, u]. Past the grid
// (|bound| > 500) the bisection runs at the bound itself: auto_LiRPA falls back
// to the tangent at the other end there, which is not a bound (docs/crown.md).
// Entries are computed in T on first use and kept.
#pragma once

#include <cstdint>

namespace bf {

enum class SShape : std::uint8_t { Sigmoid, Tanh };

template <typename T>
T s_value(SShape f, T x);
template <typename T>
T s_slope(SShape f, T x);

// Tangent point for the lower bound when the input's upper bound is u >= 0.
template <typename T>
T s_lower_tangent_point(SShape f, T u);
// Tangent point for the upper bound when the input's lower bound is l <= 0.
template <typename T>
T s_upper_tangent_point(SShape f, T l);

}  // namespace bf
