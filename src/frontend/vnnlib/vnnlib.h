// VNN-LIB 1.0 properties: the violation region of a network property.
//
// A file declares the inputs X_i and outputs Y_j (Real) and asserts
// constraints: comparisons (<= and >=) between a variable and a number or
// another variable, nested under `and` and `or`. Every assert must hold, so
// the property is the conjunction of the asserts; each `(assert (or ...))`
// multiplies the cases, and a plain assert is AND-ed into every case, also
// when it comes after an `or`. Constraints on X inside a disjunct make that
// case's input box; constraints on Y make its output polytope M y <= b.
//
// The result lists cases as (input box, polytopes): the property is violated
// ("sat") iff some point of some box satisfies some of its polytopes. Cases with
// the same box are merged into one box with several polytopes.
//
// The file is read as a stream (.gz directly), one top-level form at a time, so
// a 100 MB property never sits in memory whole. Every error is one line naming
// the file, the line and the problem: an undeclared variable, an input without a
// lower or upper bound, an empty box, a Y index outside the network's outputs,
// an X count that differs from the network's inputs, an unsupported form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bf {

struct OutputPolytope {
  std::vector<std::vector<double>> rows;  // M: one row per constraint, num_outputs wide
  std::vector<double> rhs;                // b
};

struct VnnlibCase {
  std::vector<double> lower, upper;  // the input box, num_inputs each
  std::vector<OutputPolytope> polytopes;
};

struct VnnlibProperty {
  std::string path;
  std::int64_t num_inputs = 0;
  std::int64_t num_outputs = 0;
  std::vector<VnnlibCase> cases;
};

// Checks against the network when `expected_inputs` / `expected_outputs` are >= 0.
VnnlibProperty parse_vnnlib(const std::string& path, std::int64_t expected_inputs = -1,
                            std::int64_t expected_outputs = -1);

}  // namespace bf
