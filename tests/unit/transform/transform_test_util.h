// Helpers for the normalisation-pass tests: random constants for hand-built graphs,
// node counting, and numeric equivalence of a graph before and after a rewrite
// (both run by the reference forward executor on the same random inputs).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bf::test {

// Uniform values in [lo, hi] from a fixed-seed generator: tests are deterministic.
class RandomSource {
 public:
  explicit RandomSource(std::uint32_t seed = 1) : rng_(seed) {}
  Tensor uniform(DType dtype, const Shape& shape, double lo = -1.0, double hi = 1.0);
  // Values in [lo, hi] with no element closer than `margin` to zero (divisors, scales).
  Tensor away_from_zero(DType dtype, const Shape& shape, double lo, double hi, double margin);

 private:
  std::mt19937 rng_;
};

ValueId add_random_constant(Graph& g, RandomSource& rnd, const std::string& name, DType dtype, const Shape& shape,
                            double lo = -1.0, double hi = 1.0);

int count_ops(const Graph& g, OpKind op);
// Ops of the nodes in order, e.g. "Transpose,Conv,Relu".
std::string op_sequence(const Graph& g);

struct Equivalence {
  DType compute = DType::F32;
  std::int64_t batch = 3;
  std::uint32_t seed = 7;
  double lo = -1.0;
  double hi = 1.0;
  // |a - b| <= atol + rtol * |b| elementwise; exact = bitwise equality of outputs.
  double rtol = 1e-5;
  double atol = 1e-6;
  bool exact = false;
};
// The defaults for the compute dtype: f32 rtol 1e-5 / atol 1e-6, f64 rtol 1e-11 / atol 1e-12.
Equivalence tolerance_for(DType compute);

// Runs `before` and `after` with the same random inputs and reports (GoogleTest
// failures) any output that differs beyond the tolerance. Both graphs must have the
// same input and output types. Returns the largest absolute difference seen.
double expect_equivalent(const Graph& before, const Graph& after, const Equivalence& eq);
inline double expect_equivalent(const Graph& before, const Graph& after) {
  return expect_equivalent(before, after, tolerance_for(DType::F32));
}

}  // namespace bf::test
