#include "transform/constant_folding.h"

#include <gtest/gtest.h>

#include "ir/printer.h"
#include "runtime/forward_executor.h"
#include "unit/transform/transform_test_util.h"

namespace bf {
namespace {

using test::count_ops;
using test::op_sequence;

// x[1,4] + (a + b) * a, with a and b constants: the constant subexpression folds.
TEST(ConstantFolding, FoldsAConstantChainInOneRun) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 4}});
  std::vector<float> av = {1.5f, -2.0f, 0.25f, 3.0f}, bv = {0.5f, 1.0f, -4.0f, 2.0f};
  ValueId a = g.add_constant("a", Tensor::from_vector<float>({4}, av));
  ValueId b = g.add_constant("b", Tensor::from_vector<float>({4}, bv));
  ValueId s = g.add_inferred_node(OpKind::Add, "sum", {}, {a, b}, {"s"})[0];
  ValueId p = g.add_inferred_node(OpKind::Mul, "prod", {}, {s, a}, {"p"})[0];
  ValueId y = g.add_inferred_node(OpKind::Add, "out", {}, {x, p}, {"y"})[0];
  g.add_output(y);
  Graph before = g;

  ConstantFolding pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Add");
  auto p_id = g.find_value("p");
  ASSERT_TRUE(p_id.has_value());
  ASSERT_TRUE(g.is_constant(*p_id));
  std::vector<float> folded = g.constant(*p_id).to_vector<float>();
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(folded[i], (av[i] + bv[i]) * av[i]) << i;
  // The operands a, b and the intermediate s are gone after compaction.
  EXPECT_FALSE(g.find_value("s").has_value());
  EXPECT_FALSE(g.find_value("b").has_value());
  test::expect_equivalent(before, g);
}

TEST(ConstantFolding, FoldsIntegerIndexChainsIntoTheConstantGatherNeeds) {
  // Gather indices computed from integer constants: the graph only becomes valid
  // (Gather needs constant indices) once the chain is folded.
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 5}});
  ValueId i0 = g.add_constant("i0", Tensor::from_vector<std::int64_t>({2}, {1, 0}));
  ValueId i1 = g.add_constant("i1", Tensor::from_vector<std::int64_t>({2}, {2, 4}));
  ValueId idx = g.add_inferred_node(OpKind::Add, "idx", {}, {i0, i1}, {"idx"})[0];
  Attributes axis;
  axis.set("axis", std::int64_t{1});
  ValueId y = g.add_inferred_node(OpKind::Gather, "gather", axis, {x, idx}, {"y"})[0];
  g.add_output(y);
  EXPECT_THROW(validate(g), Error);

  ConstantFolding pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Gather");
  EXPECT_EQ(g.constant(g.nodes()[0].inputs[1]).to_vector<std::int64_t>(), (std::vector<std::int64_t>{3, 4}));
  auto out = run_forward(g, {Tensor::from_vector<float>({1, 5}, {10, 11, 12, 13, 14})});
  EXPECT_EQ(out.at(0).to_vector<float>(), (std::vector<float>{13, 14}));
}

TEST(ConstantFolding, FoldsATransposedWeight) {
  // MatMul(x, Transpose(W)): the Transpose of a constant becomes the constant W^T.
  test::RandomSource rnd(2);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2, 4}});
  ValueId w = test::add_random_constant(g, rnd, "w", DType::F32, {3, 4});
  Attributes perm;
  perm.set("perm", std::vector<std::int64_t>{1, 0});
  ValueId wt = g.add_inferred_node(OpKind::Transpose, "wt", perm, {w}, {"wt"})[0];
  g.add_output(g.add_inferred_node(OpKind::MatMul, "mm", {}, {x, wt}, {"y"})[0]);
  Graph before = g;
  auto wv = g.constant(w).to_vector<float>();

  EXPECT_TRUE(ConstantFolding().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "MatMul");
  auto folded = g.constant(g.nodes()[0].inputs[1]).to_vector<float>();
  for (std::size_t k = 0; k < 4; ++k) {
    for (std::size_t n = 0; n < 3; ++n) EXPECT_EQ(folded[k * 3 + n], wv[n * 4 + k]);
  }
  test::expect_equivalent(before, g);
}

