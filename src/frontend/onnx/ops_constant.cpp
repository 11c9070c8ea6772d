// Converters for Constant and the ops that exist only at import time because they
// compute shapes or constants (Shape, ConstantOfShape, Cast): their outputs
// become constants and never reach the IR as nodes (except a float Cast to its
// own type, which is an Identity).
#include <algorithm>

#include "frontend/onnx/op_converters.h"
#include "frontend/onnx/tensor_proto.h"
#include "support/error.h"

namespace bf::onnx_import {
namespace {

void convert_constant(NodeContext& n) {
  n.expect_inputs(0, 0);
  n.expect_outputs(1, 1);
  auto& attrs = n.attrs();
  int given = 0;
  for (const char* name : {"value", "value_float", "value_floats", "value_int", "value_ints", "sparse_value",
                           "value_string", "value_strings"}) {
    given += attrs.has(name) ? 1 : 0;
  }
  BF_CHECK(given == 1, ErrorKind::Invalid, "Constant needs exactly one value attribute, has {}", given);
  if (const auto* t = attrs.get_tensor("value")) {
    n.emit_constant(tensor_from_proto(*t));
  } else if (auto f = attrs.get_float("value_float")) {
    n.emit_constant(Tensor::scalar<float>(*f));
  } else if (auto fs = attrs.get_floats("value_floats")) {
    n.emit_constant(Tensor::from_vector<float>({static_cast<std::int64_t>(fs->size())}, *fs));
  } else if (auto i = attrs.get_int("value_int")) {
    n.emit_constant(Tensor::scalar<std::int64_t>(*i));
  } else if (auto is = attrs.get_ints("value_ints")) {
    n.emit_constant(Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(is->size())}, *is));
  }
  // sparse_value and strings stay unread: finish() reports them as unsupported.
}

void convert_cast(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  auto to_code = n.attrs().get_int("to");
  BF_CHECK(to_code.has_value(), ErrorKind::Invalid, "Cast needs the attribute 'to'");
  auto to = dtype_from_onnx(static_cast<std::int32_t>(*to_code));
  if (!to) unsupported_attribute_value("to", onnx_dtype_name(static_cast<std::int32_t>(*to_code)));
  ValueId x = n.input(0);
  if (n.is_constant(x)) {
    n.emit_constant(n.graph().constant(x).cast(*to));
    return;
  }
  DType from = n.graph().type(x).dtype;
  BF_CHECK(is_floating(from) && from == *to, ErrorKind::Unsupported,
           "Cast from {} to {} of a value computed at run time is not supported", dtype_name(from), dtype_name(*to));
  n.emit(OpKind::Identity, {}, {x});
}

// Shapes are static, so Shape always yields a constant.
void convert_shape(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  const Shape& in = n.input_type(0).shape;
  std::int64_t rank = static_cast<std::int64_t>(in.size());
  // Opset 15's start/end select a range of dimensions, clamped to [0, rank].
  auto clamp_dim = [&](std::int64_t d) { return std::clamp<std::int64_t>(d < 0 ? d + rank : d, 0, rank); };
  std::int64_t start = clamp_dim(n.attrs().get_int("start", 0));
  std::int64_t end = clamp_dim(n.attrs().get_int("end", rank));
  std::vector<std::int64_t> dims;
  for (std::int64_t i = start; i < end; ++i) dims.push_back(in[static_cast<std::size_t>(i)]);
  n.emit_constant(Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(dims.size())}, dims));
}

void convert_constant_of_shape(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  const Tensor& shape_tensor = n.constant_input(0, "shape");
  BF_CHECK(shape_tensor.rank() == 1, ErrorKind::Invalid, "ConstantOfShape needs a 1-D shape, got {}",
           shape_str(shape_tensor.shape()));
  Shape shape = shape_tensor.to_int64_vector();
  // Import-time constants come from shape computations; anything huge is a corrupt model.
  constexpr std::int64_t kMaxElements = std::int64_t{1} << 30;
  BF_CHECK(checked_numel(shape, "ConstantOfShape output") <= kMaxElements, ErrorKind::Unsupported,
           "ConstantOfShape output {} has more than {} elements", shape_str(shape), kMaxElements);
  Tensor fill = Tensor::scalar<float>(0.0f);
  if (const auto* t = n.attrs().get_tensor("value")) {
    fill = tensor_from_proto(*t);
    BF_CHECK(fill.numel() == 1, ErrorKind::Invalid, "ConstantOfShape value must hold one element, has {}",
             fill.numel());
  }
  Tensor out(fill.dtype(), shape);
  visit_dtype(fill.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T v = fill.data<T>()[0];
    T* dst = out.mutable_data<T>();
    for (std::int64_t i = 0; i < out.numel(); ++i) dst[i] = v;
  });
  n.emit_constant(out);
}
constexpr ConverterEntry kConstantConverters[] = {
    {"Constant", convert_constant},
    {"Cast", convert_cast},
    {"Shape", convert_shape},
    {"ConstantOfShape", convert_constant_of_shape},
};

}  // namespace

std::span<const ConverterEntry> constant_converters() { return kConstantConverters; }

}  // namespace bf::onnx_import
