// The operators of BoundFlow's primal IR.
//
// Most are ONNX operators in a canonical form: whatever ONNX lets an operand
// carry at run time but BoundFlow needs statically (Reshape's shape, Slice's
// starts, Clip's bounds, Squeeze's axes, auto_pad) is resolved at import into
// the attributes listed below, so every later stage reads one form whatever the
// opset. Two ops are BoundFlow's own, created by normalisation passes.
//
// Canonical attributes (i = int, f = float, is = ints; axes are non-negative):
//   Gemm            alpha f, beta f, transA i, transB i      in: A, B[, C]
//   MatMul          -                                        in: A, B   (numpy matmul, 1-D allowed)
//   Add Sub Mul Div -                                        in: A, B   (numpy broadcasting)
//   Neg Relu Sigmoid Tanh Identity Dropout -                 in: X
//   LeakyRelu       alpha f
//   Clip            min f, max f (±inf when absent)
//   Flatten         axis i in [0, rank]
//   Reshape         shape is (fully resolved: no 0, no -1)
//   Squeeze         axes is (sorted, of the input)
//   Unsqueeze       axes is (sorted, of the output)
//   Transpose       perm is
//   Concat          axis i                                   in: X0, X1, ...
//   Slice           starts is, ends is, axes is, steps is (clamped as ONNX specifies)
//   Gather          axis i                                   in: X, indices (constant, non-negative)
//   Conv            kernel_shape is, strides is, pads is (begins then ends), dilations is, group i
//                                                            in: X, W[, B]
//   ConvTranspose   kernel_shape, strides, pads, dilations, output_padding is, group i
//                                                            in: X, W[, B]
//   BatchNormalization epsilon f                             in: X, scale, B, mean, var
//   MaxPool         kernel_shape, strides, pads, dilations is, ceil_mode i
//   AveragePool     kernel_shape, strides, pads is, count_include_pad i, ceil_mode i
//   GlobalAveragePool -
//   Pad             pads is (begins then ends, may be negative), value f (constant mode only)
//   Softmax         axes is: a contiguous run of axes normalised jointly (opset < 13
//                   semantics become axes = [axis, rank))
//   ReduceMean ReduceSum axes is (sorted, never empty), keepdims i
//   Affine          -   in: X, W [N,K] constant, [b [N] constant]; y[..., n] = sum_k x[..., k] W[n,k] + b[n]
//   ScaleShift      -   in: X, scale, shift (constants broadcastable to X); y = x * scale + shift
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bf {

enum class OpKind : std::uint8_t {
  Gemm,
  MatMul,
  Add,
  Sub,
  Mul,
  Div,
  Neg,
  Relu,
  LeakyRelu,
  Sigmoid,
  Tanh,
  Clip,
  Flatten,
  Reshape,
  Squeeze,
  Unsqueeze,
  Transpose,
  Concat,
  Slice,
  Gather,
  Identity,
  Dropout,
  Conv,
  ConvTranspose,
  BatchNormalization,
  MaxPool,
  AveragePool,
  GlobalAveragePool,
  Pad,
  Softmax,
  ReduceMean,
  ReduceSum,
  Affine,
  ScaleShift,
};

inline constexpr int kNumOpKinds = static_cast<int>(OpKind::ScaleShift) + 1;

std::string_view op_name(OpKind op);
// Inverse of op_name (exact, case-sensitive); nullopt for names that are not IR ops.
std::optional<OpKind> op_from_name(std::string_view name);

// Each op's name, arity and traits live in one table (op_kind.cpp, kOps).
// Operand counts: [min_inputs, max_inputs] (-1 = unbounded) and outputs.
struct OpArity {
  int min_inputs;
  int max_inputs;
  int outputs;
};
OpArity op_arity(OpKind op);

// Elementwise with a single activation operand and no cross-element mixing.
bool is_unary_elementwise(OpKind op);
// Only moves or selects elements (Reshape, Transpose, Slice, ...): no arithmetic.
bool is_data_movement(OpKind op);
// Reinterprets its input's elements without moving one (Flatten, Reshape,
// Squeeze, Unsqueeze, Identity, Dropout): its output can share the input's storage.
bool is_view(OpKind op);
// A nonlinear activation (Relu, LeakyRelu, Sigmoid, Tanh, Clip, Softmax): where
// the layer partition policy cuts, and what bound methods must relax.
bool is_nonlinear_activation(OpKind op);

}  // namespace bf
