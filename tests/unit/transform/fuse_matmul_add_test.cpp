#include "transform/fuse_matmul_add.h"

#include <gtest/gtest.h>

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

Attributes gemm_attrs(double alpha, double beta, std::int64_t trans_a, std::int64_t trans_b) {
  Attributes a;
  a.set("alpha", alpha);
  a.set("beta", beta);
  a.set("transA", trans_a);
  a.set("transB", trans_b);
  return a;
}

TEST(FuseMatMulAdd, MatMulPlusBiasBecomesAffineWithTransposedWeights) {
  RandomSource rnd(1);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 4}});
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {4, 3});
  ValueId b = test::add_random_constant(g, rnd, "b", DType::F32, {3});
  ValueId y = binary(g, OpKind::Add, "add", binary(g, OpKind::MatMul, "mm", x, w), b);
  g.add_output(g.add_inferred_node(OpKind::Relu, "relu", {}, {y}, {"r"})[0]);
  Graph before = g;
  auto wv = g.constant(w).to_vector<float>();
  auto bv = g.constant(b).to_vector<float>();

  FuseMatMulAdd pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Affine,Relu");
  const Node& fc = g.nodes()[0];
  EXPECT_EQ(fc.name, "mm");
  EXPECT_EQ(g.value(fc.outputs[0]).name, "add_out");
  ASSERT_EQ(fc.inputs.size(), 3u);
  const Tensor& wt = g.constant(fc.inputs[1]);
  ASSERT_EQ(wt.shape(), (Shape{3, 4}));
  auto wtv = wt.to_vector<float>();
  for (std::size_t k = 0; k < 4; ++k) {
    for (std::size_t n = 0; n < 3; ++n) EXPECT_EQ(wtv[n * 4 + k], wv[k * 3 + n]);  // exact transpose
  }
  EXPECT_EQ(g.constant(fc.inputs[2]).to_vector<float>(), bv);
  test::expect_equivalent(before, g);
}

TEST(FuseMatMulAdd, BiasInEitherOperandOrderAndAsSub) {
  for (int form = 0; form < 3; ++form) {
    SCOPED_TRACE(form);
    RandomSource rnd(2);
    Graph g;
    ValueId x = g.add_input("x", {DType::F32, {2, 4}});
    ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {4, 3});
    ValueId b = test::add_random_constant(g, rnd, "b", DType::F32, {1, 3});
    ValueId mm = binary(g, OpKind::MatMul, "mm", x, w);
    ValueId y = form == 0   ? binary(g, OpKind::Add, "add", mm, b)
                : form == 1 ? binary(g, OpKind::Add, "add", b, mm)
                            : binary(g, OpKind::Sub, "sub", mm, b);
    g.add_output(y);
    Graph before = g;
    auto bv = g.constant(b).to_vector<float>();
    EXPECT_TRUE(FuseMatMulAdd().run(g));
    validate(g);
    EXPECT_EQ(op_sequence(g), "Affine");
    auto bias = g.constant(g.nodes()[0].inputs[2]).to_vector<float>();
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(bias[i], form == 2 ? -bv[i] : bv[i]);
    test::expect_equivalent(before, g);
  }
}

TEST(FuseMatMulAdd, MatMulWithoutAddAndWithHigherRankActivation) {
  RandomSource rnd(3);
  Graph g;
  ValueId x = g.add_input("x", {DType::F64, {1, 5, 4}});
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F64, {4, 2});
  g.add_output(binary(g, OpKind::MatMul, "mm", x, w));
  Graph before = g;
  EXPECT_TRUE(FuseMatMulAdd().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Affine");
  EXPECT_EQ(g.nodes()[0].inputs.size(), 2u);
  test::expect_equivalent(before, g, test::tolerance_for(DType::F64));
}

TEST(FuseMatMulAdd, ConstantTimesVector) {
  // MatMul(W [N,K], x [K]) (MATLAB exports): Affine(x, W) with W as stored.
  RandomSource rnd(4);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {5}});
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {3, 5});
  ValueId b = test::add_random_constant(g, rnd, "b", DType::F32, {3});
  g.add_output(binary(g, OpKind::Add, "add", binary(g, OpKind::MatMul, "mm", w, x), b));
  Graph before = g;
  EXPECT_TRUE(FuseMatMulAdd().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Affine");
  EXPECT_EQ(g.nodes()[0].inputs[1], *g.find_value("W"));  // reused, not copied
  test::expect_equivalent(before, g);
}

TEST(FuseMatMulAdd, NonConstantWeightsAreLeftAlone) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2, 4}});
  ValueId w = g.add_input("w", {DType::F32, {4, 3}});
  g.add_output(binary(g, OpKind::MatMul, "mm", x, w));
  const std::string original = print_graph(g);
  FuseMatMulAdd pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_EQ(print_graph(g), original);
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("non-constant weights"), std::string::npos) << pass.remarks()[0];
}

TEST(FuseMatMulAdd, BatchedConstantWeightsAreLeftAlone) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2, 1, 4}});
  ValueId w = g.add_constant("w", Tensor(DType::F32, {2, 4, 3}));
  g.add_output(binary(g, OpKind::MatMul, "mm", x, w));
  FuseMatMulAdd pass;
  EXPECT_FALSE(pass.run(g));
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("not 2-D"), std::string::npos) << pass.remarks()[0];
}

