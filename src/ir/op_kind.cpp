#include "ir/op_kind.h"

#include <array>

namespace bf {
namespace {

// Traits, one bit each (see op_kind.h for what they mean).
enum Trait : std::uint8_t {
  kUnary = 1,       // is_unary_elementwise
  kMovement = 2,    // is_data_movement
  kView = 4,        // is_view
  kActivation = 8,  // is_nonlinear_activation
};

struct OpInfo {
  OpKind op;
  std::string_view name;
  OpArity arity;
  std::uint8_t traits;
};

constexpr std::array<OpInfo, kNumOpKinds> kOps = {{
    {OpKind::Gemm, "Gemm", {2, 3, 1}, 0},
    {OpKind::MatMul, "MatMul", {2, 2, 1}, 0},
    {OpKind::Add, "Add", {2, 2, 1}, 0},
    {OpKind::Sub, "Sub", {2, 2, 1}, 0},
    {OpKind::Mul, "Mul", {2, 2, 1}, 0},
    {OpKind::Div, "Div", {2, 2, 1}, 0},
    {OpKind::Neg, "Neg", {1, 1, 1}, kUnary},
    {OpKind::Relu, "Relu", {1, 1, 1}, kUnary | kActivation},
    {OpKind::LeakyRelu, "LeakyRelu", {1, 1, 1}, kUnary | kActivation},
    {OpKind::Sigmoid, "Sigmoid", {1, 1, 1}, kUnary | kActivation},
    {OpKind::Tanh, "Tanh", {1, 1, 1}, kUnary | kActivation},
    {OpKind::Clip, "Clip", {1, 1, 1}, kUnary | kActivation},
    {OpKind::Flatten, "Flatten", {1, 1, 1}, kMovement | kView},
    {OpKind::Reshape, "Reshape", {1, 1, 1}, kMovement | kView},
    {OpKind::Squeeze, "Squeeze", {1, 1, 1}, kMovement | kView},
    {OpKind::Unsqueeze, "Unsqueeze", {1, 1, 1}, kMovement | kView},
    {OpKind::Transpose, "Transpose", {1, 1, 1}, kMovement},
    {OpKind::Concat, "Concat", {1, -1, 1}, kMovement},
    {OpKind::Slice, "Slice", {1, 1, 1}, kMovement},
    {OpKind::Gather, "Gather", {2, 2, 1}, kMovement},
    {OpKind::Identity, "Identity", {1, 1, 1}, kUnary | kMovement | kView},
    {OpKind::Dropout, "Dropout", {1, 1, 1}, kUnary | kMovement | kView},
    {OpKind::Conv, "Conv", {2, 3, 1}, 0},
    {OpKind::ConvTranspose, "ConvTranspose", {2, 3, 1}, 0},
    {OpKind::BatchNormalization, "BatchNormalization", {5, 5, 1}, 0},
    {OpKind::MaxPool, "MaxPool", {1, 1, 1}, 0},
    {OpKind::AveragePool, "AveragePool", {1, 1, 1}, 0},
    {OpKind::GlobalAveragePool, "GlobalAveragePool", {1, 1, 1}, 0},
    {OpKind::Pad, "Pad", {1, 1, 1}, kMovement},
    {OpKind::Softmax, "Softmax", {1, 1, 1}, kActivation},
    {OpKind::ReduceMean, "ReduceMean", {1, 1, 1}, 0},
    {OpKind::ReduceSum, "ReduceSum", {1, 1, 1}, 0},
    {OpKind::Affine, "Affine", {2, 3, 1}, 0},
    {OpKind::ScaleShift, "ScaleShift", {3, 3, 1}, 0},
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

bool is_unary_elementwise(OpKind op) { return (info(op).traits & kUnary) != 0; }
bool is_view(OpKind op) { return (info(op).traits & kView) != 0; }
bool is_data_movement(OpKind op) { return (info(op).traits & kMovement) != 0; }
bool is_nonlinear_activation(OpKind op) { return (info(op).traits & kActivation) != 0; }

}  // namespace bf
