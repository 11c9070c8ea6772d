// One case of a VNN-LIB property as the verifier works on it: an input box
// and a disjunction of output polytopes M y <= b. The case is violated at x iff
// some polytope holds entirely at y(x). The rows of all polytopes form the
// spec C that bounds are computed for.
#pragma once

#include <cstdint>
#include <vector>

#include "frontend/vnnlib/vnnlib.h"
#include "tensor/tensor.h"

namespace bf {

struct CaseProblem {
  std::vector<double> lower, upper;  // the input box
  std::int64_t num_outputs = 0;
  std::vector<std::vector<double>> rows;  // every polytope's rows, polytope after polytope
  std::vector<double> rhs;
  std::vector<std::int64_t> polytope_start;  // first row of each polytope; plus the end

  std::int64_t num_rows() const { return static_cast<std::int64_t>(rows.size()); }
  std::int64_t num_polytopes() const { return static_cast<std::int64_t>(polytope_start.size()) - 1; }
  Tensor spec(DType dtype) const;  // C [rows, num_outputs]
  // Every coefficient of C is a float32 exactly: otherwise f32 bounds are of a
  // slightly different C, and proofs are re-checked in f64 (verifier.cpp).
  bool spec_exact_in_f32() const;
};

CaseProblem case_problem(const VnnlibCase& c, std::int64_t num_outputs);

// The margin a row needs beyond its right-hand side when its bound is plain
// float32 (--fast-unsound-fp, docs/soundness.md): a heuristic for the
// rounding of the bound computation, not a proof.
double unsat_margin(double rhs, double bound);

// A row `M_i y <= b` cannot hold given its lower bound: finite, and above b
// (by the margin when `margin`: plain f32 bounds; sound bounds need none).
bool row_refuted(double lower, double rhs, bool margin = false);

// Given each row's lower bound over a region: true when every polytope has a
// row that row_refuted() refutes (finite bounds only). `score` gets the least
// slack over polytopes of their best row (lower - rhs): positive when proved,
// the most negative domain is the hardest.
bool case_refuted(const CaseProblem& c, const double* row_lower, double* score = nullptr, bool margin = false);

// Given each row's value at a point: the polytope that holds there (every row
// <= rhs - slack), or -1.
std::int64_t satisfied_polytope(const CaseProblem& c, const double* row_value, double slack = 0.0);

// Smallest over polytopes of (largest over its rows of value - rhs): <= 0 when violated.
double violation_margin(const CaseProblem& c, const double* row_value, std::int64_t* polytope = nullptr,
                        std::int64_t* row = nullptr);

}  // namespace bf
