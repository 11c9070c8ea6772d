#include "transform/remove_identity.h"

#include <gtest/gtest.h>

#include "ir/printer.h"
#include "unit/transform/transform_test_util.h"

namespace bf {
namespace {

using test::op_sequence;

ValueId unary(Graph& g, OpKind op, const std::string& name, ValueId x) {
  return g.add_inferred_node(op, name, {}, {x}, {name + "_out"})[0];
}

TEST(RemoveIdentity, RemovesIdentityAndDropoutInsideTheGraph) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 6}});
  ValueId a = unary(g, OpKind::Relu, "relu1", x);
  ValueId b = unary(g, OpKind::Identity, "id", a);
  ValueId c = unary(g, OpKind::Dropout, "drop", b);
  ValueId d = unary(g, OpKind::Sigmoid, "sig", c);
  g.add_output(d);
  Graph before = g;

  RemoveIdentity pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Relu,Sigmoid");
  EXPECT_EQ(g.nodes()[1].inputs[0], g.nodes()[0].outputs[0]);
  EXPECT_TRUE(pass.remarks().empty());
  test::expect_equivalent(before, g);
}

TEST(RemoveIdentity, GraphOutputKeepsItsNameWhenTheIdentityGoes) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 6}});
  ValueId a = unary(g, OpKind::Relu, "relu", x);
  ValueId b = unary(g, OpKind::Identity, "id1", a);
  ValueId y = g.add_inferred_node(OpKind::Identity, "id2", {}, {b}, {"y"})[0];
  ValueId z = unary(g, OpKind::Neg, "neg", a);  // a has another reader
  g.add_output(y);
  g.add_output(z);
  Graph before = g;

  RemoveIdentity pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Relu,Neg");
  EXPECT_EQ(g.value(g.outputs()[0]).name, "y");
  EXPECT_EQ(g.nodes()[0].outputs[0], g.outputs()[0]);
  EXPECT_EQ(g.nodes()[1].inputs[0], g.outputs()[0]);
  test::expect_equivalent(before, g);
}

TEST(RemoveIdentity, NeverMakesAnOutputAliasAnInput) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 6}});
  ValueId a = unary(g, OpKind::Identity, "id1", x);
  ValueId y = unary(g, OpKind::Dropout, "id2", a);
  g.add_output(y);
  Graph before = g;

  RemoveIdentity pass;
  EXPECT_TRUE(pass.run(g));  // the first Identity goes, the second must stay
  validate(g);
  EXPECT_EQ(op_sequence(g), "Dropout");
  EXPECT_EQ(g.nodes()[0].inputs[0], g.inputs()[0]);
  EXPECT_EQ(g.outputs()[0], g.nodes()[0].outputs[0]);
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("alias a graph input"), std::string::npos) << pass.remarks()[0];
  test::expect_equivalent(before, g);
}

TEST(RemoveIdentity, NeverMakesTwoOutputsAlias) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {1, 6}});
  ValueId a = unary(g, OpKind::Relu, "relu", x);
  ValueId b = unary(g, OpKind::Identity, "copy", a);
  g.add_output(a);
  g.add_output(b);
  const std::string original = print_graph(g);

  RemoveIdentity pass;
  EXPECT_FALSE(pass.run(g));
  EXPECT_EQ(print_graph(g), original);
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("another graph output"), std::string::npos) << pass.remarks()[0];
}

TEST(RemoveIdentity, NeverMakesAnOutputAliasAConstant) {
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {3}});
  ValueId k = g.add_constant("k", Tensor::from_vector<float>({3}, {1, 2, 3}));
  ValueId r = unary(g, OpKind::Relu, "relu", x);
  ValueId c = unary(g, OpKind::Identity, "const_out", k);
  g.add_output(r);
  g.add_output(c);
  RemoveIdentity pass;
  EXPECT_FALSE(pass.run(g));
  ASSERT_EQ(pass.remarks().size(), 1u);
  EXPECT_NE(pass.remarks()[0].find("alias a constant"), std::string::npos) << pass.remarks()[0];
}

TEST(RemoveIdentity, TwoIdentitiesOfOneValueAsOutputs) {
  // Both y1 and y2 copy a; only one can take over a's producer, the other must stay
  // (else the two outputs would alias each other).
  Graph g;
  ValueId x = g.add_input("x", {DType::F32, {4}});
  ValueId a = unary(g, OpKind::Relu, "relu", x);
  ValueId y1 = g.add_inferred_node(OpKind::Identity, "id1", {}, {a}, {"y1"})[0];
  ValueId y2 = g.add_inferred_node(OpKind::Identity, "id2", {}, {a}, {"y2"})[0];
  g.add_output(y1);
  g.add_output(y2);
  Graph before = g;

  RemoveIdentity pass;
  EXPECT_TRUE(pass.run(g));
  validate(g);
  EXPECT_EQ(op_sequence(g), "Relu,Identity");
  EXPECT_NE(g.outputs()[0], g.outputs()[1]);
  EXPECT_EQ(g.value(g.outputs()[0]).name, "y1");
  EXPECT_EQ(g.value(g.outputs()[1]).name, "y2");
  test::expect_equivalent(before, g);
}

}  // namespace
}  // namespace bf
