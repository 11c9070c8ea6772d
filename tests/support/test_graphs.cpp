#include "support/test_graphs.h"

#include <random>

namespace bf::test {

std::shared_ptr<Graph> mlp_chain(int layers, std::vector<std::int64_t> widths, std::int64_t in) {
  auto g = std::make_shared<Graph>();
  g->name = "chain";
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.3f);
  auto random_tensor = [&](Shape s) {
    Tensor t(DType::F32, s);
    float* p = t.mutable_data<float>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
    return t;
  };
  ValueId x = g->add_input("x", {DType::F32, {1, in}});
  std::int64_t width = in;
  for (int l = 0; l <= layers; ++l) {
    std::int64_t out = l == layers ? 3 : widths[static_cast<std::size_t>(l) % widths.size()];
    std::string tag = std::to_string(l);
    ValueId w = g->add_constant("w" + tag, random_tensor({out, width}));
    ValueId b = g->add_constant("b" + tag, random_tensor({out}));
    x = g->add_inferred_node(OpKind::Affine, "fc" + tag, {}, {x, w, b}, {"h" + tag})[0];
    if (l < layers) x = g->add_inferred_node(OpKind::Relu, "relu" + tag, {}, {x}, {"r" + tag})[0];
    width = out;
  }
  g->add_output(x);
  return g;
}

std::shared_ptr<Graph> residual_graph() {
  auto g = std::make_shared<Graph>();
  g->name = "residual";
  ValueId x = g->add_input("x", {DType::F32, {1, 16}});
  ValueId a = g->add_inferred_node(OpKind::Relu, "n0", {}, {x}, {"a"})[0];
  ValueId b = g->add_inferred_node(OpKind::Neg, "n1", {}, {a}, {"b"})[0];
  ValueId c = g->add_inferred_node(OpKind::Add, "n2", {}, {a, b}, {"c"})[0];
  ValueId d = g->add_inferred_node(OpKind::Relu, "n3", {}, {c}, {"d"})[0];
  ValueId e = g->add_inferred_node(OpKind::Sigmoid, "n4", {}, {d}, {"e"})[0];
  ValueId f = g->add_inferred_node(OpKind::Add, "n5", {}, {d, e}, {"f"})[0];
  ValueId y = g->add_inferred_node(OpKind::Tanh, "n6", {}, {f}, {"y"})[0];
  g->add_output(y);
  return g;
}

}  // namespace bf::test
