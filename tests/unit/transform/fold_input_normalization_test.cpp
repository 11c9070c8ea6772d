#include "transform/fold_input_normalization.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ir/printer.h"
#include "unit/transform/transform_test_util.h"

namespace bf {
namespace {

using test::count_ops;
using test::op_sequence;
using test::RandomSource;

ValueId binary(Graph& g, OpKind op, const std::string& name, ValueId a, ValueId b) {
  return g.add_inferred_node(op, name, {}, {a, b}, {name + "_out"})[0];
}

ValueId relu(Graph& g, const std::string& name, ValueId x) {
  return g.add_inferred_node(OpKind::Relu, name, {}, {x}, {name + "_out"})[0];
}

const Node& only_node_of(const Graph& g, OpKind op) {
  for (const auto& n : g.nodes()) {
    if (n.op == op) return n;
  }
  ADD_FAILURE() << "no " << op_name(op) << " node";
  return g.nodes().at(0);
}

TEST(FoldInputNormalization, SubMeanDivStdBecomesOneScaleShift) {
  // ERAN style: (x - mean) / std on the graph input, then a dense layer.
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 4}});
  const float mean = 0.1307f, stdev = 0.3081f;
  ValueId m = g.add_constant("mean", Tensor::from_vector<float>({1}, {mean}));
  ValueId s = g.add_constant("std", Tensor::from_vector<float>({1}, {stdev}));
  ValueId d = binary(g, OpKind::Div, "div", binary(g, OpKind::Sub, "sub", x, m), s);
  RandomSource rnd(1);
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {3, 4});
  g.add_output(g.add_inferred_node(OpKind::Affine, "fc", {}, {d, w}, {"y"})[0]);
  Graph before = g;

  FoldInputNormalization pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "ScaleShift,Affine");
  const Node& ss = g.nodes()[0];
  EXPECT_EQ(ss.inputs[0], g.inputs()[0]);
  EXPECT_EQ(g.value(ss.outputs[0]).name, "div_out");
  // Composed in double, stored once in f32.
  EXPECT_EQ(g.constant(ss.inputs[1]).to_vector<float>(), std::vector<float>{static_cast<float>(1.0 / double(stdev))});
  EXPECT_EQ(g.constant(ss.inputs[2]).to_vector<float>(),
            std::vector<float>{static_cast<float>(-double(mean) / double(stdev))});
  test::expect_equivalent(before, g);
}

TEST(FoldInputNormalization, PerChannelNchwChainAndBroadcastShapes) {
  RandomSource rnd(2);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3, 4, 4}});
  ValueId a = test::add_random_constant(g, rnd, "a", DType::F32, {1, 3, 1, 1});
  ValueId b = g.add_constant("b", rnd.away_from_zero(DType::F32, {3, 1, 1}, -2, 2, 0.1));
  ValueId c = test::add_random_constant(g, rnd, "c", DType::F32, {});
  ValueId h = binary(g, OpKind::Mul, "mul", binary(g, OpKind::Div, "div", binary(g, OpKind::Sub, "sub", x, a), b), c);
  g.add_output(relu(g, "relu", h));
  Graph before = g;

  EXPECT_TRUE(FoldInputNormalization().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "ScaleShift,Relu");
  // The scale only varies where a scale did (Div by [3,1,1]); the shift also where the mean did.
  EXPECT_EQ(g.type(g.nodes()[0].inputs[1]).shape, (Shape{3, 1, 1}));
  EXPECT_EQ(g.type(g.nodes()[0].inputs[2]).shape, (Shape{1, 3, 1, 1}));
  test::expect_equivalent(before, g);
}

TEST(FoldInputNormalization, ConstantMinusXHasScaleMinusOne) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId c = g.add_constant("c", Tensor::from_vector<float>({3}, {1, 2, 3}));
  g.add_output(relu(g, "relu", binary(g, OpKind::Sub, "rsub", c, x)));
  Graph before = g;
  EXPECT_TRUE(FoldInputNormalization().run(g));
  validate(g);
  const Node& ss = only_node_of(g, OpKind::ScaleShift);
  EXPECT_EQ(g.constant(ss.inputs[1]).to_vector<float>(), std::vector<float>{-1.0f});
  EXPECT_EQ(g.constant(ss.inputs[2]).to_vector<float>(), (std::vector<float>{1, 2, 3}));
  test::expect_equivalent(before, g);
}

