// Import-time constant folding: a canonical IR node whose operands are all
// constants is evaluated with the reference semantics (bf::eval_node) instead of
// being added to the graph. This is what turns shape-computing chains such as
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape into a resolved attribute.
#pragma once

#include "ir/graph.h"
#include "tensor/tensor.h"

namespace bf::onnx_import {

// Evaluates `node` (not part of `graph`) whose inputs are constants of `graph`
// (kNoValue for absent optional operands). Returns its single output.
Tensor fold_node(Graph& graph, const Node& node);

}  // namespace bf::onnx_import