TEST(FuseMatMulAdd, AddIsNotFusedWhenTheProductHasOtherReaders) {
  RandomSource rnd(5);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 4}});
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {4, 3});
  ValueId b = test::add_random_constant(g, rnd, "b", DType::F32, {3});
  ValueId mm = binary(g, OpKind::MatMul, "mm", x, w);
  g.add_output(binary(g, OpKind::Add, "add", mm, b));
  g.add_output(mm);
  Graph before = g;
  EXPECT_TRUE(FuseMatMulAdd().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Affine,Add");
  test::expect_equivalent(before, g);
}

TEST(FuseMatMulAdd, AddVaryingAlongRowsIsNotABias) {
  RandomSource rnd(6);
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {2, 4}});
  ValueId w = test::add_random_constant(g, rnd, "W", DType::F32, {4, 3});
  ValueId c = test::add_random_constant(g, rnd, "c", DType::F32, {2, 3});
  g.add_output(binary(g, OpKind::Add, "add", binary(g, OpKind::MatMul, "mm", x, w), c));
  Graph before = g;
  EXPECT_TRUE(FuseMatMulAdd().run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Affine,Add");
  test::expect_equivalent(before, g);
}

TEST(FuseMatMulAdd, GemmBecomesAffine) {
  for (std::int64_t trans_b : {0, 1}) {
    for (double alpha : {1.0, 0.5}) {
      SCOPED_TRACE(testing::Message() << "transB " << trans_b << " alpha " << alpha);
      RandomSource rnd(7);
      Graph g;
      ValueId a = g.add_input("a", {DType::F32, {2, 4}});
      Shape b_shape = trans_b ? Shape{3, 4} : Shape{4, 3};
      ValueId B = test::add_random_constant(g, rnd, "B", DType::F32, b_shape);
      ValueId C = test::add_random_constant(g, rnd, "C", DType::F32, {1, 3});
      g.add_output(g.add_inferred_node(OpKind::Gemm, "gemm", gemm_attrs(alpha, 2.0, 0, trans_b), {a, B, C}, {"y"})[0]);
      Graph before = g;
      EXPECT_TRUE(FuseMatMulAdd().run(g));
      validate(g);
      EXPECT_EQ(op_sequence(g), "Affine");
      EXPECT_EQ(g.value(g.outputs()[0]).name, "y");
      // With alpha = 1 and transB = 1 the weights are B itself.
      if (alpha == 1.0 && trans_b == 1) {
        EXPECT_EQ(g.nodes()[0].inputs[1], *g.find_value("B"));
      }
      test::expect_equivalent(before, g);
    }
  }
}

TEST(FuseMatMulAdd, GemmWithoutBias) {
  RandomSource rnd(8);
  Graph g;
  ValueId a = g.add_input("a", {DType::F32, {1, 4}});
  ValueId B = test::add_random_constant(g, rnd, "B", DType::F32, {3, 4});
  g.add_output(g.add_inferred_node(OpKind::Gemm, "gemm", gemm_attrs(1, 1, 0, 1), {a, B}, {"y"})[0]);
  Graph before = g;
  EXPECT_TRUE(FuseMatMulAdd().run(g));
  validate(g);
  EXPECT_EQ(g.nodes()[0].inputs.size(), 2u);
  test::expect_equivalent(before, g);
}

TEST(FuseMatMulAdd, GemmsThatAreNotAffineAreLeftAlone) {
  RandomSource rnd(9);
  Graph g;
  ValueId a = g.add_input("a", {DType::F32, {4, 2}});
  ValueId a2 = g.add_input("a2", {DType::F32, {2, 4}});
  ValueId b_act = g.add_input("b_act", {DType::F32, {4, 3}});
  ValueId B = test::add_random_constant(g, rnd, "B", DType::F32, {4, 3});
  ValueId C = test::add_random_constant(g, rnd, "C", DType::F32, {2, 3});
  g.add_output(g.add_inferred_node(OpKind::Gemm, "trans_a", gemm_attrs(1, 1, 1, 0), {a, B}, {"y1"})[0]);
  g.add_output(g.add_inferred_node(OpKind::Gemm, "act_b", gemm_attrs(1, 1, 0, 0), {a2, b_act}, {"y2"})[0]);
  g.add_output(g.add_inferred_node(OpKind::Gemm, "row_c", gemm_attrs(1, 1, 0, 0), {a2, B, C}, {"y3"})[0]);
  FuseMatMulAdd pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_EQ(count_ops(g, OpKind::Gemm), 3);
  ASSERT_EQ(pass.remarks().size(), 3u);
  EXPECT_NE(pass.remarks()[0].find("transA=1"), std::string::npos) << pass.remarks()[0];
  EXPECT_NE(pass.remarks()[1].find("B is not a constant"), std::string::npos) << pass.remarks()[1];
  EXPECT_NE(pass.remarks()[2].find("varies along the first axis"), std::string::npos) << pass.remarks()[2];
}

}  // namespace
}  // namespace bf
