#include "bound/rounding/rounding_rules.h"

#include <algorithm>
#include <array>

#include "support/error.h"

namespace bf {
namespace {

bool is_activation(const Graph& g, ValueId v) { return v != kNoValue && !g.is_constant(v); }

std::int64_t numel_of(const Graph& g, ValueId v) { return v == kNoValue ? 0 : g.type(v).numel(); }
std::int64_t out_numel(const Graph& g, const Node& n) { return numel_of(g, n.outputs[0]); }

bool has_constant_operand(const Graph& g, const Node& n) {
  for (ValueId v : n.inputs) {
    if (v != kNoValue && g.is_constant(v)) return true;
  }
  return false;
}

// The most output elements one activation element feeds by broadcasting
// (Add, Sub, Mul, Div, ScaleShift): the backward rule sums that many.
std::int64_t broadcast_fan_out(const Graph& g, const Node& n) {
  std::int64_t most = 1;
  for (ValueId v : n.inputs) {
    if (is_activation(g, v)) most = std::max(most, out_numel(g, n) / std::max<std::int64_t>(1, numel_of(g, v)));
  }
  return most;
}

std::int64_t kernel_area(const Node& n) {
  std::int64_t area = 1;
  for (std::int64_t k : n.attrs.get_ints("kernel_shape")) area *= k;
  return area;
}

// --- the counts, one function per family --------------------------------------

// Comparisons, copies and negations only.
RoundingTerms exact(const Graph&, const Node&) { return {0, 0}; }

// Data movement: exact, but constant operands (Concat, Pad's value) add to the
// bias, and Gather may gather one element many times (the backward rule sums).
RoundingTerms movement(const Graph& g, const Node& n) {
  if (n.op == OpKind::Gather) return {0, out_numel(g, n) + 1};
  const bool constant = has_constant_operand(g, n) || (n.op == OpKind::Pad && n.attrs.get_float("value", 0.0) != 0.0);
  return {0, constant ? 1 : 0};
}

// Add, Sub: one addition per element; the backward rule copies (negates) A,
// sums it over broadcast copies, and adds constant operands to the bias.
RoundingTerms add_sub(const Graph& g, const Node& n) {
  const std::int64_t fan = broadcast_fan_out(g, n);
  return {2, fan > 1 || has_constant_operand(g, n) ? fan + 1 : 0};
}

// Mul, Div by a constant: one product (quotient) per element, the bound
// products' min and max in the interval rule.
RoundingTerms mul_div(const Graph& g, const Node& n) { return {2, broadcast_fan_out(g, n) + 2}; }

// Relaxed elementwise ops: the interval rule applies the function to each
// bound (exact for Relu and Clip; one product for LeakyRelu; Sigmoid and Tanh
// within 8 units of their result's last place: exp/tanh and two operations);
// the backward rule multiplies each coefficient by a slope (one rounding).
RoundingTerms relaxed_elementwise(const Graph&, const Node& n) {
  switch (n.op) {
    case OpKind::Relu:
    case OpKind::Clip:
      return {0, 1};
    case OpKind::LeakyRelu:
      return {2, 1};
    case OpKind::Sigmoid:
    case OpKind::Tanh:
      return {8, 1};
    default:
      fail(ErrorKind::Internal, "'{}' ({}): no rounding terms for its relaxation", n.name, op_name(n.op));
  }
}

// Affine (y[..., n] = sum_k x[..., k] W[n, k] + b[n]): the interval rule sums K
// products for the centre (plus the bias) and K for the radius, then adds and
// subtracts them; the backward rule sums N products per input coefficient.
RoundingTerms affine(const Graph& g, const Node& n) {
  const Shape& w = g.type(n.inputs[1]).shape;
  return {w.back() + 3, w.front() + 1};
}

// Gemm: alpha A B + beta C, with one of A and B the activation.
RoundingTerms gemm(const Graph& g, const Node& n) {
  const Shape& a = g.type(n.inputs[0]).shape;
  const std::int64_t inner = n.attrs.get_int("transA", 0) != 0 ? a.front() : a.back();
  return {inner + 4, out_numel(g, n) + 2};
}

// MatMul: K products per element (three K-term sums when both operands are
// activations, the interval matrix product in centre-radius form).
RoundingTerms matmul(const Graph& g, const Node& n) {
  const std::int64_t inner = g.type(n.inputs[0]).shape.back();
  const bool two = is_activation(g, n.inputs[0]) && is_activation(g, n.inputs[1]);
  return {(two ? 3 : 1) * inner + 4, out_numel(g, n) + 1};
}

// Conv, ConvTranspose: C_in / group * kernel products per output; an input
// element feeds at most C_out / group * kernel outputs.
RoundingTerms conv(const Graph& g, const Node& n) {
  const Shape& w = g.type(n.inputs[1]).shape;  // Conv [C_out, C_in/g, ...]; ConvTranspose [C_in, C_out/g, ...]
  const std::int64_t group = n.attrs.get_int("group", 1);
  const std::int64_t area = kernel_area(n);
  const std::int64_t per_out = n.op == OpKind::Conv ? w[1] * area : w[0] / group * area;
  const std::int64_t per_in = n.op == OpKind::Conv ? w[0] / group * area : w[1] * area;
  return {per_out + 3, per_in + 1};
}

// BatchNormalization: s = scale / sqrt(var + eps) and y = s (x - mean) + B in a
// handful of operations per element.
RoundingTerms batch_norm(const Graph&, const Node&) { return {10, 6}; }

// ScaleShift: y = x * scale + shift.
RoundingTerms scale_shift(const Graph& g, const Node& n) { return {3, broadcast_fan_out(g, n) + 1}; }

// Pooling and reductions: a window's (axis') sum, then a division.
RoundingTerms average_pool(const Graph&, const Node& n) { return {kernel_area(n) + 2, kernel_area(n) + 2}; }
RoundingTerms global_average_pool(const Graph& g, const Node& n) {
  const Shape& x = g.type(n.inputs[0]).shape;
  return {numel(x) / (x[0] * x[1]) + 2, 2};
}
RoundingTerms reduce(const Graph& g, const Node& n) {
  return {numel_of(g, n.inputs[0]) / std::max<std::int64_t>(1, out_numel(g, n)) + 2, 2};
}

// MaxPool: the interval rule takes maxima (exact); the backward rule copies A
// to the window's chosen element, where overlapping windows add up.
RoundingTerms max_pool(const Graph&, const Node& n) { return {0, kernel_area(n) + 1}; }

// Softmax has no sound account here (exp of rounded differences): the
// programs that would need it (IBP bounds of it) refuse sound rounding.
RoundingTerms unsupported(const Graph&, const Node& n) {
  fail(ErrorKind::Unsupported, "{} '{}': sound floating point has no rounding account of this op", op_name(n.op),
       n.name);
}

#define BF_ROUND(OP, TERMS, MAG) \
  { OpKind::OP, &TERMS, MagnitudeRule::MAG }
constexpr std::array<RoundingRule, kNumOpKinds> kRoundingRules = {{
    BF_ROUND(Gemm, gemm, Interval),
    BF_ROUND(MatMul, matmul, Interval),
    BF_ROUND(Add, add_sub, Interval),
    BF_ROUND(Sub, add_sub, Interval),
    BF_ROUND(Mul, mul_div, Interval),
    BF_ROUND(Div, mul_div, Interval),
    BF_ROUND(Neg, exact, Interval),
    BF_ROUND(Relu, relaxed_elementwise, Relaxation),
    BF_ROUND(LeakyRelu, relaxed_elementwise, Relaxation),
    BF_ROUND(Sigmoid, relaxed_elementwise, Relaxation),
    BF_ROUND(Tanh, relaxed_elementwise, Relaxation),
    BF_ROUND(Clip, relaxed_elementwise, Relaxation),
    BF_ROUND(Flatten, movement, Copy),
    BF_ROUND(Reshape, movement, Copy),
    BF_ROUND(Squeeze, movement, Interval),
    BF_ROUND(Unsqueeze, movement, Interval),
    BF_ROUND(Transpose, movement, Interval),
    BF_ROUND(Concat, movement, Interval),
    BF_ROUND(Slice, movement, Interval),
    BF_ROUND(Gather, movement, Interval),
    BF_ROUND(Identity, movement, Interval),
    BF_ROUND(Dropout, movement, Interval),
    BF_ROUND(Conv, conv, Interval),
    BF_ROUND(ConvTranspose, conv, Interval),
    BF_ROUND(BatchNormalization, batch_norm, BatchNorm),
    BF_ROUND(MaxPool, max_pool, Relaxation),
    BF_ROUND(AveragePool, average_pool, Interval),
    BF_ROUND(GlobalAveragePool, global_average_pool, Interval),
    BF_ROUND(Pad, movement, Interval),
    BF_ROUND(Softmax, unsupported, Interval),
    BF_ROUND(ReduceMean, reduce, Interval),
    BF_ROUND(ReduceSum, reduce, Interval),
    BF_ROUND(Affine, affine, Interval),
    BF_ROUND(ScaleShift, scale_shift, Interval),
}};
#undef BF_ROUND

constexpr bool in_op_order() {
  for (std::size_t i = 0; i < kRoundingRules.size(); ++i) {
    if (static_cast<std::size_t>(kRoundingRules[i].op) != i) return false;
  }
  return true;
}
static_assert(in_op_order(), "kRoundingRules lists every op in OpKind order");

}  // namespace

const RoundingRule& rounding_rule(OpKind op) { return kRoundingRules[static_cast<std::size_t>(op)]; }

RoundingTerms rounding_terms(const Graph& graph, const Node& node) {
  RoundingTerms t = rounding_rule(node.op).terms(graph, node);
  // A coefficient of an input that other nodes also read is the sum of what
  // each reader's backward rule adds into it: one more rounding per reader
  // (also after an otherwise exact rule, a residual Add's copy).
  std::int64_t readers = 0;
  for (ValueId v : node.inputs) {
    if (!is_activation(graph, v)) continue;
    std::int64_t count = 0;
    for (const Node& other : graph.nodes()) {
      count += static_cast<std::int64_t>(std::count(other.inputs.begin(), other.inputs.end(), v));
    }
    readers = std::max(readers, count);
  }
  if (readers > 1) t.backward += readers;
  return t;
}

}  // namespace bf
