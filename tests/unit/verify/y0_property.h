// The property the verifier tests on two-input, three-output networks:
// violated where y0 >= c over [-1, 1]^2, written as VNN-LIB under the scratch
// folder `scratch` and parsed back (the parser is part of what runs).
#pragma once

#include <fstream>
#include <string>

#include "frontend/vnnlib/vnnlib.h"
#include "support/test_paths.h"

namespace bf::test {

inline VnnlibProperty property_y0_at_least(double c, const std::string& scratch) {
  const std::string path = scratch_dir(scratch) + "/p.vnnlib";
  std::ofstream f(path);
  f.precision(17);
  f << "(declare-const X_0 Real)\n(declare-const X_1 Real)\n";
  for (int j = 0; j < 3; ++j) f << "(declare-const Y_" << j << " Real)\n";
  f << "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (>= X_1 -1))\n(assert (<= X_1 1))\n";
  f << "(assert (>= Y_0 " << c << "))\n";
  f.close();
  return parse_vnnlib(path, 2, 3);
}

}  // namespace bf::test
