// VNN-LIB properties (1.0 and 2.0): the violation region of a network property.
//
// A 1.0 file declares the inputs X_i and outputs Y_j (Real); a 2.0 file opens
// with `(vnnlib-version <2.0>)` and declares a network with its typed, shaped
// input and output tensors, `(declare-network N (declare-input X float32
// [1,784]) (declare-output Y float32 [1,10]))`, indexed as `X[0,780]` (row
// major). Both assert constraints: linear comparisons of inputs and outputs
// (vnnlib_terms.h: `+ - *` by constants, `<= >= < > == !=`), nested under
// `and`, `or` and `not` to any depth (the reader keeps its own stack). A
// constraint must bound one input or relate outputs only. Every assert must hold, so
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
// an X count that differs from the network's inputs, an unsupported form (a
// nonlinear term, a constraint tying inputs together or inputs to outputs,
// several networks or hidden values: not yet decided here).
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

// A declared tensor of a 2.0 file (a 1.0 file's X and Y are flat, of type Real).
struct VnnlibTensor {
  std::string name;
  std::string type;
  std::vector<std::int64_t> shape;
};

struct VnnlibProperty {
  std::string path;
  int version = 1;  // 1 or 2 (the file's major version)
  std::int64_t num_inputs = 0;
  std::int64_t num_outputs = 0;
  std::vector<VnnlibCase> cases;
  // 2.0: the network's name and its input and output as declared.
  std::string network;
  VnnlibTensor input, output;
};

// Checks against the network when `expected_inputs` / `expected_outputs` are >= 0.
VnnlibProperty parse_vnnlib(const std::string& path, std::int64_t expected_inputs = -1,
                            std::int64_t expected_outputs = -1);

}  // namespace bf
