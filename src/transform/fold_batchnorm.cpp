#include "transform/fold_batchnorm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "transform/rewrite_utils.h"

namespace bf {
namespace {

// BN(x)[c] = x[c] * s[c] + t[c], everything in double.
struct BnAffine {
  std::vector<double> s, t, mean, beta;
};

// The BN as a per-channel affine map, or a reason why it cannot be treated as one.
std::optional<BnAffine> bn_affine(const Graph& g, const Node& bn, std::string* why) {
  std::vector<double> scale = g.constant(bn.inputs[1]).to_double_vector();
  BnAffine a;
  a.beta = g.constant(bn.inputs[2]).to_double_vector();
  a.mean = g.constant(bn.inputs[3]).to_double_vector();
  std::vector<double> var = g.constant(bn.inputs[4]).to_double_vector();
  double eps = bn.attrs.get_float("epsilon", 1e-5);
  for (std::size_t c = 0; c < scale.size(); ++c) {
    double denom = std::sqrt(var[c] + eps);
    if (!(denom > 0) || !std::isfinite(denom)) {
      *why = fmt::format("variance + epsilon of channel {} is {}, not a positive finite number", c, var[c] + eps);
      return std::nullopt;
    }
    a.s.push_back(scale[c] / denom);
    a.t.push_back(a.beta[c] - a.mean[c] * a.s.back());
  }
  return a;
}

enum class Direction { IntoProducer, IntoConsumer };

struct Fold {
  NodeId bn;
  NodeId layer;
  Direction direction;
};

struct Plan {
  std::vector<Fold> folds;
  std::vector<std::string> remarks;
};

bool optional_constant(const Graph& g, const Node& n, std::size_t i) {
  return i >= n.inputs.size() || n.inputs[i] == kNoValue || g.is_constant(n.inputs[i]);
}

// Why the BN cannot fold into `layer`, which computes its input; nullopt when it can.
std::optional<std::string> producer_obstacle(const Graph& g, const Node& layer) {
  switch (layer.op) {
    case OpKind::Conv:
      if (!g.is_constant(layer.inputs[1]) || !optional_constant(g, layer, 2))
        return fmt::format("{} has non-constant weights or bias", describe(layer));
      return std::nullopt;
    case OpKind::Gemm:
      if (!g.is_constant(layer.inputs[1]) || !optional_constant(g, layer, 2))
        return fmt::format("{} has a non-constant B or C", describe(layer));
      return std::nullopt;
    case OpKind::Affine:
      // BN normalises axis 1; Affine's outputs lie along the last axis.
      if (g.type(layer.outputs[0]).shape.size() != 2)
        return fmt::format("{} output {} does not have its features on axis 1", describe(layer),
                           g.type(layer.outputs[0]).str());
      return std::nullopt;
    default:
      return fmt::format("its input comes from {}, not a Conv, Gemm or Affine", describe(layer));
  }
}

// Why the BN cannot fold into `layer`, its result's only reader; nullopt when it can.
std::optional<std::string> consumer_obstacle(const Graph& g, const Node& layer, ValueId bn_out) {
  if (layer.inputs[0] != bn_out) return fmt::format("its result is not the activation operand of {}", describe(layer));
  for (std::size_t i = 1; i < layer.inputs.size(); ++i) {
    if (layer.inputs[i] == bn_out) return fmt::format("its result is a weight operand of {}", describe(layer));
  }
  switch (layer.op) {
    case OpKind::Affine:
      // The Affine contracts the last axis; BN's channels are axis 1.
      if (g.type(bn_out).shape.size() != 2)
        return fmt::format("its channels (axis 1 of {}) are not what {} contracts", g.type(bn_out).str(),
                           describe(layer));
      return std::nullopt;
    case OpKind::Gemm:
      if (layer.attrs.get_int("transA", 0) != 0)
        return fmt::format("{} has transA=1, so it does not contract BN's channel axis", describe(layer));
      if (!g.is_constant(layer.inputs[1]) || !optional_constant(g, layer, 2))
        return fmt::format("{} has a non-constant B or C", describe(layer));
      return std::nullopt;
    case OpKind::Conv: {
      const auto& pads = layer.attrs.get_ints("pads");
      if (std::any_of(pads.begin(), pads.end(), [](std::int64_t p) { return p != 0; }))
        return fmt::format("it feeds {} with nonzero pads (the zeros padded after BN are not zeros before it)",
                           describe(layer));
      if (!g.is_constant(layer.inputs[1]) || !optional_constant(g, layer, 2))
        return fmt::format("{} has non-constant weights or bias", describe(layer));
      return std::nullopt;
    }
    default:
      return fmt::format("its result feeds {}, not an Affine, Gemm or Conv", describe(layer));
  }
}

Plan analyze(const Graph& g) {
  Plan plan;
  UseInfo uses(g);
  const auto producers = g.producers();
  std::set<NodeId> claimed;  // one rewrite per node per round keeps the folds independent
  for (std::size_t n = 0; n < g.nodes().size(); ++n) {
    const Node& bn = g.nodes()[n];
    if (bn.op != OpKind::BatchNormalization) continue;
    const NodeId bn_id = static_cast<NodeId>(n);
    std::string why;
    if (!bn_affine(g, bn, &why)) {
      plan.remarks.push_back(fmt::format("kept {}: {}", describe(bn), why));
      continue;
    }
    ValueId x = bn.inputs[0];
    ValueId y = bn.outputs[0];

    std::optional<std::string> before;
    auto producer = producers[static_cast<std::size_t>(x)];
    if (!producer) {
      before = fmt::format("its input '{}' is not computed by a node", g.value(x).name);
    } else if (!uses.sole_consumer(x)) {
      before = fmt::format("the result of {} has other readers", describe(g.node(*producer)));
    } else {
      before = producer_obstacle(g, g.node(*producer));
    }
    if (!before) {
      if (claimed.count(*producer)) continue;  // next round
      claimed.insert({bn_id, *producer});
      plan.folds.push_back({bn_id, *producer, Direction::IntoProducer});
      continue;
    }

    std::optional<std::string> after;
    auto consumer = uses.sole_consumer(y);
    if (!consumer) {
      after = fmt::format("its result '{}' has several readers or is a graph output", g.value(y).name);
    } else {
      after = consumer_obstacle(g, g.node(*consumer), y);
    }
    if (!after) {
      if (claimed.count(*consumer)) continue;  // next round
      claimed.insert({bn_id, *consumer});
      plan.folds.push_back({bn_id, *consumer, Direction::IntoConsumer});
      continue;
    }
    plan.remarks.push_back(
        fmt::format("kept {}: not after a foldable layer ({}); not before one ({})", describe(bn), *before, *after));
  }
  return plan;
}

// --- rewrite -------------------------------------------------------------------

std::vector<double> values_or_zeros(const Graph& g, const Node& n, std::size_t i, std::size_t count) {
  if (i < n.inputs.size() && n.inputs[i] != kNoValue) return g.constant(n.inputs[i]).to_double_vector();
  return std::vector<double>(count, 0.0);
}

// Sets operand `i` of node `id` to a new constant derived from the old operand's name (or `fallback`).
void set_constant_operand(Graph& g, NodeId id, std::size_t i, const std::string& fallback, DType dtype,
                          const Shape& shape, const std::vector<double>& values) {
  const Node& n = g.node(id);
  std::string base = (i < n.inputs.size() && n.inputs[i] != kNoValue) ? g.value(n.inputs[i]).name : fallback;
  ValueId c = add_fresh_constant(g, base + "_bnfold", tensor_from_doubles(dtype, shape, values));
  Node& node = g.nodes()[static_cast<std::size_t>(id)];
  if (node.inputs.size() <= i) node.inputs.resize(i + 1, kNoValue);
  node.inputs[i] = c;
}

// Gemm's C after the fold, over broadcast(C, [N]) (or [N] when absent): beta*C[.., n]
// mapped through `f(value, n)`; beta becomes 1.
template <typename F>
void rewrite_gemm_bias(Graph& g, NodeId id, std::int64_t n_out, DType dtype, F f) {
  const Node& layer = g.node(id);
  double beta = layer.attrs.get_float("beta", 1.0);
  bool has_c = layer.inputs.size() > 2 && layer.inputs[2] != kNoValue;
  Shape shape = has_c ? broadcast_shapes(g.type(layer.inputs[2]).shape, {n_out}) : Shape{n_out};
  std::vector<double> c = has_c ? broadcast_values(g.constant(layer.inputs[2]), shape)
                                : std::vector<double>(static_cast<std::size_t>(n_out), 0.0);
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = f(beta * c[i], static_cast<std::int64_t>(i) % n_out);
  set_constant_operand(g, id, 2, layer.name + ".C", dtype, shape, c);
  g.nodes()[static_cast<std::size_t>(id)].attrs.set("beta", 1.0);
}

void fold_into_producer(Graph& g, const Fold& f, const BnAffine& bn) {
  const Node& layer = g.node(f.layer);
  const ValueId w_id = layer.inputs[1];
  const Tensor& w = g.constant(w_id);
  const DType dtype = w.dtype();
  std::vector<double> wv = w.to_double_vector();
  const std::size_t channels = bn.s.size();
  // New bias for output channel c given the old one: (b - mean) * s + B.
  auto bias = [&](double b, std::int64_t c) {
    std::size_t k = static_cast<std::size_t>(c);
    return (b - bn.mean[k]) * bn.s[k] + bn.beta[k];
  };
  switch (layer.op) {
    case OpKind::Conv:
    case OpKind::Affine: {
      // Output channel = dim 0 of the weight ([Cout, Cin/group, k...] and [N, K]).
      std::size_t inner = wv.size() / channels;
      for (std::size_t i = 0; i < wv.size(); ++i) wv[i] *= bn.s[i / inner];
      std::vector<double> b = values_or_zeros(g, layer, 2, channels);
      for (std::size_t c = 0; c < channels; ++c) b[c] = bias(b[c], static_cast<std::int64_t>(c));
      Shape w_shape = w.shape();
      set_constant_operand(g, f.layer, 1, "", dtype, w_shape, wv);
      set_constant_operand(g, f.layer, 2, g.node(f.layer).name + ".bias", dtype, {static_cast<std::int64_t>(channels)},
                           b);
      break;
    }
    case OpKind::Gemm: {
      // Output column n: B[k, n] (transB = 0) or B[n, k] (transB = 1) scales by s[n].
      bool trans_b = layer.attrs.get_int("transB", 0) != 0;
      std::int64_t rows = w.shape()[0], cols = w.shape()[1];
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) wv[static_cast<std::size_t>(r * cols + c)] *= bn.s[trans_b ? r : c];
      }
      Shape w_shape = w.shape();
      set_constant_operand(g, f.layer, 1, "", dtype, w_shape, wv);
      rewrite_gemm_bias(g, f.layer, static_cast<std::int64_t>(channels), dtype, bias);
      break;
    }
    default:
      BF_ASSERT(false);
  }
  // The layer now computes the BN's result directly.
  g.nodes()[static_cast<std::size_t>(f.layer)].outputs[0] = g.node(f.bn).outputs[0];
}

