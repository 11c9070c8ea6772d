#include "transform/fold_input_normalization.h"

#include <fmt/format.h>

#include <cmath>

#include "transform/linear_patterns.h"
#include "transform/rewrite_utils.h"

namespace bf {
namespace {

// A constant operand in double with its shape (broadcast against the activation).
struct Param {
  Shape shape;
  std::vector<double> values;
};

Param scalar_param(double v) { return {{}, {v}}; }
Param from_constant(const Tensor& t) { return {t.shape(), t.to_double_vector()}; }

// y = x * scale + shift, elementwise with broadcasting.
struct AffineStep {
  ValueId activation = kNoValue;
  Param scale;
  Param shift;
  bool exact = true;  // the parameters are the node's exactly (a divisor's reciprocal may round)
};

// The node as an affine step on its activation; nullopt (with a reason when there is
// something worth saying) when it is not one.
std::optional<AffineStep> as_affine_step(const Graph& g, const Node& n, std::string* why) {
  if (n.op == OpKind::ScaleShift) {
    return AffineStep{n.inputs[0], from_constant(g.constant(n.inputs[1])), from_constant(g.constant(n.inputs[2]))};
  }
  if (n.op != OpKind::Add && n.op != OpKind::Sub && n.op != OpKind::Mul && n.op != OpKind::Div) return std::nullopt;
  ValueId a = n.inputs[0], b = n.inputs[1];
  bool const_right = is_activation(g, a) && is_float_constant(g, b);
  bool const_left = is_float_constant(g, a) && is_activation(g, b);
  if (!const_right && !const_left) return std::nullopt;
  ValueId x = const_right ? a : b;
  ValueId c = const_right ? b : a;
  if (!is_floating(g.type(x).dtype)) return std::nullopt;
  if (!broadcasts_into(g.type(c).shape, g.type(x).shape)) {
    *why = fmt::format("kept {}: its constant {} broadcasts the activation {} to a larger shape", describe(n),
                       g.type(c).str(), g.type(x).str());
    return std::nullopt;
  }
  Param p = from_constant(g.constant(c));
  Param neg = p;
  for (double& v : neg.values) v = -v;
  switch (n.op) {
    case OpKind::Add:
      return AffineStep{x, scalar_param(1.0), p};
    case OpKind::Sub:
      if (const_right) return AffineStep{x, scalar_param(1.0), neg};
      return AffineStep{x, scalar_param(-1.0), p};
    case OpKind::Mul:
      return AffineStep{x, p, scalar_param(0.0)};
    case OpKind::Div: {
      if (const_left) {
        *why = fmt::format("kept {}: constant / x is not affine in x", describe(n));
        return std::nullopt;
      }
      Param inv = p;
      bool exact = true;
      for (double& v : inv.values) {
        if (v == 0.0) {
          *why = fmt::format("kept {}: its divisor '{}' has a zero element", describe(n), g.value(c).name);
          return std::nullopt;
        }
        const double d = v;
        v = 1.0 / v;
        exact = exact && std::fma(d, v, -1.0) == 0.0;
      }
      return AffineStep{x, inv, scalar_param(0.0), exact};
    }
    default:
      return std::nullopt;
  }
}

struct Chain {
  std::vector<NodeId> nodes;  // in data-flow order
  std::vector<AffineStep> steps;
};

struct Plan {
  std::vector<Chain> chains;
  std::vector<std::string> remarks;
};

std::pair<Param, Param> compose(const std::vector<AffineStep>& steps, bool* exact = nullptr);

// The composition must stay an exact stand-in: every parameter finite (x * inf and
// inf - inf do not reassociate) and the composed values representable in the dtype.
std::optional<std::string> composition_obstacle(const Graph& g, const Chain& chain, bool exact_mode) {
  DType dtype = g.type(chain.steps.front().activation).dtype;
  const Node& last = g.node(chain.nodes.back());
  for (const auto& s : chain.steps) {
    for (const auto* p : {&s.scale, &s.shift}) {
      for (double v : p->values) {
        if (!std::isfinite(v))
          return fmt::format("kept the chain ending at {}: a constant is not finite", describe(last));
      }
    }
  }
  bool exact = true;
  auto [scale, shift] = compose(chain.steps, &exact);
  for (const auto* p : {&scale, &shift}) {
    for (double v : p->values) {
      if (!std::isfinite(v) || !fits_dtype(v, dtype))
        return fmt::format("kept the chain ending at {}: the composed scale/shift overflows {}", describe(last),
                           dtype_name(dtype));
      exact = exact && exact_in(v, dtype);
    }
  }
  if (exact_mode && !exact) {
    return fmt::format("kept the chain ending at {}: its composed scale/shift would round (exact mode)",
                       describe(last));
  }
  return std::nullopt;
}

Plan analyze(const Graph& g, bool exact_mode) {
  Plan plan;
  UseInfo uses(g);
  const auto producers = g.producers();
  // Chain index of each node that ends a chain so far.
  std::vector<int> chain_of(g.nodes().size(), -1);
  std::vector<Chain> chains;
  for (std::size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& n = g.nodes()[i];
    std::string why;
    auto step = as_affine_step(g, n, &why);
    if (!step) {
      if (!why.empty()) plan.remarks.push_back(why);
      continue;
    }
    auto producer = producers[static_cast<std::size_t>(step->activation)];
    if (producer && (n.op == OpKind::Add || n.op == OpKind::Sub)) {
      // The bias of a MatMul that fuse_matmul_add turns into Affine: left for it (no
      // remark, it is not left alone by the pipeline).
      auto bias = find_bias_add(g, uses, *producer);
      if (bias && bias->add == static_cast<NodeId>(i)) continue;
    }
    // Extend the producer's chain when this node is the only reader of its result.
    int c = -1;
    if (producer && chain_of[static_cast<std::size_t>(*producer)] >= 0 && uses.sole_consumer(step->activation)) {
      c = chain_of[static_cast<std::size_t>(*producer)];
    } else {
      c = static_cast<int>(chains.size());
      chains.emplace_back();
    }
    chains[static_cast<std::size_t>(c)].nodes.push_back(static_cast<NodeId>(i));
    chains[static_cast<std::size_t>(c)].steps.push_back(std::move(*step));
    chain_of[i] = c;
  }
  for (auto& chain : chains) {
    // A lone ScaleShift is already in normal form.
    if (chain.nodes.size() == 1 && g.node(chain.nodes[0]).op == OpKind::ScaleShift) continue;
    if (auto why = composition_obstacle(g, chain, exact_mode)) {
      plan.remarks.push_back(*why);
      continue;
    }
    plan.chains.push_back(std::move(chain));
  }
  return plan;
}

// Composes the steps: x*a1+b1 then *a2+b2 ... = x*(a1*a2*...) + (...), in double.
// The scale lives on the broadcast of the scale shapes only, the shift on the
// broadcast of every parameter's shape (it depends on the scales too).
std::pair<Param, Param> compose(const std::vector<AffineStep>& steps, bool* exact) {
  Shape scale_shape, shift_shape;
  for (const auto& s : steps) {
    scale_shape = broadcast_shapes(scale_shape, s.scale.shape);
    shift_shape = broadcast_shapes(broadcast_shapes(shift_shape, s.scale.shape), s.shift.shape);
  }
  auto expand = [](const Param& p, const Shape& to) {
    return broadcast_values(Tensor::from_vector<double>(p.shape, p.values), to);
  };
  Param scale{scale_shape, std::vector<double>(static_cast<std::size_t>(numel(scale_shape)), 1.0)};
  Param shift{shift_shape, std::vector<double>(static_cast<std::size_t>(numel(shift_shape)), 0.0)};
  bool all_exact = true;
  for (const auto& s : steps) {
    all_exact = all_exact && s.exact;
    auto a = expand(s.scale, scale_shape);
    for (std::size_t i = 0; i < a.size(); ++i) {
      all_exact = all_exact && exact_product(scale.values[i], a[i]);
      scale.values[i] *= a[i];
    }
    auto a_for_shift = expand(s.scale, shift_shape);
    auto b = expand(s.shift, shift_shape);
    for (std::size_t i = 0; i < b.size(); ++i) {
      const double product = shift.values[i] * a_for_shift[i];
      all_exact = all_exact && exact_product(shift.values[i], a_for_shift[i]) && exact_sum(product, b[i]);
      shift.values[i] = product + b[i];
    }
  }
  if (exact) *exact = all_exact;
  return {scale, shift};
}

void rewrite(Graph& g, const Plan& plan) {
  std::vector<NodeId> doomed;
  for (const auto& chain : plan.chains) {
    ValueId x = chain.steps.front().activation;
    NodeId last = chain.nodes.back();
    ValueId y = g.node(last).outputs[0];
    DType dtype = g.type(x).dtype;
    bool exact = true;
    auto [scale, shift] = compose(chain.steps, &exact);
    for (const auto* p : {&scale, &shift}) {
      for (double v : p->values) exact = exact && exact_in(v, dtype);
    }
    if (!exact)
      g.rounded.push_back("composing the normalisation chain ending at " + describe(g.node(chain.nodes.back())));
    const std::string out_name = g.value(y).name;
    ValueId scale_id =
        add_fresh_constant(g, out_name + "_scale", tensor_from_doubles(dtype, scale.shape, scale.values));
    ValueId shift_id =
        add_fresh_constant(g, out_name + "_shift", tensor_from_doubles(dtype, shift.shape, shift.values));
    // The ScaleShift takes the last node's place (its operand x is defined before the
    // chain's first node) and keeps its result value and name.
    Node& node = g.nodes()[static_cast<std::size_t>(last)];
    node.op = OpKind::ScaleShift;
    node.attrs = Attributes();
    node.inputs = {x, scale_id, shift_id};
    doomed.insert(doomed.end(), chain.nodes.begin(), chain.nodes.end() - 1);
  }
  g.remove_nodes(doomed);
  g.compact();
}

}  // namespace

bool FoldInputNormalization::run(Graph& graph) {
  Plan plan = analyze(graph, exact());
  set_remarks(std::move(plan.remarks));
  if (plan.chains.empty()) return false;
  rewrite(graph, plan);
  return true;
}

}  // namespace bf
