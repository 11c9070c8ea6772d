// Sound floating point (bound/rounding/, docs/soundness.md): bounds that hold
// in exact real arithmetic. At a point region CROWN's bounds meet the network's
// value up to rounding, so there the rounding account is all that separates
// a bound from a wrong one: on graphs that reach every op with a rounding rule
// (Affine, Conv, BatchNormalization, Add, Pad, AveragePool, MaxPool, Relu,
// LeakyRelu, Sigmoid, Tanh, views), at points of large magnitude, sound f32
// bounds must contain the f64 value and plain f32 bounds must miss it somewhere
// (so the check has teeth). The compiled and reference executors give the same
// sound f64 bits, and every op of the IR has a rounding rule or says why not.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "bound/rounding/rounding_rules.h"
#include "methods/bound_method.h"
#include "runtime/forward_executor.h"
#include "support/error.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

// x[1,2,6,6] -> Conv(4, 3x3, pad 1) -> BatchNormalization -> Relu -> Flatten -> Affine(5) -> Tanh -> Affine(3).
std::shared_ptr<Graph> batch_norm_graph() {
  auto g = std::make_shared<Graph>();
  g->name = "batch_norm";
  std::mt19937 rng(19);
  auto tensor = [&](Shape s, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    Tensor t(DType::F32, s);
    for (std::int64_t i = 0; i < t.numel(); ++i) t.mutable_data<float>()[i] = d(rng);
    return g->add_constant("c" + std::to_string(g->num_values()), t);
  };
  ValueId x = g->add_input("x", {DType::F32, {1, 2, 6, 6}});
  x = g->add_inferred_node(OpKind::Conv, "conv", test::conv2d_attrs(3, 1, 1),
                           {x, tensor({4, 2, 3, 3}, -0.5f, 0.5f), tensor({4}, -0.2f, 0.2f)}, {"c"})[0];
  Attributes eps;
  eps.set("epsilon", 1e-5);
  x = g->add_inferred_node(
      OpKind::BatchNormalization, "bn", eps,
      {x, tensor({4}, 0.5f, 2.0f), tensor({4}, -1.0f, 1.0f), tensor({4}, 50.0f, 100.0f), tensor({4}, 0.5f, 3.0f)},
      {"n"})[0];
  x = g->add_inferred_node(OpKind::Relu, "relu", {}, {x}, {"r"})[0];
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  x = g->add_inferred_node(OpKind::Flatten, "flatten", flat, {x}, {"f"})[0];
  x = g->add_inferred_node(OpKind::Affine, "fc0", {}, {x, tensor({5, 144}, -0.1f, 0.1f), tensor({5}, -1.0f, 1.0f)},
                           {"h"})[0];
  x = g->add_inferred_node(OpKind::Tanh, "tanh", {}, {x}, {"t"})[0];
  x = g->add_inferred_node(OpKind::Affine, "fc1", {}, {x, tensor({3, 5}, -1.0f, 1.0f), tensor({3}, -1.0f, 1.0f)},
                           {"y"})[0];
  g->add_output(x);
  return g;
}

struct Case {
  const char* name;
  std::shared_ptr<Graph> (*make)();
  double scale;  // the points' coordinates are uniform in [-scale, scale]
};

std::shared_ptr<Graph> mlp() { return test::mlp_chain(4, {24, 16}, 8); }

const Case kCases[] = {
    {"mlp", &mlp, 300.0},
    {"conv_chain", &test::conv_chain, 100.0},
    {"residual_conv", &test::residual_conv, 100.0},
    {"wide_conv", &test::wide_conv, 50.0},
    {"s_shaped_mlp", &test::s_shaped_mlp, 3.0},
    {"batch_norm", &batch_norm_graph, 100.0},
};

BoundRequest point_request(std::shared_ptr<const Graph> g, const std::vector<double>& x, DType dtype, bool sound) {
  BoundRequest r;
  r.graph = std::move(g);
  r.region = input_box(x, x, r.graph->type(r.graph->inputs()[0]).shape, dtype, /*outward=*/true);
  r.sound_fp = sound;
  return r;
}

