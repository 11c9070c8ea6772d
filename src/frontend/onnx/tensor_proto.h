// Conversions between ONNX's element-type codes / TensorProtos and bf::Tensor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace bf::onnx_import {

// ONNX TensorProto::DataType code -> DType; nullopt for types BoundFlow does not hold.
std::optional<DType> dtype_from_onnx(std::int32_t onnx_type);
// ONNX TensorProto::DataType code -> DType; throws Unsupported naming `what` and the type.
DType require_dtype_from_onnx(std::int32_t onnx_type, const std::string& what);
// "FLOAT16", "STRING", ...; "type 42" for codes ONNX does not define.
std::string onnx_dtype_name(std::int32_t onnx_type);

// Element count of a shape read from a file; Error(Invalid) naming `what` when a
// dimension is negative or the count overflows int64.
std::int64_t checked_numel(const Shape& shape, const std::string& what);

}  // namespace bf::onnx_import