TEST(FoldInputNormalization, DivisionByAZeroConstantIsLeftAlone) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId m = g.add_constant("m", Tensor::from_vector<float>({3}, {0.5f, 0.5f, 0.5f}));
  ValueId z = g.add_constant("z", Tensor::from_vector<float>({3}, {2.0f, 0.0f, 4.0f}));
  ValueId d = binary(g, OpKind::Div, "div", binary(g, OpKind::Sub, "sub", x, m), z);
  g.add_output(relu(g, "relu", d));
  FoldInputNormalization pass;
  EXPECT_TRUE(pass.run(g));  // the Sub alone still becomes a ScaleShift
  validate(g);
  EXPECT_EQ(op_sequence(g), "ScaleShift,Div,Relu");
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("zero element"), std::string::npos) << pass.remarks()[0];
}

TEST(FoldInputNormalization, NonFiniteOrOverflowingCompositionsAreLeftAlone) {
  // x / 1e-39 is finite for small x in f32, but 1 / 1e-39 overflows f32: no ScaleShift can stand in.
  // x * inf is left too: inf does not compose exactly (0 * inf, inf - inf).
  for (float c : {1e-39f, std::numeric_limits<float>::infinity()}) {
    SCOPED_TRACE(c);
    Graph g;
    ValueId x = g.add_input("x", {DType::F32, {1, 3}});
    ValueId k = g.add_constant("k", Tensor::from_vector<float>({1}, {c}));
    ValueId m = g.add_constant("m", Tensor::from_vector<float>({1}, {0.5f}));
    OpKind op = std::isinf(c) ? OpKind::Mul : OpKind::Div;
    g.add_output(relu(g, "relu", binary(g, op, "step", binary(g, OpKind::Sub, "sub", x, m), k)));
    const std::string original = print_graph(g);
    FoldInputNormalization pass;
    EXPECT_FALSE(pass.run(g));
    EXPECT_EQ(print_graph(g), original);
    ASSERT_EQ(pass.remarks().size(), 1u);
    EXPECT_NE(pass.remarks()[0].find(std::isinf(c) ? "not finite" : "overflows f32"), std::string::npos)
        << pass.remarks()[0];
  }
}

TEST(FoldInputNormalization, ConstantDividedByXIsNotAffine) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId c = g.add_constant("c", Tensor::from_vector<float>({3}, {1, 2, 3}));
  g.add_output(relu(g, "relu", binary(g, OpKind::Div, "rdiv", c, x)));
  const std::string original = print_graph(g);
  FoldInputNormalization pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_EQ(print_graph(g), original);
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("not affine"), std::string::npos) << pass.remarks()[0];
}

TEST(FoldInputNormalization, BroadcastThatGrowsTheActivationIsLeftAlone) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId c = g.add_constant("c", Tensor(DType::F32, {2, 3}));
  g.add_output(relu(g, "relu", binary(g, OpKind::Add, "add", x, c)));
  FoldInputNormalization pass;
  EXPECT_FALSE(pass.run(g));
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("larger shape"), std::string::npos) << pass.remarks()[0];
}

TEST(FoldInputNormalization, WorksInTheMiddleOfTheGraph) {
  RandomSource rnd(3);
  Graph g;
  ValueId x = g.add_input("x", {DType::F64, {2, 5}});
  ValueId a = test::add_random_constant(g, rnd, "a", DType::F64, {5});
  ValueId b = test::add_random_constant(g, rnd, "b", DType::F64, {2, 1});
  ValueId r = relu(g, "relu1", x);
  ValueId h = binary(g, OpKind::Add, "add", b, binary(g, OpKind::Mul, "mul", a, r));
  g.add_output(relu(g, "relu2", h));
  Graph before = g;
  EXPECT_TRUE(FoldInputNormalization().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Relu,ScaleShift,Relu");
  test::expect_equivalent(before, g, test::tolerance_for(DType::F64));
}

TEST(FoldInputNormalization, ChainStopsAtAValueWithSeveralReaders) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId c = g.add_constant("c", Tensor::from_vector<float>({3}, {1, 2, 3}));
  ValueId h = binary(g, OpKind::Add, "add", x, c);
  ValueId m = binary(g, OpKind::Mul, "mul", h, c);
  g.add_output(m);
  g.add_output(relu(g, "relu", h));
  Graph before = g;
  EXPECT_TRUE(FoldInputNormalization().run(g));
  validate(g);
  // Both steps become ScaleShifts, but they cannot merge: h is read twice.
  EXPECT_EQ(count_ops(g, OpKind::ScaleShift), 2);
  test::expect_equivalent(before, g);
}

