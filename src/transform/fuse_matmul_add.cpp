#include "transform/fuse_matmul_add.h"

#include <fmt/format.h>

#include "transform/linear_patterns.h"
#include "transform/rewrite_utils.h"

namespace bf {
namespace {

struct Fusion {
  NodeId layer;     // the MatMul or Gemm
  NodeId add = -1;  // the bias Add/Sub that the Affine replaces, or -1
  ValueId activation = kNoValue;
  ValueId weight = kNoValue;                // constant as stored
  bool transpose_weight = false;            // W' = weight^T
  double alpha = 1.0;                       // W' scaled by alpha
  ValueId bias_constant = kNoValue;         // Gemm's C (scaled by beta), or
  std::optional<std::vector<double>> bias;  // an explicit bias [N]
  ValueId bias_reuse = kNoValue;            // a stored constant equal to `bias`
  double beta = 1.0;
  std::int64_t out_features = 0;
};

struct Plan {
  std::vector<Fusion> fusions;
  std::vector<std::string> remarks;
};

std::optional<Fusion> match_gemm(const Graph& g, NodeId id, std::string* why) {
  const Node& n = g.node(id);
  if (n.attrs.get_int("transA", 0) != 0) {
    *why = "transA=1";
    return std::nullopt;
  }
  if (!is_activation(g, n.inputs[0]) || !is_float_constant(g, n.inputs[1])) {
    *why = "B is not a constant or A is";
    return std::nullopt;
  }
  bool trans_b = n.attrs.get_int("transB", 0) != 0;
  const Shape& b_shape = g.type(n.inputs[1]).shape;
  Fusion f;
  f.layer = id;
  f.activation = n.inputs[0];
  f.weight = n.inputs[1];
  f.transpose_weight = !trans_b;  // B [K, N] must become [N, K]
  f.alpha = n.attrs.get_float("alpha", 1.0);
  f.beta = n.attrs.get_float("beta", 1.0);
  f.out_features = trans_b ? b_shape[0] : b_shape[1];
  if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
    ValueId c = n.inputs[2];
    if (!is_float_constant(g, c)) {
      *why = "C is not a constant";
      return std::nullopt;
    }
    if (!as_last_axis_vector(g.constant(c), f.out_features)) {
      *why = fmt::format("C {} varies along the first axis", g.type(c).str());
      return std::nullopt;
    }
    f.bias_constant = c;
  }
  return f;
}

Plan analyze(const Graph& g) {
  Plan plan;
  UseInfo uses(g);
  for (std::size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& n = g.nodes()[i];
    const NodeId id = static_cast<NodeId>(i);
    std::string why;
    if (n.op == OpKind::Gemm) {
      auto f = match_gemm(g, id, &why);
      if (f)
        plan.fusions.push_back(std::move(*f));
      else
        plan.remarks.push_back(fmt::format("kept {}: {}", describe(n), why));
      continue;
    }
    if (n.op != OpKind::MatMul) continue;
    auto m = match_matmul_as_affine(g, n, &why);
    if (!m) {
      plan.remarks.push_back(fmt::format("kept {}: {}", describe(n), why));
      continue;
    }
    Fusion f;
    f.layer = id;
    f.activation = m->activation;
    f.weight = m->weight;
    f.transpose_weight = m->weight_is_right;
    f.out_features = m->out_features;
    if (auto add = find_bias_add(g, uses, id)) {
      f.add = add->add;
      f.bias = std::move(add->bias);
      // Add(y, c) / Add(c, y) with c already [N]: the Affine reads c itself.
      const Node& a = g.node(add->add);
      ValueId c = a.inputs[0] == n.outputs[0] ? a.inputs[1] : a.inputs[0];
      if (a.op == OpKind::Add && g.type(c).shape == Shape{f.out_features}) f.bias_reuse = c;
    }
    plan.fusions.push_back(std::move(f));
  }
  return plan;
}

// W' [N, K] = alpha * (transpose ? W^T : W). The stored constant is reused when it already is W'.
ValueId affine_weight(Graph& g, const Fusion& f, const std::string& base) {
  if (!f.transpose_weight && f.alpha == 1.0) return f.weight;
  const Tensor& w = g.constant(f.weight);
  std::vector<double> v = w.to_double_vector();
  std::int64_t rows = w.shape()[0], cols = w.shape()[1];
  Shape shape = f.transpose_weight ? Shape{cols, rows} : Shape{rows, cols};
  std::vector<double> out(v.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      std::size_t from = static_cast<std::size_t>(r * cols + c);
      std::size_t to = f.transpose_weight ? static_cast<std::size_t>(c * rows + r) : from;
      // Gemm with alpha != 1: alpha is applied to the weights here rather than to each
      // product sum, which changes rounding order slightly (not the exact semantics).
      out[to] = f.alpha * v[from];
    }
  }
  return add_fresh_constant(g, base, tensor_from_doubles(w.dtype(), shape, out));
}

