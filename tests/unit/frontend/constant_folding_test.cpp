// Import-time folding: shape-computing chains and constant-only nodes become
// constants, and the ops that read them get resolved attributes.
#include <gtest/gtest.h>

#include "import_test_util.h"

namespace bf {
namespace {

using namespace test;
using Ints = std::vector<std::int64_t>;

// The PyTorch-style flatten: x.view(x.size(0), -1).
TEST(ConstantFolding, ShapeGatherUnsqueezeConcatReshapeChain) {
  OnnxBuilder b(13);
  b.input("x", {"batch", 3, 4});
  b.initializer("zero", Tensor::scalar<std::int64_t>(0)).initializer("axes0", i64({0}));
  b.initializer("minus_one", i64({-1}));
  b.node("Shape", {"x"}, {"shape"});
  b.node("Gather", {"shape", "zero"}, {"n"});
  b.node("Unsqueeze", {"n", "axes0"}, {"n1"});
  attr_int(b.node("Concat", {"n1", "minus_one"}, {"target"}), "axis", 0);
  b.node("Reshape", {"x", "target"}, {"y"}, "flatten");
  b.output("y");
  Graph g = import_built(b);
  ASSERT_EQ(g.nodes().size(), 1u);
  const Node& n = g.nodes()[0];
  EXPECT_EQ(n.op, OpKind::Reshape);
  EXPECT_EQ(n.name, "flatten");
  EXPECT_EQ(n.attrs.get_ints("shape"), Ints({1, 12}));
  EXPECT_TRUE(g.constants().empty());  // the whole chain left nothing behind
  EXPECT_EQ(g.num_values(), 2);
}

TEST(ConstantFolding, ShapeArithmetic) {
  // target = [Shape(x)[1] * Shape(x)[2] / 2, 2] via Mul and Div on int64 scalars, then Cast.
  OnnxBuilder b(13);
  b.input("x", {1, 3, 4});
  b.initializer("one", Tensor::scalar<std::int64_t>(1)).initializer("two", Tensor::scalar<std::int64_t>(2));
  b.initializer("axes0", i64({0})).initializer("tail", i64({2}));
  b.node("Shape", {"x"}, {"s"});
  b.node("Gather", {"s", "one"}, {"d1"});
  b.node("Gather", {"s", "two"}, {"d2"});
  b.node("Mul", {"d1", "d2"}, {"p"});
  b.node("Div", {"p", "two"}, {"h"});
  b.node("Unsqueeze", {"h", "axes0"}, {"h1"});
  attr_int(b.node("Concat", {"h1", "tail"}, {"t32"}), "axis", 0);
  attr_int(b.node("Cast", {"t32"}, {"target"}), "to", onnx::TensorProto::INT64);
  b.node("Reshape", {"x", "target"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  EXPECT_EQ(single_node(g, OpKind::Reshape).attrs.get_ints("shape"), Ints({6, 2}));
  EXPECT_EQ(g.nodes().size(), 1u);
}

TEST(ConstantFolding, ShapeStartAndEnd) {
  // Opset 15: Shape(x, start=1, end=-1) of a [2,3,4,5] input is [3,4].
  OnnxBuilder b(15);
  b.input("x", {2, 3, 4, 5});
  auto& shape = b.node("Shape", {"x"}, {"s"});
  attr_int(shape, "start", 1);
  attr_int(shape, "end", -1);
  b.node("Reshape", {"x", "s"}, {"bad"});  // 120 elements cannot become [3,4]
  b.output("bad");
  Error e = test::import_error(test::write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Shape);
  EXPECT_TRUE(test::contains(e.what(), "cannot reshape [2,3,4,5] to [3,4]")) << e.what();
}

TEST(ConstantFolding, ConstantOfShapeAndConstantNodes) {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  attr_ints(b.node("Constant", {}, {"dims"}), "value_ints", {2, 3});
  attr_tensor(b.node("ConstantOfShape", {"dims"}, {"fill"}), "value", f32({1}, {0.25f}));
  b.node("Add", {"x", "fill"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& add = single_node(g, OpKind::Add);
  ASSERT_TRUE(g.is_constant(add.inputs[1]));
  const Tensor& fill = g.constant(add.inputs[1]);
  EXPECT_EQ(fill.shape(), Shape({2, 3}));
  EXPECT_EQ(fill.to_vector<float>(), std::vector<float>(6, 0.25f));
}

TEST(ConstantFolding, ConstantNodeForms) {
  OnnxBuilder b(13);
  b.input("x", {2});
  attr_float(b.node("Constant", {}, {"f"}), "value_float", 1.5f);
  attr_floats(b.node("Constant", {}, {"fs"}), "value_floats", {1.0f, -2.0f});
  attr_tensor(b.node("Constant", {}, {"t"}), "value", f32({2}, {3.0f, 4.0f}));
  b.node("Mul", {"x", "f"}, {"a"});
  b.node("Add", {"a", "fs"}, {"c"});
  b.node("Sub", {"c", "t"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  ASSERT_EQ(g.nodes().size(), 3u);
  EXPECT_EQ(g.constant(g.nodes()[0].inputs[1]).to_vector<float>(), std::vector<float>{1.5f});
  EXPECT_EQ(g.constant(g.nodes()[1].inputs[1]).to_vector<float>(), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(g.constant(g.nodes()[2].inputs[1]).to_vector<float>(), (std::vector<float>{3.0f, 4.0f}));
}

TEST(ConstantFolding, ConstantOnlyArithmeticIsEvaluated) {
  // A normalisation prologue on constants: (c - mean) / std folds to one constant.
  OnnxBuilder b(13);
  b.input("x", {3});
  b.initializer("c", f32({3}, {1, 2, 3})).initializer("mean", f32({1}, {1})).initializer("std", f32({1}, {2}));
  b.node("Sub", {"c", "mean"}, {"centred"});
  b.node("Div", {"centred", "std"}, {"scaled"});
  b.node("Add", {"x", "scaled"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& add = single_node(g, OpKind::Add);
  EXPECT_EQ(g.nodes().size(), 1u);
  EXPECT_EQ(g.constant(add.inputs[1]).to_vector<float>(), (std::vector<float>{0.0f, 0.5f, 1.0f}));
}

TEST(ConstantFolding, CastOfConstantsFolds) {
  OnnxBuilder b(13);
  b.input("x", {3});
  b.initializer("ints", Tensor::from_vector<std::int32_t>({3}, {1, -2, 3}));
  attr_int(b.node("Cast", {"ints"}, {"floats"}), "to", onnx::TensorProto::FLOAT);
  b.node("Mul", {"x", "floats"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& mul = single_node(g, OpKind::Mul);
  const Tensor& c = g.constant(mul.inputs[1]);
  EXPECT_EQ(c.dtype(), DType::F32);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1.0f, -2.0f, 3.0f}));
}

TEST(ConstantFolding, FoldedValueKeepsItsOnnxName) {
  OnnxBuilder b(13);
  b.input("x", {2}).initializer("c", f32({2}, {1, 4}));
  b.node("Neg", {"c"}, {"neg_c"});
  b.node("Add", {"x", "neg_c"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& add = single_node(g, OpKind::Add);
  EXPECT_EQ(g.value(add.inputs[1]).name, "neg_c");
  EXPECT_EQ(g.constant(add.inputs[1]).to_vector<float>(), (std::vector<float>{-1.0f, -4.0f}));
}

}  // namespace
}  // namespace bf
