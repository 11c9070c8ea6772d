#include "ir/op_kind.h"

#include <array>

namespace bf {
namespace {

struct OpInfo {
  OpKind op;
  std::string_view name;
  OpArity arity;
};

constexpr std::array<OpInfo, kNumOpKinds> kOps = {{
    {OpKind::Gemm, "Gemm", {2, 3, 1}},
    {OpKind::MatMul, "MatMul", {2, 2, 1}},
    {OpKind::Add, "Add", {2, 2, 1}},
    {OpKind::Sub, "Sub", {2, 2, 1}},
    {OpKind::Mul, "Mul", {2, 2, 1}},
    {OpKind::Div, "Div", {2, 2, 1}},
    {OpKind::Neg, "Neg", {1, 1, 1}},
    {OpKind::Relu, "Relu", {1, 1, 1}},
    {OpKind::LeakyRelu, "LeakyRelu", {1, 1, 1}},
    {OpKind::Sigmoid, "Sigmoid", {1, 1, 1}},
    {OpKind::Tanh, "Tanh", {1, 1, 1}},
    {OpKind::Clip, "Clip", {1, 1, 1}},
    {OpKind::Flatten, "Flatten", {1, 1, 1}},
    {OpKind::Reshape, "Reshape", {1, 1, 1}},
    {OpKind::Squeeze, "Squeeze", {1, 1, 1}},
    {OpKind::Unsqueeze, "Unsqueeze", {1, 1, 1}},
    {OpKind::Transpose, "Transpose", {1, 1, 1}},
    {OpKind::Concat, "Concat", {1, -1, 1}},
    {OpKind::Slice, "Slice", {1, 1, 1}},
    {OpKind::Gather, "Gather", {2, 2, 1}},
    {OpKind::Identity, "Identity", {1, 1, 1}},
    {OpKind::Dropout, "Dropout", {1, 1, 1}},
    {OpKind::Conv, "Conv", {2, 3, 1}},
    {OpKind::ConvTranspose, "ConvTranspose", {2, 3, 1}},
    {OpKind::BatchNormalization, "BatchNormalization", {5, 5, 1}},
    {OpKind::MaxPool, "MaxPool", {1, 1, 1}},
    {OpKind::AveragePool, "AveragePool", {1, 1, 1}},
    {OpKind::GlobalAveragePool, "GlobalAveragePool", {1, 1, 1}},
    {OpKind::Pad, "Pad", {1, 1, 1}},
    {OpKind::Softmax, "Softmax", {1, 1, 1}},
    {OpKind::ReduceMean, "ReduceMean", {1, 1, 1}},
    {OpKind::ReduceSum, "ReduceSum", {1, 1, 1}},
    {OpKind::Affine, "Affine", {2, 3, 1}},
    {OpKind::ScaleShift, "ScaleShift", {3, 3, 1}},
}};

const OpInfo& info(OpKind op) { return kOps[static_cast<std::size_t>(op)]; }

// The table is indexed by the enum value; keep them in the same order.
constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < kOps.size(); ++i) {
    if (static_cast<std::size_t>(kOps[i].op) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "kOps must list ops in OpKind order");

}  // namespace

std::string_view op_name(OpKind op) { return info(op).name; }

std::optional<OpKind> op_from_name(std::string_view name) {
  for (const auto& i : kOps) {
    if (i.name == name) return i.op;
  }
  return std::nullopt;
}

OpArity op_arity(OpKind op) { return info(op).arity; }

bool is_unary_elementwise(OpKind op) {
  switch (op) {
    case OpKind::Neg:
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Clip:
    case OpKind::Identity:
    case OpKind::Dropout:
      return true;
    default:
      return false;
  }
}

bool is_view(OpKind op) {
  switch (op) {
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Identity:
    case OpKind::Dropout:
      return true;
    default:
      return false;
  }
}

bool is_data_movement(OpKind op) {
  switch (op) {
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Transpose:
    case OpKind::Concat:
    case OpKind::Slice:
    case OpKind::Gather:
    case OpKind::Identity:
    case OpKind::Dropout:
    case OpKind::Pad:
      return true;
    default:
      return false;
  }
}

}  // namespace bf
