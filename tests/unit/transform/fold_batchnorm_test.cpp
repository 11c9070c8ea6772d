#include "transform/fold_batchnorm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ir/printer.h"
#include "support/test_graphs.h"
#include "unit/transform/transform_test_util.h"

namespace bf {
namespace {

using test::count_ops;
using test::op_sequence;
using test::RandomSource;

Attributes conv_attrs(std::int64_t k, std::int64_t pad, std::int64_t group = 1) {
  return test::conv2d_attrs(k, 1, pad, group);
}

Attributes gemm_attrs(double alpha, double beta, std::int64_t trans_a, std::int64_t trans_b) {
  Attributes a;
  a.set("alpha", alpha);
  a.set("beta", beta);
  a.set("transA", trans_a);
  a.set("transB", trans_b);
  return a;
}

// BatchNormalization over axis 1 of x with random statistics (variance bounded away from 0).
ValueId add_bn(Graph& g, RandomSource& rnd, const std::string& name, ValueId x) {
  DType dt = g.type(x).dtype;
  std::int64_t c = g.type(x).shape[1];
  ValueId scale = g.add_constant(name + ".scale", rnd.away_from_zero(dt, {c}, -2.0, 2.0, 0.2));
  ValueId bias = g.add_constant(name + ".B", rnd.uniform(dt, {c}));
  ValueId mean = g.add_constant(name + ".mean", rnd.uniform(dt, {c}));
  ValueId var = g.add_constant(name + ".var", rnd.uniform(dt, {c}, 0.3, 2.0));
  Attributes a;
  a.set("epsilon", 1e-5);
  return g.add_inferred_node(OpKind::BatchNormalization, name, a, {x, scale, bias, mean, var}, {name + "_out"})[0];
}

ValueId add_relu(Graph& g, ValueId x, const std::string& name) {
  return g.add_inferred_node(OpKind::Relu, name, {}, {x}, {name + "_out"})[0];
}

// x[1,2,6,6] -> Conv(3x3, pad) -> BN -> Relu
Graph conv_then_bn(DType dt, bool with_bias, std::int64_t group, std::uint32_t seed) {
  RandomSource rnd(seed);
  Graph g;
  ValueId x = g.add_input("x", {dt, {1, 2, 6, 6}});
  std::int64_t c_out = 4;
  ValueId w = test::add_random_constant(g, rnd, "w", dt, {c_out, 2 / group, 3, 3});
  std::vector<ValueId> ins = {x, w};
  if (with_bias) ins.push_back(test::add_random_constant(g, rnd, "b", dt, {c_out}));
  ValueId c = g.add_inferred_node(OpKind::Conv, "conv", conv_attrs(3, 1, group), ins, {"c"})[0];
  ValueId y = add_relu(g, add_bn(g, rnd, "bn", c), "relu");
  g.add_output(y);
  return g;
}

TEST(FoldBatchNorm, IntoPrecedingConv) {
  for (bool with_bias : {true, false}) {
    for (std::int64_t group : {1, 2}) {
      SCOPED_TRACE(testing::Message() << "bias " << with_bias << " group " << group);
      Graph g = conv_then_bn(DType::F32, with_bias, group, 11);
      Graph before = g;
      FoldBatchNorm pass;
      EXPECT_TRUE(pass.run(g));
      validate(g);
      EXPECT_EQ(op_sequence(g), "Conv,Relu");
      // The Conv now produces the BN's result under its name.
      EXPECT_EQ(g.value(g.nodes()[0].outputs[0]).name, "bn_out");
      ASSERT_EQ(g.nodes()[0].inputs.size(), 3u);
      test::expect_equivalent(before, g);
    }
  }
}

TEST(FoldBatchNorm, IntoPrecedingConvInDoubleIsTight) {
  Graph g = conv_then_bn(DType::F64, true, 1, 12);
  Graph before = g;
  EXPECT_TRUE(FoldBatchNorm().run(g));
  validate(g);
  test::expect_equivalent(before, g, test::tolerance_for(DType::F64));
}

TEST(FoldBatchNorm, FoldedWeightsFollowTheFormula) {
  // One output channel at a time: W'[c] = W[c] * s[c], b' = (b - mean) * s + beta, s = scale / sqrt(var + eps).
  Graph g = conv_then_bn(DType::F64, true, 1, 13);
  const Node& bn = g.nodes()[1];
  auto scale = g.constant(bn.inputs[1]).to_double_vector();
  auto beta = g.constant(bn.inputs[2]).to_double_vector();
  auto mean = g.constant(bn.inputs[3]).to_double_vector();
  auto var = g.constant(bn.inputs[4]).to_double_vector();
  auto w = g.constant(g.nodes()[0].inputs[1]).to_double_vector();
  auto b = g.constant(g.nodes()[0].inputs[2]).to_double_vector();
  ASSERT_TRUE(FoldBatchNorm().run(g));
  auto w2 = g.constant(g.nodes()[0].inputs[1]).to_double_vector();
  auto b2 = g.constant(g.nodes()[0].inputs[2]).to_double_vector();
  const std::size_t per_channel = w.size() / 4;
  for (std::size_t c = 0; c < 4; ++c) {
    double s = scale[c] / std::sqrt(var[c] + 1e-5);
    EXPECT_NEAR(b2[c], (b[c] - mean[c]) * s + beta[c], 1e-15);
    for (std::size_t i = 0; i < per_channel; ++i) {
      EXPECT_NEAR(w2[c * per_channel + i], w[c * per_channel + i] * s, 1e-15);
    }
  }
}

TEST(FoldBatchNorm, IntoPrecedingGemmOnTheColumnAxis) {
  // Gemm output [M=3, N=5]: BN's channel axis is dim 1 (N), not the row axis.
  for (std::int64_t trans_b : {0, 1}) {
    for (bool with_c : {true, false}) {
      SCOPED_TRACE(testing::Message() << "transB " << trans_b << " C " << with_c);
      RandomSource rnd(21);
      Graph g;
      ValueId x = g.add_input("x", {DType::F32, {3, 4}});
      Shape b_shape = trans_b ? Shape{5, 4} : Shape{4, 5};
      std::vector<ValueId> ins = {x, test::add_random_constant(g, rnd, "B", DType::F32, b_shape)};
      if (with_c) ins.push_back(test::add_random_constant(g, rnd, "C", DType::F32, {1, 5}));
      ValueId h = g.add_inferred_node(OpKind::Gemm, "gemm", gemm_attrs(0.5, 2.0, 0, trans_b), ins, {"h"})[0];
      g.add_output(add_bn(g, rnd, "bn", h));
      Graph before = g;
      EXPECT_TRUE(FoldBatchNorm().run(g));
      validate(g);
      EXPECT_EQ(op_sequence(g), "Gemm");
      EXPECT_EQ(g.nodes()[0].attrs.get_float("beta"), 1.0);
      EXPECT_EQ(g.nodes()[0].attrs.get_float("alpha"), 0.5);
      test::expect_equivalent(before, g);
    }
  }
}

TEST(FoldBatchNorm, IntoPrecedingGemmWithRowVaryingBias) {
  RandomSource rnd(22);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {3, 4}});
  ValueId B = test::add_random_constant(g, rnd, "B", DType::F32, {4, 5});
  ValueId C = test::add_random_constant(g, rnd, "C", DType::F32, {3, 1});
  ValueId h = g.add_inferred_node(OpKind::Gemm, "gemm", gemm_attrs(1.0, 1.0, 0, 0), {x, B, C}, {"h"})[0];
  g.add_output(add_bn(g, rnd, "bn", h));
  Graph before = g;
  EXPECT_TRUE(FoldBatchNorm().run(g));
  validate(g);
  EXPECT_EQ(g.type(g.nodes()[0].inputs[2]).shape, (Shape{3, 5}));
  test::expect_equivalent(before, g);
}

