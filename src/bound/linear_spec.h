// A linear output specification C: the quantities to bound are the rows of
// C·y for the network output y (flattened). VNN-COMP properties and robustness
// margins (y_true - y_j) are of this form.
#pragma once

#include <memory>

#include "ir/graph.h"

namespace bf {

// Returns a copy of `graph` whose single output is C·y: an Affine node (no
// bias) appended after the output, flattening it first if its last axis is not
// the whole output. With `fuse`, when the output comes from an Affine with no
// other reader, the two merge: W' = C·W, b' = C·b (computed in double, stored in
// the graph dtype) - tighter IBP bounds, since |C·W| <= |C|·|W|.
// C is [rows, numel(output)] in the output's float dtype (converted if needed).
std::shared_ptr<Graph> with_linear_spec(const Graph& graph, const Tensor& c, bool fuse);

}  // namespace bf