TEST(FoldInputNormalization, LeavesALoneScaleShiftAlone) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId s = g.add_constant("s", Tensor::from_vector<float>({3}, {2, 3, 4}));
  ValueId t = g.add_constant("t", Tensor::from_vector<float>({3}, {1, 1, 1}));
  ValueId h = g.add_inferred_node(OpKind::ScaleShift, "ss", {}, {x, s, t}, {"h"})[0];
  g.add_output(relu(g, "relu", h));
  const std::string original = print_graph(g);
  EXPECT_FALSE(FoldInputNormalization().run(g));
  EXPECT_EQ(print_graph(g), original);
}

TEST(FoldInputNormalization, MergesAnExistingScaleShiftWithFollowingSteps) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId s = g.add_constant("s", Tensor::from_vector<float>({3}, {2, 3, 4}));
  ValueId t = g.add_constant("t", Tensor::from_vector<float>({3}, {1, -1, 0.5f}));
  ValueId k = g.add_constant("k", Tensor::from_vector<float>({1}, {0.25f}));
  ValueId h = g.add_inferred_node(OpKind::ScaleShift, "ss", {}, {x, s, t}, {"h"})[0];
  g.add_output(relu(g, "relu", binary(g, OpKind::Mul, "mul", k, h)));
  Graph before = g;
  EXPECT_TRUE(FoldInputNormalization().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "ScaleShift,Relu");
  // (x*s + t) * k: scale s*k, shift t*k, exact here (powers of two).
  EXPECT_EQ(g.constant(g.nodes()[0].inputs[1]).to_vector<float>(), (std::vector<float>{0.5f, 0.75f, 1.0f}));
  EXPECT_EQ(g.constant(g.nodes()[0].inputs[2]).to_vector<float>(), (std::vector<float>{0.25f, -0.25f, 0.125f}));
  test::expect_equivalent(before, g);
}

TEST(FoldInputNormalization, LeavesTheBiasOfAMatMulForFusion) {
  RandomSource rnd(4);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 4}});
  ValueId m = g.add_constant("m", Tensor::from_vector<float>({1}, {0.5f}));
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {4, 3});
  ValueId b = test::add_random_constant(g, rnd, "b", DType::F32, {3});
  ValueId mm = binary(g, OpKind::MatMul, "mm", binary(g, OpKind::Sub, "sub", x, m), w);
  g.add_output(relu(g, "relu", binary(g, OpKind::Add, "bias", mm, b)));
  FoldInputNormalization pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "ScaleShift,MatMul,Add,Relu");
}

// Exact mode (sound floating point): a composition that rounds is left alone
// (the graph keeps the model's own constants), one that does not still folds;
// outside exact mode the rounding fold is named in Graph::rounded.
TEST(FoldInputNormalization, ExactModeKeepsOnlyCompositionsThatDoNotRound) {
  auto normalisation = [](float mean, float stdev) {
    Graph g;
    ValueId x = g.add_input("x", {DType::F32, {1, 4}});
    ValueId m = g.add_constant("mean", Tensor::from_vector<float>({1}, {mean}));
    ValueId s = g.add_constant("std", Tensor::from_vector<float>({1}, {stdev}));
    ValueId d = binary(g, OpKind::Div, "div", binary(g, OpKind::Sub, "sub", x, m), s);
    g.add_output(relu(g, "relu", d));
    return g;
  };
  {
    Graph g = normalisation(0.1307f, 0.3081f);  // 1 / 0.3081 rounds
    FoldInputNormalization pass;
    pass.set_exact(true);
    EXPECT_FALSE(pass.run(g));
    EXPECT_EQ(op_sequence(g), "Sub,Div,Relu");
    EXPECT_TRUE(g.rounded.empty());
    ASSERT_FALSE(pass.remarks().empty());
    EXPECT_NE(pass.remarks()[0].find("exact mode"), std::string::npos) << pass.remarks()[0];
  }
  {
    Graph g = normalisation(0.5f, 0.25f);  // x * 4 - 2: exact
    FoldInputNormalization pass;
    pass.set_exact(true);
    EXPECT_TRUE(pass.run(g));
    EXPECT_EQ(op_sequence(g), "ScaleShift,Relu");
    EXPECT_TRUE(g.rounded.empty());
  }
  {
    Graph g = normalisation(0.1307f, 0.3081f);
    FoldInputNormalization pass;
    EXPECT_TRUE(pass.run(g));
    ASSERT_EQ(g.rounded.size(), 1u);
    EXPECT_NE(g.rounded[0].find("normalisation"), std::string::npos) << g.rounded[0];
  }
}

}  // namespace
}  // namespace bf