void fold_into_consumer(Graph& g, const Fold& f, const BnAffine& bn) {
  const Node& layer = g.node(f.layer);
  const Tensor& w = g.constant(layer.inputs[1]);
  const DType dtype = w.dtype();
  const Shape w_shape = w.shape();
  std::vector<double> wv = w.to_double_vector();
  switch (layer.op) {
    case OpKind::Affine: {
      // W [N, K]: input feature k scales column k; b[n] += sum_k W[n, k] t[k].
      std::int64_t n_out = w_shape[0], k_in = w_shape[1];
      std::vector<double> b = values_or_zeros(g, layer, 2, static_cast<std::size_t>(n_out));
      for (std::int64_t n = 0; n < n_out; ++n) {
        for (std::int64_t k = 0; k < k_in; ++k) {
          double& wnk = wv[static_cast<std::size_t>(n * k_in + k)];
          b[static_cast<std::size_t>(n)] += wnk * bn.t[static_cast<std::size_t>(k)];
          wnk *= bn.s[static_cast<std::size_t>(k)];
        }
      }
      std::string name = layer.name;
      set_constant_operand(g, f.layer, 1, "", dtype, w_shape, wv);
      set_constant_operand(g, f.layer, 2, name + ".bias", dtype, {n_out}, b);
      break;
    }
    case OpKind::Gemm: {
      // transA = 0: A's columns are BN's channels k. Logical B[k, n] scales by s[k];
      // alpha * sum_k t[k] B[k, n] moves into C.
      bool trans_b = layer.attrs.get_int("transB", 0) != 0;
      double alpha = layer.attrs.get_float("alpha", 1.0);
      std::int64_t k_in = trans_b ? w_shape[1] : w_shape[0];
      std::int64_t n_out = trans_b ? w_shape[0] : w_shape[1];
      std::vector<double> u(static_cast<std::size_t>(n_out), 0.0);
      for (std::int64_t k = 0; k < k_in; ++k) {
        for (std::int64_t n = 0; n < n_out; ++n) {
          std::int64_t at = trans_b ? n * k_in + k : k * n_out + n;
          double& wkn = wv[static_cast<std::size_t>(at)];
          u[static_cast<std::size_t>(n)] += bn.t[static_cast<std::size_t>(k)] * wkn;
          wkn *= bn.s[static_cast<std::size_t>(k)];
        }
      }
      set_constant_operand(g, f.layer, 1, "", dtype, w_shape, wv);
      rewrite_gemm_bias(g, f.layer, n_out, dtype,
                        [&](double c, std::int64_t n) { return c + alpha * u[static_cast<std::size_t>(n)]; });
      break;
    }
    case OpKind::Conv: {
      // W [Cout, Cin/group, k...]: input channel of (o, cl) is (o / (Cout/group)) * (Cin/group) + cl.
      // Without padding every tap reads a BN output, so t moves into the bias exactly.
      std::int64_t c_out = w_shape[0], c_per_group = w_shape[1];
      std::int64_t group = layer.attrs.get_int("group", 1);
      std::int64_t out_per_group = c_out / group;
      std::int64_t taps = numel(w_shape) / (c_out * c_per_group);
      std::vector<double> b = values_or_zeros(g, layer, 2, static_cast<std::size_t>(c_out));
      for (std::int64_t o = 0; o < c_out; ++o) {
        for (std::int64_t cl = 0; cl < c_per_group; ++cl) {
          std::size_t c = static_cast<std::size_t>((o / out_per_group) * c_per_group + cl);
          for (std::int64_t k = 0; k < taps; ++k) {
            double& wv_ = wv[static_cast<std::size_t>((o * c_per_group + cl) * taps + k)];
            b[static_cast<std::size_t>(o)] += wv_ * bn.t[c];
            wv_ *= bn.s[c];
          }
        }
      }
      std::string name = layer.name;
      set_constant_operand(g, f.layer, 1, "", dtype, w_shape, wv);
      set_constant_operand(g, f.layer, 2, name + ".bias", dtype, {c_out}, b);
      break;
    }
    default:
      BF_ASSERT(false);
  }
  // The layer now reads the BN's input.
  g.nodes()[static_cast<std::size_t>(f.layer)].inputs[0] = g.node(f.bn).inputs[0];
}