TEST(ConstantFolding, KeepsANodeThatComputesAGraphOutput) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId k = g.add_constant("k", Tensor::from_vector<float>({1, 3}, {1, 2, 3}));
  ValueId r = g.add_inferred_node(OpKind::Relu, "relu", {}, {x}, {"r"})[0];
  ValueId n = g.add_inferred_node(OpKind::Neg, "neg_k", {}, {k}, {"n"})[0];
  g.add_output(r);
  g.add_output(n);
  const std::string original = print_graph(g);

  ConstantFolding pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_EQ(print_graph(g), original);
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("Neg 'neg_k'"), std::string::npos) << pass.remarks()[0];
  EXPECT_NE(pass.remarks()[0].find("graph output"), std::string::npos) << pass.remarks()[0];
}

TEST(ConstantFolding, FoldsUpToTheNodeThatComputesAnOutput) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2}});
  ValueId k = g.add_constant("k", Tensor::from_vector<float>({2}, {-1, 2}));
  ValueId r = g.add_inferred_node(OpKind::Relu, "relu", {}, {k}, {"r"})[0];
  ValueId n = g.add_inferred_node(OpKind::Neg, "neg", {}, {r}, {"n"})[0];
  ValueId y = g.add_inferred_node(OpKind::Add, "add", {}, {x, r}, {"y"})[0];
  g.add_output(n);
  g.add_output(y);
  Graph before = g;

  ConstantFolding pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Neg,Add");
  EXPECT_TRUE(g.is_constant(*g.find_value("r")));
  test::expect_equivalent(before, g);
}

TEST(ConstantFolding, LeavesActivationsAlone) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 3}});
  ValueId k = g.add_constant("k", Tensor::from_vector<float>({3}, {1, 2, 3}));
  ValueId y = g.add_inferred_node(OpKind::Mul, "mul", {}, {x, k}, {"y"})[0];
  g.add_output(y);
  const std::string original = print_graph(g);
  ConstantFolding pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_EQ(print_graph(g), original);
  EXPECT_TRUE(pass.remarks().empty());
}

TEST(ConstantFolding, IsDeterministic) {
  auto build = [] {
    Graph g;
    ValueId x = g.add_input("x", {DType::F32, {1, 4}});
    test::RandomSource rnd(3);
    ValueId a = test::add_random_constant(g, rnd, "a", DType::F32, {4});
    ValueId b = test::add_random_constant(g, rnd, "b", DType::F32, {4});
    ValueId s = g.add_inferred_node(OpKind::Sub, "s", {}, {a, b}, {"s"})[0];
    ValueId y = g.add_inferred_node(OpKind::Add, "y", {}, {x, s}, {"y"})[0];
    g.add_output(y);
    return g;
  };
  Graph g1 = build(), g2 = build();
  ConstantFolding().run(g1);
  ConstantFolding().run(g2);
  EXPECT_EQ(print_graph(g1), print_graph(g2));
  EXPECT_EQ(count_ops(g1, OpKind::Sub), 0);
}

// Folding that may round is named in Graph::rounded; moving values, or a
// product of f32 constants that f32 holds exactly, is not.
TEST(ConstantFolding, NamesTheFoldsThatRound) {
  auto graph = [](float a, float b) {
    Graph g;
    ValueId x = g.add_input("x", {DType::F32, {1, 2}});
    ValueId ca = g.add_constant("a", Tensor::from_vector<float>({2}, {a, a}));
    ValueId cb = g.add_constant("b", Tensor::from_vector<float>({2}, {b, b}));
    ValueId p = g.add_inferred_node(OpKind::Mul, "mul", {}, {ca, cb}, {"p"})[0];
    ValueId n = g.add_inferred_node(OpKind::Neg, "neg", {}, {p}, {"n"})[0];
    g.add_output(g.add_inferred_node(OpKind::Add, "add", {}, {x, n}, {"y"})[0]);
    return g;
  };
  Graph exact = graph(0.5f, 3.0f);
  ConstantFolding pass;
  EXPECT_TRUE(pass.run(exact));
  EXPECT_TRUE(exact.rounded.empty());
  Graph rounding = graph(0.1f, 0.3f);
  EXPECT_TRUE(pass.run(rounding));
  ASSERT_EQ(rounding.rounded.size(), 1u);
  EXPECT_NE(rounding.rounded[0].find("mul"), std::string::npos) << rounding.rounded[0];
}

}  // namespace
}  // namespace bf
