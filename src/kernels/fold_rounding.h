// Whether evaluating a node on constants (import-time or normalisation-time
// constant folding) may have rounded its result: then the folded constant is
// not exactly what the model computes (Graph::rounded, docs/soundness.md).
#pragma once

#include <vector>

#include "ir/graph.h"
#include "tensor/tensor.h"

namespace bf {

// False when the result is not floating point, when the op only moves,
// negates or compares values, or for a product of f32 constants that equals
// the exact (f64) product elementwise; true otherwise.
bool fold_may_round(const Node& node, const std::vector<Tensor>& inputs, const std::vector<Tensor>& results);

}  // namespace bf