ValueId affine_bias(Graph& g, const Fusion& f, DType dtype, const std::string& base) {
  if (f.bias_reuse != kNoValue) return f.bias_reuse;
  if (f.bias) {
    return add_fresh_constant(g, base, tensor_from_doubles(dtype, {f.out_features}, *f.bias));
  }
  if (f.bias_constant == kNoValue) return kNoValue;
  const Tensor& c = g.constant(f.bias_constant);
  if (f.beta == 1.0 && c.shape() == Shape{f.out_features}) return f.bias_constant;
  std::vector<double> v = *as_last_axis_vector(c, f.out_features);
  for (double& x : v) x *= f.beta;
  return add_fresh_constant(g, base, tensor_from_doubles(dtype, {f.out_features}, v));
}

void rewrite(Graph& g, const Plan& plan) {
  std::vector<NodeId> doomed;
  for (const auto& f : plan.fusions) {
    const std::string layer_name = g.node(f.layer).name;
    DType dtype = g.type(f.activation).dtype;
    ValueId w = affine_weight(g, f, layer_name + ".weight");
    ValueId b = affine_bias(g, f, dtype, layer_name + ".bias");
    // The Affine takes the place of the last node it replaces and keeps that node's result value.
    NodeId at = f.add >= 0 ? f.add : f.layer;
    Node& node = g.nodes()[static_cast<std::size_t>(at)];
    node.op = OpKind::Affine;
    node.name = layer_name;
    node.attrs = Attributes();
    node.inputs = {f.activation, w};
    if (b != kNoValue) node.inputs.push_back(b);
    if (f.add >= 0) doomed.push_back(f.layer);
  }
  g.remove_nodes(doomed);
  g.compact();
}

}  // namespace

bool FuseMatMulAdd::run(Graph& graph) {
  Plan plan = analyze(graph);
  // Gemm's alpha and beta are applied to the constants: exact mode keeps a
  // Gemm where a product would round (and every mode names it).
  auto scales_exactly = [&](ValueId v, double by) {
    if (v == kNoValue || by == 1.0) return true;
    const DType dtype = graph.type(v).dtype;
    for (double x : graph.constant(v).to_double_vector()) {
      if (!exact_product(x, by) || !exact_in(x * by, dtype)) return false;
    }
    return true;
  };
  std::vector<Fusion> kept;
  for (Fusion& f : plan.fusions) {
    if (scales_exactly(f.weight, f.alpha) && scales_exactly(f.bias_constant, f.beta)) {
      kept.push_back(std::move(f));
    } else if (exact()) {
      plan.remarks.push_back(fmt::format("kept {}: its alpha or beta would round the constants (exact mode)",
                                         describe(graph.node(f.layer))));
    } else {
      graph.rounded.push_back("scaling the constants of " + describe(graph.node(f.layer)) + " by alpha or beta");
      kept.push_back(std::move(f));
    }
  }
  plan.fusions = std::move(kept);
  set_remarks(std::move(plan.remarks));
  if (plan.fusions.empty()) return false;
  rewrite(graph, plan);
  return true;
}

}  // namespace bf
