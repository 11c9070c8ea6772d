// Converters for Gemm, MatMul, elementwise arithmetic, activations, Softmax and
// the reductions.
#include <cmath>
#include <limits>

#include "frontend/onnx/op_converters.h"
#include "support/error.h"

namespace bf::onnx_import {
namespace {

void convert_gemm(NodeContext& n) {
  n.expect_inputs(2, 3);
  n.expect_outputs(1, 1);
  Attributes a;
  a.set("alpha", static_cast<double>(n.attrs().get_float("alpha", 1.0f)));
  a.set("beta", static_cast<double>(n.attrs().get_float("beta", 1.0f)));
  a.set("transA", std::int64_t{n.attrs().get_int("transA", 0) != 0});
  a.set("transB", std::int64_t{n.attrs().get_int("transB", 0) != 0});
  n.emit(OpKind::Gemm, a, {n.input(0), n.input(1), n.optional_input(2)});
}

void convert_matmul(NodeContext& n) {
  n.expect_inputs(2, 2);
  n.expect_outputs(1, 1);
  n.emit(OpKind::MatMul, {}, {n.input(0), n.input(1)});
}

template <OpKind kOp>
void convert_binary(NodeContext& n) {
  n.expect_inputs(2, 2);
  n.expect_outputs(1, 1);
  n.emit(kOp, {}, {n.input(0), n.input(1)});
}

template <OpKind kOp>
void convert_unary(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  n.emit(kOp, {}, {n.input(0)});
}

void convert_leaky_relu(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  Attributes a;
  a.set("alpha", static_cast<double>(n.attrs().get_float("alpha", 0.01f)));
  n.emit(OpKind::LeakyRelu, a, {n.input(0)});
}

// A bound given as an operand (Clip >= 11): a constant with exactly one element.
double scalar_bound(NodeContext& n, int i, const std::string& role) {
  const Tensor& t = n.constant_input(i, role);
  BF_CHECK(t.numel() == 1, ErrorKind::Invalid, "the {} of Clip must hold one value, has shape {}", role,
           shape_str(t.shape()));
  return t.to_double_vector()[0];
}

void convert_clip(NodeContext& n) {
  n.expect_outputs(1, 1);
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  if (n.opset() < 11) {
    n.expect_inputs(1, 1);
    if (auto v = n.attrs().get_float("min")) lo = *v;
    if (auto v = n.attrs().get_float("max")) hi = *v;
  } else {
    n.expect_inputs(1, 3);
    if (n.has_input(1)) lo = scalar_bound(n, 1, "min");
    if (n.has_input(2)) hi = scalar_bound(n, 2, "max");
  }
  BF_CHECK(!std::isnan(lo) && !std::isnan(hi), ErrorKind::Invalid, "Clip bound is NaN");
  Attributes a;
  a.set("min", lo);
  a.set("max", hi);
  n.emit(OpKind::Clip, a, {n.input(0)});
}

void convert_softmax(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  std::int64_t rank = static_cast<std::int64_t>(n.input_type(0).shape.size());
  // Opset < 13 normalises the input flattened to 2-D at `axis` (default 1), i.e.
  // jointly over [axis, rank); opset 13 normalises along `axis` (default -1) only.
  bool legacy = n.opset() < 13;
  std::int64_t axis = n.attrs().get_int("axis", legacy ? 1 : -1);
  BF_CHECK(axis >= -rank && axis < rank, ErrorKind::Invalid, "Softmax axis {} is out of range for rank {}", axis, rank);
  if (axis < 0) axis += rank;
  std::vector<std::int64_t> axes;
  for (std::int64_t i = axis; i < (legacy ? rank : axis + 1); ++i) axes.push_back(i);
  Attributes a;
  a.set("axes", axes);
  n.emit(OpKind::Softmax, a, {n.input(0)});
}

// ReduceMean (axes always an attribute in opsets 8..17) and ReduceSum (an operand from 13).
template <OpKind kOp>
void convert_reduce(NodeContext& n) {
  n.expect_outputs(1, 1);
  bool axes_as_input = kOp == OpKind::ReduceSum && n.opset() >= 13;
  n.expect_inputs(1, axes_as_input ? 2 : 1);
  std::int64_t rank = static_cast<std::int64_t>(n.input_type(0).shape.size());
  std::vector<std::int64_t> axes;
  bool noop_with_empty_axes = false;
  if (axes_as_input) {
    if (n.has_input(1)) axes = n.constant_input(1, "axes").to_int64_vector();
    noop_with_empty_axes = n.attrs().get_int("noop_with_empty_axes", 0) != 0;
  } else {
    axes = n.attrs().get_ints("axes").value_or(std::vector<std::int64_t>{});
  }
  bool keepdims = n.attrs().get_int("keepdims", 1) != 0;
  if (axes.empty()) {
    if (noop_with_empty_axes) {
      n.emit(OpKind::Identity, {}, {n.input(0)});
      return;
    }
    for (std::int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  axes = normalize_axes(axes, rank, "reduction axes");
  if (axes.empty()) {  // a rank-0 input: reducing over no axes leaves it unchanged
    n.emit(OpKind::Identity, {}, {n.input(0)});
    return;
  }
  Attributes a;
  a.set("axes", axes);
  a.set("keepdims", std::int64_t{keepdims});
  n.emit(kOp, a, {n.input(0)});
}

constexpr ConverterEntry kMathConverters[] = {
    {"Gemm", convert_gemm},
    {"MatMul", convert_matmul},
    {"Add", convert_binary<OpKind::Add>},
    {"Sub", convert_binary<OpKind::Sub>},
    {"Mul", convert_binary<OpKind::Mul>},
    {"Div", convert_binary<OpKind::Div>},
    {"Neg", convert_unary<OpKind::Neg>},
    {"Relu", convert_unary<OpKind::Relu>},
    {"Sigmoid", convert_unary<OpKind::Sigmoid>},
    {"Tanh", convert_unary<OpKind::Tanh>},
    {"LeakyRelu", convert_leaky_relu},
    {"Clip", convert_clip},
    {"Softmax", convert_softmax},
    {"ReduceMean", convert_reduce<OpKind::ReduceMean>},
    {"ReduceSum", convert_reduce<OpKind::ReduceSum>},
};

}  // namespace

std::span<const ConverterEntry> math_converters() { return kMathConverters; }

}  // namespace bf::onnx_import