TEST(FoldBatchNorm, IntoPrecedingAffine) {
  RandomSource rnd(23);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 6}});
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {4, 6});
  ValueId h = g.add_inferred_node(OpKind::Affine, "fc", {}, {x, w}, {"h"})[0];
  g.add_output(add_relu(g, add_bn(g, rnd, "bn", h), "relu"));
  Graph before = g;
  EXPECT_TRUE(FoldBatchNorm().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Affine,Relu");
  test::expect_equivalent(before, g);
}

TEST(FoldBatchNorm, IntoFollowingAffine) {
  RandomSource rnd(24);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 6}});
  ValueId r = add_relu(g, x, "relu");
  ValueId n = add_bn(g, rnd, "bn", r);
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {3, 6});
  ValueId b = test::add_random_constant(g, rnd, "b", DType::F32, {3});
  g.add_output(g.add_inferred_node(OpKind::Affine, "fc", {}, {n, w, b}, {"y"})[0]);
  Graph before = g;
  EXPECT_TRUE(FoldBatchNorm().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Relu,Affine");
  EXPECT_EQ(g.nodes()[1].inputs[0], g.nodes()[0].outputs[0]);
  test::expect_equivalent(before, g);
}

TEST(FoldBatchNorm, IntoFollowingGemm) {
  for (std::int64_t trans_b : {0, 1}) {
    SCOPED_TRACE(testing::Message() << "transB " << trans_b);
    RandomSource rnd(25);
    Graph g;
    ValueId x = g.add_input("x", {DType::F32, {2, 6}});
    ValueId n = add_bn(g, rnd, "bn", x);
    Shape b_shape = trans_b ? Shape{3, 6} : Shape{6, 3};
    ValueId B = test::add_random_constant(g, rnd, "B", DType::F32, b_shape);
    ValueId C = test::add_random_constant(g, rnd, "C", DType::F32, {3});
    g.add_output(g.add_inferred_node(OpKind::Gemm, "gemm", gemm_attrs(1.5, 0.5, 0, trans_b), {n, B, C}, {"y"})[0]);
    Graph before = g;
    EXPECT_TRUE(FoldBatchNorm().run(g));
    validate(g);
    EXPECT_EQ(op_sequence(g), "Gemm");
    test::expect_equivalent(before, g);
  }
}

