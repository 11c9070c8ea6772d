#include "transform/nhwc_prologue.h"

#include <fmt/format.h>

#include <cstring>

#include "transform/rewrite_utils.h"

namespace bf {
namespace {

// Operand index of the activation when `n` is elementwise with every other operand a
// float constant that broadcasts into the activation's shape; nullopt otherwise.
std::optional<std::size_t> elementwise_with_constants(const Graph& g, const Node& n) {
  switch (n.op) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
    case OpKind::ScaleShift:
      break;
    default:
      return std::nullopt;
  }
  std::optional<std::size_t> activation;
  for (std::size_t i = 0; i < n.inputs.size(); ++i) {
    if (is_activation(g, n.inputs[i])) {
      if (activation) return std::nullopt;  // two activations
      activation = i;
    }
  }
  if (!activation) return std::nullopt;
  const Shape& x = g.type(n.inputs[*activation]).shape;
  for (std::size_t i = 0; i < n.inputs.size(); ++i) {
    if (i == *activation) continue;
    if (!is_float_constant(g, n.inputs[i]) || !broadcasts_into(g.type(n.inputs[i]).shape, x)) return std::nullopt;
  }
  return activation;
}

// The Transpose's operand is a graph input, possibly through elementwise-with-constant ops.
bool is_prologue(const Graph& g, const std::vector<std::optional<NodeId>>& producers, const Node& transpose) {
  ValueId v = transpose.inputs[0];
  while (true) {
    if (g.is_input(v)) return true;
    auto p = producers[static_cast<std::size_t>(v)];
    if (!p) return false;
    const Node& n = g.node(*p);
    auto a = elementwise_with_constants(g, n);
    if (!a) return false;
    v = n.inputs[*a];
  }
}

struct Move {
  NodeId transpose;
  NodeId op;
  std::size_t activation_operand;
};

struct Plan {
  std::vector<Move> moves;
  std::vector<std::string> remarks;
};

Plan analyze(const Graph& g) {
  Plan plan;
  UseInfo uses(g);
  const auto producers = g.producers();
  for (std::size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& t = g.nodes()[i];
    if (t.op != OpKind::Transpose || !is_prologue(g, producers, t)) continue;
    auto consumer = uses.sole_consumer(t.outputs[0]);
    if (!consumer) {
      // Moving an op before the Transpose would change what the other readers see.
      const auto& readers = uses.consumers[static_cast<std::size_t>(t.outputs[0])];
      bool any_elementwise = false;
      for (NodeId r : readers)
        any_elementwise = any_elementwise || elementwise_with_constants(g, g.node(r)).has_value();
      if (any_elementwise) {
        plan.remarks.push_back(
            fmt::format("kept {} in place: its result has several readers or is a graph output", describe(t)));
      }
      continue;
    }
    auto a = elementwise_with_constants(g, g.node(*consumer));
    if (!a) continue;  // the Transpose already feeds something else (typically the Conv)
    plan.moves.push_back({static_cast<NodeId>(i), *consumer, *a});
  }
  return plan;
}

// c' with Transpose(c', perm) == c (c first padded with leading 1s to the perm's rank),
// then with leading 1s dropped again. A pure permutation of elements: bytes are copied.
Tensor permute_constant(const Tensor& c, const std::vector<std::int64_t>& perm) {
  const std::size_t rank = perm.size();
  Shape c4(rank - c.shape().size(), 1);
  c4.insert(c4.end(), c.shape().begin(), c.shape().end());
  std::vector<std::int64_t> inv(rank);
  for (std::size_t i = 0; i < rank; ++i) inv[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
  Shape out_shape(rank);
  for (std::size_t d = 0; d < rank; ++d) out_shape[d] = c4[static_cast<std::size_t>(inv[d])];
  Tensor out(c.dtype(), out_shape);
  const auto src_strides = contiguous_strides(c4);
  const std::size_t size = dtype_size(c.dtype());
  const auto* src = static_cast<const unsigned char*>(c.raw_data());
  auto* dst = static_cast<unsigned char*>(out.raw_mutable_data());
  std::vector<std::int64_t> k(rank, 0);  // index into out (= c')
  for (std::int64_t flat = 0; flat < out.numel(); ++flat) {
    // c'[k] = c4[j] with j[i] = k[perm[i]].
    std::int64_t from = 0;
    for (std::size_t i = 0; i < rank; ++i) from += k[static_cast<std::size_t>(perm[i])] * src_strides[i];
    std::memcpy(dst + static_cast<std::size_t>(flat) * size, src + static_cast<std::size_t>(from) * size, size);
    for (std::size_t d = rank; d-- > 0;) {
      if (++k[d] < out_shape[d]) break;
      k[d] = 0;
    }
  }
  std::size_t lead = 0;
  while (lead < out_shape.size() && out_shape[lead] == 1) ++lead;
  return out.reshaped(Shape(out_shape.begin() + static_cast<std::ptrdiff_t>(lead), out_shape.end()));
}

void rewrite(Graph& g, const Plan& plan) {
  for (const auto& m : plan.moves) {
    Node transpose = g.node(m.transpose);
    Node op = g.node(m.op);
    const auto& perm = transpose.attrs.get_ints("perm");
    ValueId before = transpose.inputs[0];  // NHWC
    ValueId after = op.outputs[0];         // NCHW, read downstream
    // The op now works on the NHWC operand with permuted constants ...
    for (std::size_t i = 0; i < op.inputs.size(); ++i) {
      if (i == m.activation_operand) {
        op.inputs[i] = before;
      } else {
        Tensor c = permute_constant(g.constant(op.inputs[i]), perm);
        op.inputs[i] = add_fresh_constant(g, g.value(op.inputs[i]).name + "_nhwc", std::move(c));
      }
    }
    std::string moved_name = g.unique_value_name(g.value(after).name + "_nhwc");
    ValueId moved = g.add_value(moved_name, {g.type(after).dtype, g.type(before).shape});
    op.outputs = {moved};
    // ... and the Transpose follows it, producing the value its readers expect.
    transpose.inputs = {moved};
    transpose.outputs = {after};
    g.nodes()[static_cast<std::size_t>(m.transpose)] = std::move(op);
    g.nodes()[static_cast<std::size_t>(m.op)] = std::move(transpose);
  }
  g.compact();
}

}  // namespace

bool NhwcPrologue::run(Graph& graph) {
  bool changed = false;
  while (true) {
    Plan plan = analyze(graph);
    if (plan.moves.empty()) {
      set_remarks(std::move(plan.remarks));
      return changed;
    }
    rewrite(graph, plan);
    changed = true;
  }
}

}  // namespace bf
