// The ONNX importer: an ONNX file becomes a validated primal IR graph in the
// canonical form documented in src/ir/op_kind.h. Symbolic dimensions are bound to
// static values, shape-computing subgraphs (Shape -> Gather -> ... -> Reshape) are
// folded into constants and attributes, and unused constants are dropped.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"
#include "tensor/tensor.h"

namespace onnx {
class TensorProto;
}  // namespace onnx

namespace bf {

struct ImportOptions {
  // Value given to every symbolic or missing dimension of a graph input
  // ("batch", "N", "unk__6", or no dim_value at all).
  std::int64_t symbolic_dim_value = 1;
};

// Reads an .onnx or .onnx.gz file. Every bf::Error escaping names the file and,
// when a node is at fault, the node and its op type.
Graph import_onnx(const std::string& path, const ImportOptions& options = {});

// Reads a serialized onnx::TensorProto (.pb, e.g. the ONNX test data's input_0.pb).
Tensor load_tensor_proto(const std::string& path);

// Converts a TensorProto held in memory (initializers, Constant values, .pb files).
// Supports raw_data and the typed fields for float, double, int64, int32, int8,
// uint8 and bool; external data and other dtypes throw bf::Error(Unsupported).
Tensor tensor_from_proto(const onnx::TensorProto& proto);

}  // namespace bf