TEST(FoldBatchNorm, NotIntoGemmWithTransposedA) {
  RandomSource rnd(26);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {6, 2}});
  ValueId n = add_bn(g, rnd, "bn", x);
  ValueId B = test::add_random_constant(g, rnd, "B", DType::F32, {6, 3});
  g.add_output(g.add_inferred_node(OpKind::Gemm, "gemm", gemm_attrs(1, 1, 1, 0), {n, B}, {"y"})[0]);
  FoldBatchNorm pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_EQ(count_ops(g, OpKind::BatchNormalization), 1);
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("transA=1"), std::string::npos) << pass.remarks()[0];
}

// x -> Relu -> BN -> Conv(pad) -> output
Graph bn_then_conv(std::int64_t pad, std::int64_t group) {
  RandomSource rnd(31);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 4, 5, 5}});
  ValueId n = add_bn(g, rnd, "bn", add_relu(g, x, "relu"));
  ValueId w = test::add_random_constant(g, rnd, "w", DType::F32, {6, 4 / group, 3, 3});
  ValueId b = test::add_random_constant(g, rnd, "b", DType::F32, {6});
  g.add_output(g.add_inferred_node(OpKind::Conv, "conv", conv_attrs(3, pad, group), {n, w, b}, {"y"})[0]);
  return g;
}

TEST(FoldBatchNorm, IntoFollowingUnpaddedConv) {
  for (std::int64_t group : {1, 2}) {
    SCOPED_TRACE(testing::Message() << "group " << group);
    Graph g = bn_then_conv(0, group);
    Graph before = g;
    EXPECT_TRUE(FoldBatchNorm().run(g));
    validate(g);
    EXPECT_EQ(op_sequence(g), "Relu,Conv");
    test::expect_equivalent(before, g);
  }
}

TEST(FoldBatchNorm, NeverBeforeAPaddedConv) {
  Graph g = bn_then_conv(1, 1);
  const std::string original = print_graph(g);
  FoldBatchNorm pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_EQ(print_graph(g), original);
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("nonzero pads"), std::string::npos) << pass.remarks()[0];
}

