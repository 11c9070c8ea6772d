#include "bound/linear/linear_rules.h"

#include <array>

#include "support/error.h"

namespace bf {
namespace {

constexpr const char* kSoftmax =
    "no linear relaxation of Softmax is implemented (bound this network with --method ibp)";

#define BF_LIN(OP, FN, RELAX, FLOW, DUAL) \
  { OpKind::OP, &FN, nullptr, RelaxKind::RELAX, WindowFlow::FLOW, &DUAL }
#define BF_NO_LIN(OP, WHY) \
  { OpKind::OP, nullptr, WHY, RelaxKind::None, WindowFlow::Whole, nullptr }
constexpr std::array<LinearRule, kNumOpKinds> kLinearRules = {{
    BF_LIN(Gemm, backward_gemm, None, Whole, dual_linear),
    BF_LIN(MatMul, backward_matmul, None, Whole, dual_linear),
    BF_LIN(Add, backward_add_sub, None, Same, dual_linear),
    BF_LIN(Sub, backward_add_sub, None, Same, dual_linear),
    BF_LIN(Mul, backward_mul_div, None, Same, dual_linear),
    BF_LIN(Div, backward_mul_div, None, Same, dual_linear),
    BF_LIN(Neg, backward_neg, None, Same, dual_linear),
    BF_LIN(Relu, backward_relaxed, Elementwise, Same, dual_relaxed),
    BF_LIN(LeakyRelu, backward_relaxed, Elementwise, Same, dual_relaxed),
    BF_LIN(Sigmoid, backward_relaxed, Elementwise, Same, dual_relaxed),
    BF_LIN(Tanh, backward_relaxed, Elementwise, Same, dual_relaxed),
    BF_LIN(Clip, backward_relaxed, Elementwise, Same, dual_relaxed),
    BF_LIN(Flatten, backward_movement, None, Whole, dual_linear),
    BF_LIN(Reshape, backward_movement, None, Whole, dual_linear),
    BF_LIN(Squeeze, backward_movement, None, Whole, dual_linear),
    BF_LIN(Unsqueeze, backward_movement, None, Whole, dual_linear),
    BF_LIN(Transpose, backward_movement, None, Whole, dual_linear),
    BF_LIN(Concat, backward_movement, None, Whole, dual_linear),
    BF_LIN(Slice, backward_movement, None, Whole, dual_linear),
    BF_LIN(Gather, backward_movement, None, Whole, dual_linear),
    BF_LIN(Identity, backward_movement, None, Same, dual_linear),
    BF_LIN(Dropout, backward_movement, None, Same, dual_linear),
    BF_LIN(Conv, backward_conv, None, Sliding, dual_linear),
    BF_LIN(ConvTranspose, backward_conv_transpose, None, Whole, dual_linear),
    BF_LIN(BatchNormalization, backward_batch_norm, None, Same, dual_linear),
    BF_LIN(MaxPool, backward_max_pool, MaxPool, Sliding, dual_max_pool),
    BF_LIN(AveragePool, backward_average_pool, None, Sliding, dual_linear),
    BF_LIN(GlobalAveragePool, backward_global_average_pool, None, Whole, dual_linear),
    BF_LIN(Pad, backward_movement, None, Shift, dual_linear),
    BF_NO_LIN(Softmax, kSoftmax),
    BF_LIN(ReduceMean, backward_reduce, None, Whole, dual_linear),
    BF_LIN(ReduceSum, backward_reduce, None, Whole, dual_linear),
    BF_LIN(Affine, backward_affine, None, Whole, dual_linear),
    BF_LIN(ScaleShift, backward_scale_shift, None, Same, dual_linear),
}};
#undef BF_LIN
#undef BF_NO_LIN

// Order is checked at compile time; "a rule (and its dual) or a reason" by
// LinearRules.EveryOpHasARuleOrAReason (GCC's sanitizer builds cannot compare
// function addresses in a constant expression).
constexpr bool in_op_order() {
  for (std::size_t i = 0; i < kLinearRules.size(); ++i) {
    if (static_cast<std::size_t>(kLinearRules[i].op) != i) return false;
  }
  return true;
}
static_assert(in_op_order(), "kLinearRules lists every op in OpKind order");

bool activation(const Graph& g, ValueId v) { return v != kNoValue && !g.is_constant(v); }

int activations(const Graph& g, const Node& n) {
  int count = 0;
  for (ValueId v : n.inputs) count += activation(g, v) ? 1 : 0;
  return count;
}

}  // namespace

const LinearRule& linear_rule(OpKind op) { return kLinearRules[static_cast<std::size_t>(op)]; }

std::optional<std::string> linear_unsupported(const Graph& g, const Node& n) {
  const LinearRule& rule = linear_rule(n.op);
  if (rule.backward == nullptr) return std::string(rule.unsupported);
  const auto rank = [&](std::size_t i) { return g.type(n.inputs[i]).shape.size(); };
  switch (n.op) {
    case OpKind::Gemm:
      if (activations(g, n) != 1 || (n.inputs.size() > 2 && activation(g, n.inputs[2])))
        return std::string("Gemm needs exactly one activation among A and B and a constant C");
      break;
    case OpKind::MatMul: {
      if (activations(g, n) != 1) return std::string("MatMul of two activations has no linear relaxation here");
      const bool left = activation(g, n.inputs[0]);
      if (rank(left ? 1 : 0) != 2 || rank(left ? 0 : 1) < 2 || (!left && rank(1) != 2))
        return std::string("MatMul needs a 2-D constant operand and an activation of rank >= 2");
      break;
    }
    case OpKind::Mul:
      if (activations(g, n) != 1) return std::string("Mul of two activations has no linear relaxation here");
      break;
    case OpKind::Div:
      if (!activation(g, n.inputs[0]) || activation(g, n.inputs[1]))
        return std::string("Div needs a constant divisor for linear bounds");
      break;
    case OpKind::Affine:
    case OpKind::Conv:
    case OpKind::ConvTranspose:
    case OpKind::BatchNormalization:
    case OpKind::ScaleShift:
      for (std::size_t i = 1; i < n.inputs.size(); ++i) {
        if (activation(g, n.inputs[i])) return std::string(op_name(n.op)) + " needs constant weights for linear bounds";
      }
      if ((n.op == OpKind::Conv || n.op == OpKind::ConvTranspose) && rank(0) != 4)
        return std::string(op_name(n.op)) + " linear bounds are implemented for 2-D images";
      break;
    case OpKind::MaxPool:
    case OpKind::AveragePool:
      if (rank(0) != 4) return std::string(op_name(n.op)) + " linear bounds are implemented for 2-D images";
      break;
    case OpKind::LeakyRelu: {
      const double alpha = n.attrs.get_float("alpha", 0.01);
      if (!(alpha >= 0.0 && alpha <= 1.0)) return std::string("LeakyRelu linear bounds need 0 <= alpha <= 1");
      break;
    }
    case OpKind::Gather:
      if (!g.is_constant(n.inputs[1])) return std::string("Gather needs constant indices for linear bounds");
      break;
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace bf
