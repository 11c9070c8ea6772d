// Sound intercepts for the relaxation lines of scalar activations, in exact real arithmetic.
//
// A line computed in floating point (a chord, a tangent, alpha-CROWN's optimised tangent) is only nearly below
// (above) f: its slope and intercept carry rounding errors, so the exact line may cross f by a few ulps. The two
// functions here keep the slope and move the intercept outward by a rigorous bound of that crossing, so that
//     slope * x + t <= f(x)   (>= f(x) for an upper line)
// holds for every REAL x in [l, u], with f the exact real function. Every bound is computed in double (also for
// T = float) with round-to-nearest and made one-sided without fesetround; the error analysis is in
// docs/soundness.md ("Sound relaxation lines") and next to each step in sound_lines.cpp. Standard library only.
#pragma once

#include <cstdint>
#include <limits>

namespace bf {

// The scalar functions whose relaxation lines can be made sound. All are non-decreasing.
enum class SoundFn : std::uint8_t { Relu, LeakyRelu, Clip, Sigmoid, Tanh };

struct ScalarFn {
  SoundFn kind = SoundFn::Relu;
  double alpha = 0.0;  // LeakyRelu: the slope for x < 0, in [0, 1] (the exact value of the op's float attribute)
  double lo = -std::numeric_limits<double>::infinity();  // Clip: lower and upper clamp (exact values of float attrs)
  double hi = std::numeric_limits<double>::infinity();
};

// A line y = slope * x + icpt meant to lie BELOW f on [l, u]: returns an intercept t <= icpt such that
// slope * x + t <= f(x) for EVERY real x in [l, u], in exact real arithmetic (relu(x) = max(x, 0); leaky(x) = x for
// x >= 0 else alpha * x; clip(x) = min(max(x, lo), hi); sigmoid(x) = 1 / (1 + e^-x); tanh). Where the given line
// already satisfies this, returns icpt unchanged (bit for bit) whenever that can be established; otherwise lowers it
// by as little as a rigorous argument allows (for a chord or tangent: a few ulps of the line's terms).
//   NaN in any argument (also alpha, lo, hi where f reads them): NaN.   l > u (empty): icpt.
//   l or u infinite: -inf when slope != 0; for a constant line min(icpt, a lower bound of f(l)) (f(-inf) its limit).
// Cost: sigmoid and tanh at most three exp / tanh calls and one log per call (~0.2 us); the others a few dozen flops.
template <typename T>
T sound_lower_intercept(const ScalarFn& f, T l, T u, T slope, T icpt);

// The same for a line meant to lie ABOVE f on [l, u]: returns t >= icpt with slope * x + t >= f(x) on [l, u]
// (+inf for slope != 0 and an infinite bound; max(icpt, an upper bound of f(u)) for a constant line).
template <typename T>
T sound_upper_intercept(const ScalarFn& f, T l, T u, T slope, T icpt);

}  // namespace bf
