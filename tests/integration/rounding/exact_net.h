// Dense affine + ReLU networks for the rounding tests, kept as their f32
// weights so that they can be (a) built as a bf::Graph for the verifier and
// (b) evaluated and maximised EXACTLY in dyadic rationals (dyadic.h), on the
// same f32 weights.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dyadic.h"
#include "ir/graph.h"

namespace bf::test {

struct DenseLayer {
  std::int64_t in = 0, out = 0;
  std::vector<float> w;  // [out * in], row-major: y[o] = sum_i w[o * in + i] x[i] + b[o]
  std::vector<float> b;  // [out]
  bool relu = false;     // a Relu after this layer (every layer but the last)
};

struct ExactNet {
  std::string name;    // e.g. "linear-n784-d2"
  std::string family;  // "linear", "relu-cvx" or "relu-mix" (networks.h)
  std::int64_t n = 0, m = 0;
  std::vector<float> lower, upper;  // the input box, f32 values
  std::vector<DenseLayer> layers;

  // x[1, n] f32 -> (Affine -> Relu)* -> Affine -> y[1, m], f32 constants.
  std::shared_ptr<Graph> graph() const;
};

// The network's outputs at x, exactly (x's doubles and the f32 weights as rationals).
std::vector<Dyadic> exact_forward(const ExactNet& net, const std::vector<double>& x);
// The same in two steps: the first layer's pre-activations at x, then the rest
// of the network from them (so that a change of one input can be applied to
// the pre-activations directly).
std::vector<Dyadic> exact_first_layer(const ExactNet& net, const std::vector<double>& x);
std::vector<Dyadic> exact_forward_rest(const ExactNet& net, std::vector<Dyadic> first_layer);
// Plain loops in f32 / f64 (for diagnostics: how far rounding moves the output).
std::vector<float> f32_forward(const ExactNet& net, const std::vector<double>& x);
std::vector<double> f64_forward(const ExactNet& net, const std::vector<double>& x);

// Exact analysis of y0 over the box. Works for networks where every ReLU of
// every hidden layer but the last is stably active or stably inactive over the
// box (checked exactly), so that the last hidden layer's pre-activations are
// exactly affine in x; each of the last hidden layer's units must then be
// stably active, stably inactive, or unstable with its pre-activation a_j x_i
// + b_j depending on a single input coordinate i = i(j) ("hinges"). Then
//   y0 = const + g.x + sum_j c_j relu(a_j x_i(j) + b_j)
// is separable by coordinate, and its maximum over the box is the sum over
// coordinates of the maxima of piecewise-linear functions of one variable,
// attained at an end of [l_i, u_i] or at the kink -b_j / a_j of a concave
// hinge (c_j < 0). Those kinks must be dyadic, so concave hinges must have
// |a_j| a power of two; convex ones (c_j >= 0) may have any slope. Throws
// std::runtime_error when the network is not of that form.
struct ExactAnalysis {
  Dyadic max;                  // max of y0 over the box
  std::vector<double> argmax;  // a point attaining it (a vertex unless concave hinges put it at a kink)
  Dyadic min;                  // min of y0 over the box's vertices (for printing the range)
  std::int64_t active = 0, inactive = 0, unstable = 0;  // hidden ReLUs over the box
  Dyadic min_active_margin;            // the smallest pre-activation minimum of a stably active ReLU (> 0)
  double largest_preactivation = 0.0;  // the largest |pre-activation| of a stable ReLU over the box
};
ExactAnalysis analyse_y0(const ExactNet& net);

}  // namespace bf::test
