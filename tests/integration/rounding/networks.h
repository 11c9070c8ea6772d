// The networks of the rounding tests, generated from fixed seeds, each with a
// maximum of y0 over its input box that analyse_y0 (exact_net.h) computes
// exactly. Two families:
//
// linear: every ReLU stably active over the box with a large margin (hidden
//   values in the thousands), so y0 is affine on the box; y0 comes out of
//   order 1 only because pairs of nearly equal hidden units enter it with
//   weights +c and -c (depth 1: the first layer's pairs; depth 2: a first
//   layer of large units mixed by a second layer of nearly equal pairs).
// relu: unstable ReLUs ("hinges") of a single input coordinate each, so that
//   y0 is separable by coordinate, plus cancelling pairs of large stably
//   active units, dense ones and ones of a single coordinate
//   (+c relu(A x_i + A K) and -c relu(A' x_i + A K + d), A' ~ A).
//   cvx: every hinge has a non-negative weight into y0: y0 is convex, its
//     maximum at a vertex, and CROWN's upper bound (chords) is exact there up
//     to rounding, so the root bound decides.
//   mix: a few concave hinges too (negative weight into y0, slope a power of
//     two so the kink is dyadic): the maximum may sit at a kink inside the box,
//     CROWN's root bound is loose, and branch and bound has to split, so the
//     leaves' bounds are what rounding can make wrong.
// In both, y0's last bias is set so that the exact maximum is close to 0.5.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exact_net.h"

namespace bf::test {

struct NetSpec {
  std::string family;  // "linear" or "relu"
  std::int64_t n = 0;  // inputs
  std::int64_t m = 1;  // outputs (1 or 2)
  int depth = 1;       // hidden layers (linear: 1 or 2; relu: 1)
  std::uint64_t seed = 0;
  bool concave = false;     // relu: concave hinges too ("mix"), else only convex ones ("cvx")
  double bias_scale = 1.0;  // the large biases: [1000, 4000] * bias_scale
};

// "linear", "relu-cvx" or "relu-mix".
std::string variant(const NetSpec& spec);

ExactNet make_net(const NetSpec& spec);

}  // namespace bf::test
