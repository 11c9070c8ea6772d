// Output types of every IR op from its input types and canonical attributes.
// Used by the importer to type new values, by passes that create nodes, and by
// validate() to check that recorded types are consistent.
#pragma once

#include <vector>

#include "ir/graph.h"

namespace bf {

// `inputs[i]` is null for an absent optional operand. Throws bf::Error(Shape)
// describing the mismatch when the operands do not fit the op.
std::vector<TensorType> infer_output_types(OpKind op, const Attributes& attrs,
                                           const std::vector<const TensorType*>& inputs);

std::vector<TensorType> infer_output_types(const Graph& graph, const Node& node);

// Spatial output extent of a sliding window (Conv, pooling).
std::int64_t window_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad_begin,
                                std::int64_t pad_end, std::int64_t dilation, bool ceil_mode);

// Length of a canonical Slice along one axis.
std::int64_t slice_length(std::int64_t start, std::int64_t end, std::int64_t step);

}  // namespace bf
