// The networks and thresholds of the rounding tests (shared by the checks of
// the exact arithmetic and by the verifier runs).
#pragma once

#include <vector>

#include "networks.h"

namespace bf::test {

// family, inputs, outputs, depth, seed, concave hinges, bias scale. Input
// split runs for n <= 64, ReLU split (or nothing left to split, for the
// linear family) for n = 784.
inline std::vector<NetSpec> rounding_networks() {
  return {
      {"linear", 5, 1, 1, 11},
      {"linear", 5, 2, 2, 12},
      {"linear", 50, 2, 1, 13},
      {"linear", 50, 1, 2, 14},
      {"linear", 784, 2, 1, 15},
      {"linear", 784, 1, 2, 16},
      {"linear", 784, 1, 1, 17, false, 0.1},  // biases in the hundreds: errors nearer the unsat margin
      {"relu", 5, 2, 1, 21},
      {"relu", 50, 1, 1, 22},
      {"relu", 784, 2, 1, 23},
      {"relu", 5, 1, 1, 31, true},
      {"relu", 50, 2, 1, 32, true},
      {"relu", 784, 1, 1, 33, true},
  };
}

// Thresholds t = M -/+ delta * max(1, |M|).
inline const std::vector<double>& rounding_deltas() {
  static const std::vector<double> d = {1e-3, 1e-4, 1e-5, 1e-6, 1e-7};
  return d;
}

}  // namespace bf::test
