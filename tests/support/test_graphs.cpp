#include "support/test_graphs.h"

#include <random>

namespace bf::test {

Attributes conv2d_attrs(std::int64_t kernel, std::int64_t stride, std::int64_t pad, std::int64_t group) {
  Attributes a;
  a.set("kernel_shape", std::vector<std::int64_t>{kernel, kernel});
  a.set("strides", std::vector<std::int64_t>{stride, stride});
  a.set("pads", std::vector<std::int64_t>{pad, pad, pad, pad});
  a.set("dilations", std::vector<std::int64_t>{1, 1});
  a.set("group", group);
  return a;
}

Attributes avg_pool2d_attrs(std::int64_t kernel, std::int64_t stride) {
  Attributes a;
  a.set("kernel_shape", std::vector<std::int64_t>{kernel, kernel});
  a.set("strides", std::vector<std::int64_t>{stride, stride});
  a.set("pads", std::vector<std::int64_t>{0, 0, 0, 0});
  a.set("count_include_pad", std::int64_t{0});
  a.set("ceil_mode", std::int64_t{0});
  return a;
}

Attributes max_pool2d_attrs(std::int64_t kernel, std::int64_t stride) {
  Attributes a;
  a.set("kernel_shape", std::vector<std::int64_t>{kernel, kernel});
  a.set("strides", std::vector<std::int64_t>{stride, stride});
  a.set("pads", std::vector<std::int64_t>{0, 0, 0, 0});
  a.set("dilations", std::vector<std::int64_t>{1, 1});
  a.set("ceil_mode", std::int64_t{0});
  return a;
}

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

namespace {

Tensor seeded(std::mt19937& rng, Shape s, float scale) {
  std::normal_distribution<float> dist(0.0f, scale);
  Tensor t(DType::F32, s);
  float* p = t.mutable_data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

}  // namespace

std::shared_ptr<Graph> conv_chain() {
  auto g = std::make_shared<Graph>();
  g->name = "conv_chain";
  std::mt19937 rng(11);
  ValueId x = g->add_input("x", {DType::F32, {1, 2, 8, 8}});
  const Attributes conv = conv2d_attrs(3, 1, 1);
  ValueId w = g->add_constant("cw", seeded(rng, {4, 2, 3, 3}, 0.4f));
  ValueId b = g->add_constant("cb", seeded(rng, {4}, 0.1f));
  ValueId c = g->add_inferred_node(OpKind::Conv, "conv", conv, {x, w, b}, {"c"})[0];
  ValueId r = g->add_inferred_node(OpKind::Relu, "relu0", {}, {c}, {"r"})[0];
  const Attributes pool = max_pool2d_attrs(2, 2);
  ValueId p = g->add_inferred_node(OpKind::MaxPool, "pool", pool, {r}, {"p"})[0];
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  ValueId f = g->add_inferred_node(OpKind::Flatten, "flatten", flat, {p}, {"f"})[0];
  ValueId w1 = g->add_constant("w1", seeded(rng, {5, 64}, 0.2f));
  ValueId b1 = g->add_constant("b1", seeded(rng, {5}, 0.1f));
  ValueId h = g->add_inferred_node(OpKind::Affine, "fc1", {}, {f, w1, b1}, {"h"})[0];
  ValueId hr = g->add_inferred_node(OpKind::Relu, "relu1", {}, {h}, {"hr"})[0];
  ValueId w2 = g->add_constant("w2", seeded(rng, {3, 5}, 0.5f));
  ValueId y = g->add_inferred_node(OpKind::Affine, "fc2", {}, {hr, w2}, {"y"})[0];
  g->add_output(y);
  return g;
}

std::shared_ptr<Graph> mixed_ops_graph() {
  auto g = std::make_shared<Graph>();
  g->name = "mixed_ops";
  std::mt19937 rng(13);
  ValueId x = g->add_input("x", {DType::F32, {1, 6}});
  ValueId w = g->add_constant("w", seeded(rng, {8, 6}, 0.5f));
  ValueId h = g->add_inferred_node(OpKind::Affine, "fc", {}, {x, w}, {"h"})[0];
  ValueId s = g->add_inferred_node(OpKind::Sigmoid, "sig", {}, {h}, {"s"})[0];
  ValueId c1 = g->add_constant("c1", seeded(rng, {8}, 0.3f));
  ValueId d = g->add_inferred_node(OpKind::Sub, "sub", {}, {s, c1}, {"d"})[0];
  ValueId c2 = g->add_constant("c2", seeded(rng, {1, 8}, 1.0f));
  ValueId m = g->add_inferred_node(OpKind::Mul, "mul", {}, {d, c2}, {"m"})[0];
  Attributes reshape;
  reshape.set("shape", std::vector<std::int64_t>{1, 2, 4});
  ValueId r = g->add_inferred_node(OpKind::Reshape, "reshape", reshape, {m}, {"r"})[0];
  Attributes softmax;
  softmax.set("axes", std::vector<std::int64_t>{2});
  ValueId sm = g->add_inferred_node(OpKind::Softmax, "softmax", softmax, {r}, {"sm"})[0];
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  ValueId f = g->add_inferred_node(OpKind::Flatten, "flatten", flat, {sm}, {"f"})[0];
  Attributes gemm;
  gemm.set("alpha", 0.5);
  gemm.set("beta", 1.0);
  gemm.set("transA", std::int64_t{0});
  gemm.set("transB", std::int64_t{1});
  ValueId gw = g->add_constant("gw", seeded(rng, {3, 8}, 0.5f));
  ValueId gb = g->add_constant("gb", seeded(rng, {3}, 0.1f));
  ValueId gy = g->add_inferred_node(OpKind::Gemm, "gemm", gemm, {f, gw, gb}, {"gy"})[0];
  ValueId y = g->add_inferred_node(OpKind::Tanh, "tanh", {}, {gy}, {"y"})[0];
  g->add_output(y);
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

std::shared_ptr<Graph> wide_conv() {
  auto g = std::make_shared<Graph>();
  g->name = "wide_conv";
  std::mt19937 rng(29);
  ValueId x = g->add_input("x", {DType::F32, {1, 3, 8, 8}});
  auto conv = [&](ValueId in, std::int64_t cin, std::int64_t k, std::int64_t s, const std::string& name) {
    ValueId w = g->add_constant(name + ".w", seeded(rng, {16, cin, k, k}, 0.25f));
    ValueId b = g->add_constant(name + ".b", seeded(rng, {16}, 0.1f));
    return g->add_inferred_node(OpKind::Conv, name, conv2d_attrs(k, s, 1), {in, w, b}, {name + ".y"})[0];
  };
  auto relu = [&](ValueId in, const std::string& name) {
    return g->add_inferred_node(OpKind::Relu, name, {}, {in}, {name + ".y"})[0];
  };
  ValueId r0 = relu(conv(x, 3, 3, 1, "c0"), "r0");
  ValueId r1 = relu(conv(r0, 16, 4, 2, "c1"), "r1");
  ValueId c2 = conv(r1, 16, 3, 1, "c2");
  ValueId sum = g->add_inferred_node(OpKind::Add, "add", {}, {r1, c2}, {"sum"})[0];
  ValueId r2 = relu(sum, "r2");
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  ValueId f = g->add_inferred_node(OpKind::Flatten, "flatten", flat, {r2}, {"f"})[0];
  ValueId w1 = g->add_constant("fc1.w", seeded(rng, {8, 256}, 0.1f));
  ValueId b1 = g->add_constant("fc1.b", seeded(rng, {8}, 0.1f));
  ValueId h = relu(g->add_inferred_node(OpKind::Affine, "fc1", {}, {f, w1, b1}, {"h"})[0], "r3");
  ValueId w2 = g->add_constant("fc2.w", seeded(rng, {3, 8}, 0.5f));
  ValueId y = g->add_inferred_node(OpKind::Affine, "fc2", {}, {h, w2}, {"y"})[0];
  g->add_output(y);
  return g;
}

std::shared_ptr<Graph> residual_conv() {
  auto g = std::make_shared<Graph>();
  g->name = "residual_conv";
  std::mt19937 rng(23);
  ValueId x = g->add_input("x", {DType::F32, {1, 2, 8, 8}});
  auto conv = [&](ValueId in, std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t s, std::int64_t p,
                  const std::string& name) {
    ValueId w = g->add_constant(name + ".w", seeded(rng, {cout, cin, k, k}, 0.3f));
    ValueId b = g->add_constant(name + ".b", seeded(rng, {cout}, 0.1f));
    return g->add_inferred_node(OpKind::Conv, name, conv2d_attrs(k, s, p), {in, w, b}, {name + ".y"})[0];
  };
  ValueId c1 = conv(x, 2, 3, 3, 1, 1, "c1");
  ValueId r1 = g->add_inferred_node(OpKind::Relu, "r1", {}, {c1}, {"r1.y"})[0];
  ValueId c2 = conv(r1, 3, 3, 3, 1, 1, "c2");
  ValueId sum = g->add_inferred_node(OpKind::Add, "add", {}, {r1, c2}, {"sum"})[0];
  ValueId r2 = g->add_inferred_node(OpKind::Relu, "r2", {}, {sum}, {"r2.y"})[0];
  ValueId c3 = conv(r2, 3, 4, 4, 2, 1, "c3");
  ValueId r3 = g->add_inferred_node(OpKind::Relu, "r3", {}, {c3}, {"r3.y"})[0];
  Attributes pad;
  pad.set("pads", std::vector<std::int64_t>{0, 0, 1, 1, 0, 0, 1, 1});
  pad.set("value", 0.0);
  ValueId padded = g->add_inferred_node(OpKind::Pad, "pad", pad, {r3}, {"padded"})[0];
  ValueId pooled = g->add_inferred_node(OpKind::AveragePool, "avg", avg_pool2d_attrs(2, 2), {padded}, {"pooled"})[0];
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  ValueId f = g->add_inferred_node(OpKind::Flatten, "flatten", flat, {pooled}, {"f"})[0];
  ValueId w1 = g->add_constant("w1", seeded(rng, {6, 36}, 0.3f));
  ValueId b1 = g->add_constant("b1", seeded(rng, {6}, 0.1f));
  ValueId h = g->add_inferred_node(OpKind::Affine, "fc1", {}, {f, w1, b1}, {"h"})[0];
  ValueId hr = g->add_inferred_node(OpKind::Relu, "r4", {}, {h}, {"hr"})[0];
  ValueId w2 = g->add_constant("w2", seeded(rng, {3, 6}, 0.3f));
  ValueId y = g->add_inferred_node(OpKind::Affine, "fc2", {}, {hr, w2}, {"y"})[0];
  g->add_output(y);
  return g;
}

std::shared_ptr<Graph> s_shaped_mlp() {
  auto g = std::make_shared<Graph>();
  g->name = "s_shaped";
  std::mt19937 rng(31);
  ValueId x = g->add_input("x", {DType::F32, {1, 6}});
  std::int64_t width = 6;
  const OpKind acts[] = {OpKind::Tanh, OpKind::Sigmoid, OpKind::LeakyRelu};
  for (int l = 0; l < 4; ++l) {
    const std::int64_t out = l == 3 ? 3 : 8;
    const std::string tag = std::to_string(l);
    ValueId w = g->add_constant("w" + tag, seeded(rng, {out, width}, 0.8f));
    ValueId b = g->add_constant("b" + tag, seeded(rng, {out}, 0.2f));
    x = g->add_inferred_node(OpKind::Affine, "fc" + tag, {}, {x, w, b}, {"h" + tag})[0];
    if (l < 3) {
      Attributes a;
      if (acts[l] == OpKind::LeakyRelu) a.set("alpha", 0.1);
      x = g->add_inferred_node(acts[l], "act" + tag, a, {x}, {"a" + tag})[0];
    }
    width = out;
  }
  g->add_output(x);
  return g;
}

namespace {

Tensor normal(std::mt19937& rng, Shape s, float scale) {
  Tensor t(DType::F32, s);
  std::normal_distribution<float> d(0.0f, scale);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.mutable_data<float>()[i] = d(rng);
  return t;
}

}  // namespace

std::shared_ptr<Graph> random_residual_conv(unsigned seed) {
  std::mt19937 rng(seed);
  const std::int64_t c = 1 + static_cast<std::int64_t>(rng() % 3);
  const bool residual = rng() % 2 == 0;
  const int pool = static_cast<int>(rng() % 3);  // 0 none, 1 average, 2 max
  auto g = std::make_shared<Graph>();
  g->name = "random" + std::to_string(seed);
  ValueId x = g->add_input("x", {DType::F32, {1, 2}});
  ValueId h = g->add_inferred_node(
      OpKind::Affine, "fc0", {},
      {x, g->add_constant("w0", normal(rng, {16, 2}, 0.8f)), g->add_constant("b0", normal(rng, {16}, 0.3f))},
      {"h0"})[0];
  Attributes shape;
  shape.set("shape", std::vector<std::int64_t>{1, 1, 4, 4});
  ValueId img = g->add_inferred_node(OpKind::Reshape, "reshape", shape, {h}, {"img"})[0];
  auto conv = [&](ValueId in, std::int64_t cin, const std::string& name) {
    ValueId w = g->add_constant(name + ".w", normal(rng, {c, cin, 3, 3}, 0.5f));
    ValueId b = g->add_constant(name + ".b", normal(rng, {c}, 0.2f));
    return g->add_inferred_node(OpKind::Conv, name, conv2d_attrs(3, 1, 1), {in, w, b}, {name + ".y"})[0];
  };
  ValueId r1 = g->add_inferred_node(OpKind::Relu, "r1", {}, {conv(img, 1, "c1")}, {"r1.y"})[0];
  ValueId c2 = conv(r1, c, "c2");
  if (residual) c2 = g->add_inferred_node(OpKind::Add, "add", {}, {r1, c2}, {"sum"})[0];
  ValueId r2 = g->add_inferred_node(OpKind::Relu, "r2", {}, {c2}, {"r2.y"})[0];
  std::int64_t cells = 16;
  if (pool == 1) {
    r2 = g->add_inferred_node(OpKind::AveragePool, "pool", avg_pool2d_attrs(2, 2), {r2}, {"pooled"})[0];
    cells = 4;
  } else if (pool == 2) {
    r2 = g->add_inferred_node(OpKind::MaxPool, "pool", max_pool2d_attrs(2, 2), {r2}, {"pooled"})[0];
    cells = 4;
  }
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  ValueId f = g->add_inferred_node(OpKind::Flatten, "flatten", flat, {r2}, {"f"})[0];
  ValueId h1 = g->add_inferred_node(
      OpKind::Affine, "fc1", {},
      {f, g->add_constant("w1", normal(rng, {6, c * cells}, 0.6f)), g->add_constant("b1", normal(rng, {6}, 0.2f))},
      {"h1"})[0];
  ValueId r3 = g->add_inferred_node(OpKind::Relu, "r3", {}, {h1}, {"r3.y"})[0];
  ValueId y = g->add_inferred_node(
      OpKind::Affine, "fc2", {},
      {r3, g->add_constant("w2", normal(rng, {3, 6}, 0.6f)), g->add_constant("b2", normal(rng, {3}, 0.2f))}, {"y"})[0];
  g->add_output(y);
  return g;
}

}  // namespace bf::test
