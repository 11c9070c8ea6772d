// Per-operator converters from an ONNX node to canonical IR. Each op family lives
// in its own file (ops_math.cpp, ops_movement.cpp, ops_constant.cpp, ops_conv.cpp)
// and lists its converters in a table; find_converter() searches all of them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/onnx/import_context.h"

namespace bf::onnx_import {

// Reads the node's operands and attributes through `node`, emits IR nodes or
// constants for its outputs. Attributes left unread are rejected afterwards.
using Converter = void (*)(NodeContext& node);

struct ConverterEntry {
  std::string_view op_type;
  Converter convert;
};

// Gemm, MatMul, arithmetic, activations, Softmax, reductions.
std::span<const ConverterEntry> math_converters();
// Data movement: Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Concat, Slice, Gather, Identity, Dropout.
std::span<const ConverterEntry> movement_converters();
// Constant and the import-only ops that compute constants: Shape, ConstantOfShape, Cast.
std::span<const ConverterEntry> constant_converters();
// Convolutions, pooling, Pad, BatchNormalization.
std::span<const ConverterEntry> conv_converters();

// nullptr for an op type no family handles.
Converter find_converter(std::string_view op_type);

}  // namespace bf::onnx_import

namespace bf::onnx_import {

// Axes as ONNX gives them (negative counts from the end) -> non-negative, sorted,
// each at most once; Error(Invalid) naming `what` otherwise.
std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, std::int64_t rank,
                                         const std::string& what);

}  // namespace bf::onnx_import