TEST(FoldBatchNorm, NotIntoALayerWhoseResultHasOtherReaders) {
  RandomSource rnd(32);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 2, 4, 4}});
  ValueId w = test::add_random_constant(g, rnd, "w", DType::F32, {3, 2, 1, 1});
  ValueId c = g.add_inferred_node(OpKind::Conv, "conv", conv_attrs(1, 0), {x, w}, {"c"})[0];
  ValueId n = add_bn(g, rnd, "bn", c);
  g.add_output(add_relu(g, n, "relu"));
  g.add_output(c);
  FoldBatchNorm pass;
  EXPECT_FALSE(pass.run(g));
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("other readers"), std::string::npos) << pass.remarks()[0];
  EXPECT_NE(pass.remarks()[0].find("Relu 'relu'"), std::string::npos) << pass.remarks()[0];
}

TEST(FoldBatchNorm, NotIntoAnAffineWhoseFeaturesAreNotAxisOne) {
  // Affine output [1,3,4]: BN's channels (axis 1, size 3) are not the Affine's features (last axis).
  RandomSource rnd(33);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3, 5}});
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {4, 5});
  ValueId h = g.add_inferred_node(OpKind::Affine, "fc", {}, {x, w}, {"h"})[0];
  g.add_output(add_bn(g, rnd, "bn", h));
  FoldBatchNorm pass;
  EXPECT_FALSE(pass.run(g));
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("axis 1"), std::string::npos) << pass.remarks()[0];
}

TEST(FoldBatchNorm, ChainOfLayersFoldsEveryBatchNorm) {
  // Conv -> BN -> Relu -> BN -> Affine: the first folds backwards, the second forwards.
  RandomSource rnd(34);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 2, 3, 3}});
  ValueId w = test::add_random_constant(g, rnd, "w", DType::F32, {4, 2, 3, 3});
  ValueId c = g.add_inferred_node(OpKind::Conv, "conv", conv_attrs(3, 0), {x, w}, {"c"})[0];
  ValueId r = add_relu(g, add_bn(g, rnd, "bn1", c), "relu");
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  ValueId f = g.add_inferred_node(OpKind::Flatten, "flat", flat, {r}, {"f"})[0];
  ValueId n = add_bn(g, rnd, "bn2", f);
  ValueId w2 = test::add_random_constant(g, rnd, "w2", DType::F32, {3, 4});
  g.add_output(g.add_inferred_node(OpKind::Affine, "fc", {}, {n, w2}, {"y"})[0]);
  Graph before = g;
  EXPECT_TRUE(FoldBatchNorm().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Conv,Relu,Flatten,Affine");
  test::expect_equivalent(before, g);
}

TEST(FoldBatchNorm, BatchNormsOnBothSidesOfOneConv) {
  // Relu -> BN1 -> Conv (no pads) -> BN2: both fold into the same Conv, one per round.
  RandomSource rnd(35);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3, 4, 4}});
  ValueId n1 = add_bn(g, rnd, "bn1", add_relu(g, x, "relu"));
  ValueId w = test::add_random_constant(g, rnd, "w", DType::F32, {2, 3, 3, 3});
  ValueId c = g.add_inferred_node(OpKind::Conv, "conv", conv_attrs(3, 0), {n1, w}, {"c"})[0];
  g.add_output(add_bn(g, rnd, "bn2", c));
  Graph before = g;
  FoldBatchNorm pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Relu,Conv");
  EXPECT_TRUE(pass.remarks().empty());
  test::expect_equivalent(before, g);
}

// Exact mode keeps BatchNormalization (folding rounds the weights); outside
// it, every fold is named in Graph::rounded.
TEST(FoldBatchNorm, ExactModeKeepsItAndOtherwiseSaysItRounded) {
  {
    Graph g = conv_then_bn(DType::F32, true, 1, 3);
    FoldBatchNorm pass;
    pass.set_exact(true);
    EXPECT_FALSE(pass.run(g));
    EXPECT_EQ(count_ops(g, OpKind::BatchNormalization), 1);
    EXPECT_TRUE(g.rounded.empty());
  }
  {
    Graph g = conv_then_bn(DType::F32, true, 1, 3);
    FoldBatchNorm pass;
    EXPECT_TRUE(pass.run(g));
    EXPECT_EQ(count_ops(g, OpKind::BatchNormalization), 0);
    EXPECT_EQ(g.rounded.size(), 1u);
  }
}

}  // namespace
}  // namespace bf
