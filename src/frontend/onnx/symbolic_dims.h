// Static shapes from ONNX value declarations: graph inputs get their symbolic or
// missing dimensions bound to a fixed value, and declared shapes of outputs and
// value_info entries are checked against what the importer infers.
#pragma once

#include <onnx/onnx_pb.h>

#include "frontend/onnx/onnx_importer.h"
#include "ir/graph.h"

namespace bf::onnx_import {

// The type of a graph input: float32 or float64 (others: Unsupported), every
// symbolic or missing dimension bound to options.symbolic_dim_value.
TensorType bind_graph_input(const onnx::ValueInfoProto& input, const ImportOptions& options);

// Throws Error(Shape) naming the value when the model declares a dtype, a rank or
// a static dimension that differs from `inferred`. Symbolic dimensions and absent
// declarations are not compared.
void check_declared_type(const onnx::ValueInfoProto& declared, const TensorType& inferred);

}  // namespace bf::onnx_import
