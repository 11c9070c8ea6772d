#include "frontend/onnx/symbolic_dims.h"

#include "frontend/onnx/tensor_proto.h"
#include "support/error.h"

namespace bf::onnx_import {
namespace {

// "[batch,3,32,32]" with symbolic dimensions by name and missing ones as "?".
std::string declared_shape_str(const onnx::TensorShapeProto& shape) {
  std::string s = "[";
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (i) s += ",";
    const auto& d = shape.dim(i);
    if (d.has_dim_value())
      s += std::to_string(d.dim_value());
    else if (d.has_dim_param() && !d.dim_param().empty())
      s += d.dim_param();
    else
      s += "?";
  }
  return s + "]";
}

}  // namespace

TensorType bind_graph_input(const onnx::ValueInfoProto& input, const ImportOptions& options) {
  const std::string& name = input.name();
  BF_CHECK(input.has_type() && input.type().has_tensor_type(), ErrorKind::Unsupported,
           "graph input '{}' is not a tensor", name);
  const auto& tt = input.type().tensor_type();
  auto dtype = dtype_from_onnx(tt.elem_type());
  BF_CHECK(dtype == DType::F32 || dtype == DType::F64, ErrorKind::Unsupported,
           "graph input '{}' has data type {}; only FLOAT and DOUBLE inputs are supported", name,
           onnx_dtype_name(tt.elem_type()));
  BF_CHECK(tt.has_shape(), ErrorKind::Unsupported, "graph input '{}' has no shape (unknown rank)", name);
  BF_CHECK(options.symbolic_dim_value >= 1, ErrorKind::Invalid, "the value for symbolic dimensions must be >= 1, is {}",
           options.symbolic_dim_value);
  Shape shape;
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      BF_CHECK(d.dim_value() >= 0, ErrorKind::Invalid, "graph input '{}' has a negative dimension {}", name,
               d.dim_value());
      shape.push_back(d.dim_value());
    } else {
      shape.push_back(options.symbolic_dim_value);
    }
  }
  checked_numel(shape, "graph input '" + name + "'");
  return {*dtype, shape};
}

void check_declared_type(const onnx::ValueInfoProto& declared, const TensorType& inferred) {
  if (!declared.has_type() || !declared.type().has_tensor_type()) return;
  const auto& tt = declared.type().tensor_type();
  const std::string& name = declared.name();
  if (tt.elem_type() != onnx::TensorProto::UNDEFINED) {
    auto dtype = dtype_from_onnx(tt.elem_type());
    BF_CHECK(dtype == inferred.dtype, ErrorKind::Shape,
             "value '{}' is declared with data type {} in the model but the importer infers {}", name,
             onnx_dtype_name(tt.elem_type()), inferred.str());
  }
  if (!tt.has_shape()) return;
  const auto& shape = tt.shape();
  bool agrees = shape.dim_size() == static_cast<int>(inferred.shape.size());
  for (int i = 0; agrees && i < shape.dim_size(); ++i) {
    const auto& d = shape.dim(i);
    if (d.has_dim_value() && d.dim_value() != inferred.shape[static_cast<std::size_t>(i)]) agrees = false;
  }
  BF_CHECK(agrees, ErrorKind::Shape, "value '{}' is declared with shape {} in the model but the importer infers {}",
           name, declared_shape_str(shape), inferred.str());
}

}  // namespace bf::onnx_import
