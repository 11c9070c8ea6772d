// Graph-level import: inputs and symbolic dimensions, initializers, node naming
// and ordering, outputs, and dropping what nothing uses.
#include <gtest/gtest.h>

#include "import_test_util.h"

namespace bf {
namespace {

using namespace test;

TEST(GraphStructure, SymbolicAndMissingDimensionsBindToOne) {
  OnnxBuilder b(13);
  b.input("x", {"batch", 3, "", "unk__6"});
  b.node("Relu", {"x"}, {"y"});
  b.output("y", {"batch", 3, "", "unk__6"});
  Graph g = import_built(b);
  ASSERT_EQ(g.inputs().size(), 1u);
  EXPECT_EQ(g.type(g.inputs()[0]), (TensorType{DType::F32, {1, 3, 1, 1}}));
  EXPECT_EQ(test::output_shape(g), Shape({1, 3, 1, 1}));
}

TEST(GraphStructure, SymbolicDimensionValueIsAnOption) {
  OnnxBuilder b(13);
  b.input("x", {"N", 3}, onnx::TensorProto::DOUBLE);
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  ImportOptions options;
  options.symbolic_dim_value = 4;
  Graph g = import_built(b, options);
  EXPECT_EQ(g.type(g.inputs()[0]), (TensorType{DType::F64, {4, 3}}));
}

TEST(GraphStructure, InitializersListedAsInputsAreConstants) {
  // IR version 3 exporters list every initializer among the graph inputs.
  OnnxBuilder b(8, 3);
  b.input("x", {1, 2}).input("w", {2, 2}).initializer("w", f32({2, 2}, {1, 0, 0, 1}));
  b.node("MatMul", {"x", "w"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  ASSERT_EQ(g.inputs().size(), 1u);
  EXPECT_EQ(g.value(g.inputs()[0]).name, "x");
  ASSERT_EQ(g.constants().size(), 1u);
  EXPECT_EQ(g.value(g.constants().begin()->first).name, "w");
}

TEST(GraphStructure, NamesOpsetAndGraphNameAreKept) {
  OnnxBuilder b(12);
  b.input("input.1", {1, 2});
  b.node("Relu", {"input.1"}, {"17"}, "relu_a");
  b.output("17");
  Graph g = import_built(b);
  EXPECT_EQ(g.opset, 12);
  EXPECT_EQ(g.name, "test_graph");
  EXPECT_EQ(g.nodes()[0].name, "relu_a");
  EXPECT_EQ(g.value(g.outputs()[0]).name, "17");
}

TEST(GraphStructure, EmptyNodeNamesAreGenerated) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.node("Relu", {"x"}, {"a"});
  b.node("Neg", {"a"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.nodes()[0].name, "Relu_0");
  EXPECT_EQ(g.nodes()[1].name, "Neg_1");
}

TEST(GraphStructure, UnsortedNodesAreSorted) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.node("Neg", {"a"}, {"y"}, "second");
  b.node("Relu", {"x"}, {"a"}, "first");
  b.output("y");
  Graph g = import_built(b);
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.nodes()[0].name, "first");
  EXPECT_EQ(g.nodes()[1].name, "second");
}

TEST(GraphStructure, UnusedInitializersAreDropped) {
  OnnxBuilder b(13);
  b.input("x", {2}).initializer("unused", f32({2}, {1, 2})).initializer("c", f32({2}, {3, 4}));
  b.node("Add", {"x", "c"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  ASSERT_EQ(g.constants().size(), 1u);
  EXPECT_FALSE(g.find_value("unused").has_value());
  EXPECT_EQ(g.num_values(), 3);
}

TEST(GraphStructure, InputPassedStraightToOutput) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.node("Relu", {"x"}, {"y"});
  b.output("y").output("x");
  Graph g = import_built(b);
  ASSERT_EQ(g.outputs().size(), 2u);
  EXPECT_EQ(g.outputs()[1], g.inputs()[0]);
}

TEST(GraphStructure, DeclaredShapesThatAgreeAreAccepted) {
  OnnxBuilder b(13);
  b.input("x", {"batch", 4}).initializer("w", test::iota_f32({4, 3}));
  b.node("MatMul", {"x", "w"}, {"h"});
  b.node("Relu", {"h"}, {"y"});
  b.value_info("h", {"batch", 3});
  b.output("y", {"batch", 3});
  EXPECT_EQ(test::output_shape(import_built(b)), Shape({1, 3}));
}

TEST(GraphStructure, ImportedGraphValidates) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 4, 4}).initializer("w", test::iota_f32({2, 1, 3, 3}));
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("Relu", {"c"}, {"r"});
  b.node("Flatten", {"r"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  EXPECT_NO_THROW(validate(g));
  EXPECT_EQ(test::output_shape(g), Shape({1, 8}));
}

}  // namespace
}  // namespace bf