TEST(SoundFp, PointBoundsContainTheExactValue) {
  int plain_misses = 0, checked = 0;
  for (const Case& c : kCases) {
    auto g = c.make();
    const std::int64_t n = g->type(g->inputs()[0]).numel();
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> d(static_cast<float>(-c.scale), static_cast<float>(c.scale));
    for (int p = 0; p < 8; ++p) {
      std::vector<double> x(static_cast<std::size_t>(n));
      for (double& v : x) v = d(rng);  // f32 values: the region is the point itself
      Tensor in = Tensor::from_vector<double>({n}, x);
      ForwardOptions fo;
      fo.compute = DType::F64;
      const std::vector<double> y = run_forward(*g, {in}, fo).at(0).to_double_vector();
      for (const char* method : {"crown", "alpha-crown"}) {
        for (bool sound : {false, true}) {
          BoundRequest r = point_request(g, x, DType::F32, sound);
          r.alpha.iterations = 2;
          const BoundResult b = make_bound_method(method)->compute(r);
          const auto lo = b.outputs[0].lower.to_double_vector(), hi = b.outputs[0].upper.to_double_vector();
          for (std::size_t i = 0; i < y.size(); ++i) {
            const bool inside = lo[i] <= y[i] && y[i] <= hi[i];
            if (sound) {
              ++checked;
              EXPECT_TRUE(inside) << c.name << " " << method << " point " << p << " y[" << i << "] = " << y[i]
                                  << " outside the sound bounds [" << lo[i] << ", " << hi[i] << "]";
            } else if (!inside) {
              ++plain_misses;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 0);
  EXPECT_GT(plain_misses, 0) << "plain f32 bounds never missed: the points do not exercise rounding";
}

// Boxes, not points: random points of the box stay inside the sound bounds.
TEST(SoundFp, BoxBoundsContainSampledPoints) {
  for (const Case& c : kCases) {
    auto g = c.make();
    const Shape& shape = g->type(g->inputs()[0]).shape;
    const std::int64_t n = numel(shape);
    std::mt19937 rng(9);
    std::uniform_real_distribution<double> d(-1.0, 1.0);
    std::vector<double> x0(static_cast<std::size_t>(n));
    for (double& v : x0) v = d(rng);
    BoundRequest r;
    r.graph = g;
    r.region = linf_ball_outward(x0, 0.05, shape, DType::F32);
    r.sound_fp = true;
    const BoundResult b = make_bound_method("crown")->compute(r);
    const auto lo = b.outputs[0].lower.to_double_vector(), hi = b.outputs[0].upper.to_double_vector();
    for (int s = 0; s < 50; ++s) {
      std::vector<double> x(x0);
      for (double& v : x) v += 0.05 * d(rng);
      ForwardOptions fo;
      fo.compute = DType::F64;
      const auto y = run_forward(*g, {Tensor::from_vector<double>({n}, x)}, fo).at(0).to_double_vector();
      for (std::size_t i = 0; i < y.size(); ++i) {
        EXPECT_LE(lo[i], y[i]) << c.name;
        EXPECT_LE(y[i], hi[i]) << c.name;
      }
    }
  }
}

TEST(SoundFp, CompiledAndReferenceGiveTheSameF64Bits) {
  for (const Case& c : kCases) {
    auto g = c.make();
    const Shape& shape = g->type(g->inputs()[0]).shape;
    std::vector<double> x0(static_cast<std::size_t>(numel(shape)), 0.25);
    for (const char* method : {"crown", "alpha-crown"}) {
      std::vector<std::vector<double>> got;
      for (ExecutorKind e : {ExecutorKind::Compiled, ExecutorKind::Reference}) {
        BoundRequest r;
        r.graph = g;
        r.region = linf_ball_outward(x0, 0.1, shape, DType::F64);
        r.sound_fp = true;
        r.executor = e;
        r.alpha.iterations = 3;
        const BoundResult b = make_bound_method(method)->compute(r);
        auto v = b.outputs[0].lower.to_double_vector();
        const auto u = b.outputs[0].upper.to_double_vector();
        v.insert(v.end(), u.begin(), u.end());
        got.push_back(v);
      }
      EXPECT_EQ(got[0], got[1]) << c.name << " " << method;
    }
  }
}

// The account costs little: sound f64 bounds are within 1e-9 (relative to the
// bounds' width) of plain f64 ones, and never inside them.
TEST(SoundFp, F64AccountIsTight) {
  for (const Case& c : kCases) {
    auto g = c.make();
    const Shape& shape = g->type(g->inputs()[0]).shape;
    std::vector<double> x0(static_cast<std::size_t>(numel(shape)), -0.3);
    std::vector<std::vector<double>> lo, hi;
    for (bool sound : {false, true}) {
      BoundRequest r;
      r.graph = g;
      r.region = linf_ball_outward(x0, 0.1, shape, DType::F64);
      r.sound_fp = sound;
      const BoundResult b = make_bound_method("crown")->compute(r);
      lo.push_back(b.outputs[0].lower.to_double_vector());
      hi.push_back(b.outputs[0].upper.to_double_vector());
    }
    for (std::size_t i = 0; i < lo[0].size(); ++i) {
      const double width = hi[0][i] - lo[0][i];
      EXPECT_LE(lo[1][i], lo[0][i]) << c.name;
      EXPECT_GE(hi[1][i], hi[0][i]) << c.name;
      EXPECT_LE(lo[0][i] - lo[1][i], 1e-9 * (1.0 + width)) << c.name << " " << i << " width " << width;
      EXPECT_LE(hi[1][i] - hi[0][i], 1e-9 * (1.0 + width)) << c.name;
    }
  }
}

TEST(SoundFp, EveryOpHasARoundingRuleOrSaysWhyNot) {
  for (int k = 0; k < kNumOpKinds; ++k) {
    EXPECT_EQ(static_cast<int>(rounding_rule(static_cast<OpKind>(k)).op), k);
    EXPECT_NE(rounding_rule(static_cast<OpKind>(k)).terms, nullptr) << op_name(static_cast<OpKind>(k));
  }
  // Every node of the test graphs has counts; Softmax says it has no account.
  for (const Case& c : kCases) {
    auto g = c.make();
    for (const Node& n : g->nodes()) EXPECT_NO_THROW(rounding_terms(*g, n)) << c.name << " " << n.name;
  }
  auto g = test::mixed_ops_graph();
  bool softmax = false;
  for (const Node& n : g->nodes()) {
    if (n.op != OpKind::Softmax) continue;
    softmax = true;
    try {
      rounding_terms(*g, n);
      ADD_FAILURE() << "Softmax has a rounding account";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_NE(std::string(e.what()).find("rounding account"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(softmax);
}

TEST(SoundFp, IntervalMethodAndFoldedSpecsRefuseIt) {
  auto g = mlp();
  BoundRequest r = point_request(g, std::vector<double>(8, 0.5), DType::F32, true);
  EXPECT_THROW(make_bound_method("ibp")->compute(r), Error);
  r.spec = Tensor::from_vector<double>({1, 3}, {1.0, -1.0, 0.0}).cast(DType::F32);
  r.fuse_spec = true;
  EXPECT_THROW(make_bound_method("crown")->compute(r), Error);
}

}  // namespace
}  // namespace bf