void rewrite(Graph& g, const Plan& plan) {
  std::vector<NodeId> doomed;
  for (const auto& f : plan.folds) {
    std::string why;
    auto bn = bn_affine(g, g.node(f.bn), &why);
    BF_ASSERT(bn.has_value());
    if (f.direction == Direction::IntoProducer) {
      fold_into_producer(g, f, *bn);
    } else {
      fold_into_consumer(g, f, *bn);
    }
    doomed.push_back(f.bn);
  }
  g.remove_nodes(doomed);
  g.compact();
}

}  // namespace

bool FoldBatchNorm::run(Graph& graph) {
  if (exact()) {
    // s = scale / sqrt(var + eps) and W s round: the folded layer would not be
    // the network's. BatchNormalization has rules of its own.
    Plan plan = analyze(graph);
    for (const Fold& f : plan.folds) {
      plan.remarks.push_back(
          fmt::format("kept {}: folding it rounds the layer's weights (exact mode)", describe(graph.node(f.bn))));
    }
    set_remarks(std::move(plan.remarks));
    return false;
  }
  bool changed = false;
  while (true) {
    Plan plan = analyze(graph);
    if (plan.folds.empty()) {
      set_remarks(std::move(plan.remarks));
      return changed;
    }
    for (const Fold& f : plan.folds) {
      graph.rounded.push_back("folding " + describe(graph.node(f.bn)) + " into " + describe(graph.node(f.layer)));
    }
    rewrite(graph, plan);
    changed = true;
  }
}

}  // namespace bf
