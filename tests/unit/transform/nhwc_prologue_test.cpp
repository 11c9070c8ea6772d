#include "transform/nhwc_prologue.h"

#include <gtest/gtest.h>

#include "ir/printer.h"
#include "support/test_graphs.h"
#include "transform/fold_input_normalization.h"
#include "unit/transform/transform_test_util.h"

namespace bf {
namespace {

using test::op_sequence;
using test::RandomSource;

ValueId binary(Graph& g, OpKind op, const std::string& name, ValueId a, ValueId b) {
  return g.add_inferred_node(op, name, {}, {a, b}, {name + "_out"})[0];
}

ValueId transpose(Graph& g, const std::string& name, ValueId x, std::vector<std::int64_t> perm) {
  Attributes a;
  a.set("perm", std::move(perm));
  return g.add_inferred_node(OpKind::Transpose, name, a, {x}, {name + "_out"})[0];
}

ValueId conv(Graph& g, RandomSource& rnd, ValueId x) {
  const Attributes a = test::conv2d_attrs(3, 1, 1);
  ValueId w = test::add_random_constant(g, rnd, "conv.w", g.type(x).dtype, {2, g.type(x).shape[1], 3, 3});
  return g.add_inferred_node(OpKind::Conv, "conv", a, {x, w}, {"conv_out"})[0];
}

test::Equivalence exact() {
  test::Equivalence eq;
  eq.exact = true;
  return eq;
}

// tf2onnx: x NHWC [1,5,4,3] -> Transpose(0,3,1,2) -> Sub mean [1,3,1,1] -> Div std [3,1,1] -> Conv
Graph tf2onnx_prologue() {
  RandomSource rnd(1);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 5, 4, 3}});
  ValueId t = transpose(g, "to_nchw", x, {0, 3, 1, 2});
  ValueId mean = test::add_random_constant(g, rnd, "mean", DType::F32, {1, 3, 1, 1});
  ValueId stdev = g.add_constant("std", rnd.away_from_zero(DType::F32, {3, 1, 1}, 0.1, 1.0, 0.1));
  ValueId n = binary(g, OpKind::Div, "div", binary(g, OpKind::Sub, "sub", t, mean), stdev);
  g.add_output(conv(g, rnd, n));
  return g;
}

TEST(NhwcPrologue, MovesNormalisationBeforeTheTranspose) {
  Graph g = tf2onnx_prologue();
  Graph before = g;
  NhwcPrologue pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Sub,Div,Transpose,Conv");
  // The input keeps its NHWC shape and the normalisation now reads it directly.
  EXPECT_EQ(g.type(g.inputs()[0]).shape, (Shape{1, 5, 4, 3}));
  EXPECT_EQ(g.nodes()[0].inputs[0], g.inputs()[0]);
  // Per-channel constants now lie along the last (channel) axis.
  EXPECT_EQ(g.type(g.nodes()[0].inputs[1]).shape, (Shape{3}));
  EXPECT_EQ(g.type(g.nodes()[1].inputs[1]).shape, (Shape{3}));
  // The Transpose feeds the Conv directly, under the name the Conv read before.
  EXPECT_EQ(g.nodes()[3].inputs[0], g.nodes()[2].outputs[0]);
  EXPECT_EQ(g.value(g.nodes()[2].outputs[0]).name, "div_out");
  test::expect_equivalent(before, g, exact());
}

TEST(NhwcPrologue, ThenFoldsIntoOneScaleShiftOnTheInput) {
  Graph g = tf2onnx_prologue();
  Graph before = g;
  EXPECT_TRUE(NhwcPrologue().run(g));
  EXPECT_TRUE(FoldInputNormalization().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "ScaleShift,Transpose,Conv");
  test::expect_equivalent(before, g);
}

