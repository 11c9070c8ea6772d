#include "transform/linear_patterns.h"

namespace bf {

std::optional<MatMulAsAffine> match_matmul_as_affine(const Graph& g, const Node& mm, std::string* why) {
  auto reject = [&](const char* reason) -> std::optional<MatMulAsAffine> {
    if (why) *why = reason;
    return std::nullopt;
  };
  if (mm.op != OpKind::MatMul) return reject("not a MatMul");
  ValueId a = mm.inputs[0], b = mm.inputs[1];
  const TensorType& ta = g.type(a);
  const TensorType& tb = g.type(b);
  if (is_activation(g, a) && is_float_constant(g, b)) {
    if (tb.shape.size() != 2) return reject("its constant weights are not 2-D");
    return MatMulAsAffine{a, b, true, tb.shape[1]};
  }
  if (is_float_constant(g, a) && is_activation(g, b)) {
    if (ta.shape.size() != 2) return reject("its constant left operand is not 2-D");
    if (tb.shape.size() != 1) return reject("its constant is the left operand and the activation is not 1-D");
    return MatMulAsAffine{b, a, false, ta.shape[0]};
  }
  if (is_activation(g, a) && is_activation(g, b)) return reject("neither operand is a constant (non-constant weights)");
  return reject("both operands are constants");
}

std::optional<std::vector<double>> match_bias_add(const Graph& g, const UseInfo& uses, const Node& add, ValueId y,
                                                  std::int64_t out_features) {
  if (add.op != OpKind::Add && add.op != OpKind::Sub) return std::nullopt;
  if (!uses.sole_consumer(y)) return std::nullopt;
  ValueId c;
  if (add.inputs[0] == y && add.inputs[1] != y) {
    c = add.inputs[1];
  } else if (add.op == OpKind::Add && add.inputs[1] == y && add.inputs[0] != y) {
    c = add.inputs[0];
  } else {
    return std::nullopt;  // c - y is not a bias
  }
  if (!is_float_constant(g, c) || g.type(c).dtype != g.type(y).dtype) return std::nullopt;
  if (!broadcasts_into(g.type(c).shape, g.type(y).shape)) return std::nullopt;
  auto bias = as_last_axis_vector(g.constant(c), out_features);
  if (!bias) return std::nullopt;
  if (add.op == OpKind::Sub) {
    for (double& v : *bias) v = -v;  // exact: negation only flips the sign bit
  }
  return bias;
}

std::optional<BiasAdd> find_bias_add(const Graph& g, const UseInfo& uses, NodeId matmul) {
  const Node& mm = g.node(matmul);
  auto affine = match_matmul_as_affine(g, mm, nullptr);
  if (!affine) return std::nullopt;
  ValueId y = mm.outputs[0];
  auto consumer = uses.sole_consumer(y);
  if (!consumer) return std::nullopt;
  auto bias = match_bias_add(g, uses, g.node(*consumer), y, affine->out_features);
  if (!bias) return std::nullopt;
  return BiasAdd{*consumer, std::move(*bias)};
}

}  // namespace bf