TEST(NhwcPrologue, NormalisationOnBothSidesAndConstantFirstOperands) {
  // x -> Mul k (before) -> Transpose -> (c - t) -> Div by a full-shape constant -> Add scalar -> Conv
  RandomSource rnd(2);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 4, 4, 2}});
  ValueId k = test::add_random_constant(g, rnd, "k", DType::F32, {2});
  ValueId t = transpose(g, "to_nchw", binary(g, OpKind::Mul, "pre", x, k), {0, 3, 1, 2});
  ValueId c = test::add_random_constant(g, rnd, "c", DType::F32, {2, 1, 1});
  ValueId full = g.add_constant("full", rnd.away_from_zero(DType::F32, {1, 2, 4, 4}, -2, 2, 0.1));
  ValueId s = test::add_random_constant(g, rnd, "s", DType::F32, {});
  ValueId h =
      binary(g, OpKind::Add, "add", binary(g, OpKind::Div, "div", binary(g, OpKind::Sub, "rsub", c, t), full), s);
  g.add_output(conv(g, rnd, h));
  Graph before = g;
  EXPECT_TRUE(NhwcPrologue().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Mul,Sub,Div,Add,Transpose,Conv");
  EXPECT_EQ(g.type(g.nodes()[2].inputs[1]).shape, (Shape{4, 4, 2}));
  // c - x keeps its operand order.
  EXPECT_TRUE(g.is_constant(g.nodes()[1].inputs[0]));
  test::expect_equivalent(before, g, exact());
}

TEST(NhwcPrologue, WorksInDouble) {
  RandomSource rnd(3);
  Graph g;
  ValueId x = g.add_input("x", {DType::F64, {1, 3, 3, 2}});
  ValueId t = transpose(g, "to_nchw", x, {0, 3, 1, 2});
  ValueId m = test::add_random_constant(g, rnd, "m", DType::F64, {1, 2, 1, 1});
  g.add_output(conv(g, rnd, binary(g, OpKind::Mul, "mul", t, m)));
  Graph before = g;
  EXPECT_TRUE(NhwcPrologue().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Mul,Transpose,Conv");
  test::Equivalence eq = test::tolerance_for(DType::F64);
  eq.exact = true;
  test::expect_equivalent(before, g, eq);
}

TEST(NhwcPrologue, TransposeWithSeveralReadersStays) {
  RandomSource rnd(4);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3, 3, 2}});
  ValueId t = transpose(g, "to_nchw", x, {0, 3, 1, 2});
  ValueId m = test::add_random_constant(g, rnd, "m", DType::F32, {1, 2, 1, 1});
  g.add_output(conv(g, rnd, binary(g, OpKind::Sub, "sub", t, m)));
  g.add_output(g.add_inferred_node(OpKind::Relu, "relu", {}, {t}, {"r"})[0]);
  const std::string original = print_graph(g);
  NhwcPrologue pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_EQ(print_graph(g), original);
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("several readers"), std::string::npos) << pass.remarks()[0];
}

TEST(NhwcPrologue, TransposeInsideTheNetworkIsNotAPrologue) {
  RandomSource rnd(5);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3, 3, 2}});
  ValueId r = g.add_inferred_node(OpKind::Relu, "relu", {}, {x}, {"r"})[0];
  ValueId t = transpose(g, "to_nchw", r, {0, 3, 1, 2});
  ValueId m = test::add_random_constant(g, rnd, "m", DType::F32, {1, 2, 1, 1});
  g.add_output(conv(g, rnd, binary(g, OpKind::Sub, "sub", t, m)));
  const std::string original = print_graph(g);
  EXPECT_FALSE(NhwcPrologue().run(g));
  EXPECT_EQ(print_graph(g), original);
}

TEST(NhwcPrologue, TransposeFeedingTheConvDirectlyIsLeftAsIs) {
  RandomSource rnd(6);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3, 3, 2}});
  g.add_output(conv(g, rnd, transpose(g, "to_nchw", x, {0, 3, 1, 2})));
  NhwcPrologue pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_TRUE(pass.remarks().empty());
}

}  // namespace
}  // namespace bf
