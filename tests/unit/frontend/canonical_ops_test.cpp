// ONNX operators of every opset form become one canonical IR node each. Expected
// attributes are worked out by hand from the ONNX operator specification.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "import_test_util.h"

namespace bf {
namespace {

using namespace test;
using Ints = std::vector<std::int64_t>;

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(CanonicalOps, GemmDefaultsAreExplicit) {
  OnnxBuilder b(9);
  b.input("x", {1, 4}).initializer("w", test::iota_f32({4, 3}));
  b.node("Gemm", {"x", "w"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Gemm);
  EXPECT_EQ(n.attrs.get_float("alpha"), 1.0);
  EXPECT_EQ(n.attrs.get_float("beta"), 1.0);
  EXPECT_EQ(n.attrs.get_int("transA"), 0);
  EXPECT_EQ(n.attrs.get_int("transB"), 0);
  EXPECT_EQ(n.inputs.size(), 3u);
  EXPECT_EQ(n.inputs[2], kNoValue);
  EXPECT_EQ(test::output_shape(g), Shape({1, 3}));
}

TEST(CanonicalOps, GemmAttributesAreKept) {
  OnnxBuilder b(13);
  b.input("x", {4, 2}).initializer("w", test::iota_f32({3, 4})).initializer("c", f32({3}, {1, 2, 3}));
  auto& gemm = b.node("Gemm", {"x", "w", "c"}, {"y"});
  attr_float(gemm, "alpha", 0.5f);
  attr_float(gemm, "beta", 2.0f);
  attr_int(gemm, "transA", 1);
  attr_int(gemm, "transB", 1);
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Gemm);
  EXPECT_EQ(n.attrs.get_float("alpha"), 0.5);
  EXPECT_EQ(n.attrs.get_float("beta"), 2.0);
  EXPECT_EQ(n.attrs.get_int("transA"), 1);
  EXPECT_EQ(n.attrs.get_int("transB"), 1);
  EXPECT_EQ(test::output_shape(g), Shape({2, 3}));
}

TEST(CanonicalOps, ClipBoundsFromAttributesBeforeOpset11) {
  OnnxBuilder b(8);
  b.input("x", {2});
  auto& clip = b.node("Clip", {"x"}, {"y"});
  attr_float(clip, "min", -1.0f);
  attr_float(clip, "max", 2.0f);
  b.node("Clip", {"y"}, {"z"});  // no bounds at all
  b.output("z");
  Graph g = import_built(b);
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.nodes()[0].attrs.get_float("min"), -1.0);
  EXPECT_EQ(g.nodes()[0].attrs.get_float("max"), 2.0);
  EXPECT_EQ(g.nodes()[1].attrs.get_float("min"), -kInf);
  EXPECT_EQ(g.nodes()[1].attrs.get_float("max"), kInf);
}

TEST(CanonicalOps, ClipBoundsFromInputsFromOpset11) {
  OnnxBuilder b(13);
  b.input("x", {2}).initializer("lo", Tensor::scalar<float>(0.0f)).initializer("hi", Tensor::scalar<float>(6.0f));
  b.node("Clip", {"x", "lo"}, {"y"});
  b.node("Clip", {"y", "", "hi"}, {"z"});
  b.output("z");
  Graph g = import_built(b);
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.nodes()[0].inputs.size(), 1u);
  EXPECT_EQ(g.nodes()[0].attrs.get_float("min"), 0.0);
  EXPECT_EQ(g.nodes()[0].attrs.get_float("max"), kInf);
  EXPECT_EQ(g.nodes()[1].attrs.get_float("min"), -kInf);
  EXPECT_EQ(g.nodes()[1].attrs.get_float("max"), 6.0);
  EXPECT_TRUE(g.constants().empty());  // the bound operands became attributes
}

TEST(CanonicalOps, LeakyReluDefaultAlpha) {
  OnnxBuilder b(9);
  b.input("x", {3});
  b.node("LeakyRelu", {"x"}, {"y"});
  b.output("y");
  EXPECT_EQ(single_node(import_built(b), OpKind::LeakyRelu).attrs.get_float("alpha"), static_cast<double>(0.01f));
}

TEST(CanonicalOps, SoftmaxAxesBeforeOpset13CoverTheTail) {
  for (auto [axis, expected] : {std::pair<std::int64_t, Ints>{1, {1, 2}}, {-1, {2}}, {0, {0, 1, 2}}}) {
    OnnxBuilder b(11);
    b.input("x", {2, 3, 4});
    attr_int(b.node("Softmax", {"x"}, {"y"}), "axis", axis);
    b.output("y");
    EXPECT_EQ(single_node(import_built(b), OpKind::Softmax).attrs.get_ints("axes"), expected) << "axis " << axis;
  }
  OnnxBuilder b(11);  // default axis 1
  b.input("x", {2, 3, 4});
  b.node("Softmax", {"x"}, {"y"});
  b.output("y");
  EXPECT_EQ(single_node(import_built(b), OpKind::Softmax).attrs.get_ints("axes"), Ints({1, 2}));
}

TEST(CanonicalOps, SoftmaxAxisFromOpset13IsSingle) {
  OnnxBuilder b(13);  // default axis -1
  b.input("x", {2, 3, 4});
  b.node("Softmax", {"x"}, {"y"});
  attr_int(b.node("Softmax", {"y"}, {"z"}), "axis", 1);
  b.output("z");
  Graph g = import_built(b);
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.nodes()[0].attrs.get_ints("axes"), Ints({2}));
  EXPECT_EQ(g.nodes()[1].attrs.get_ints("axes"), Ints({1}));
}

TEST(CanonicalOps, FlattenNegativeAxis) {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  attr_int(b.node("Flatten", {"x"}, {"y"}), "axis", -1);
  b.output("y");
  Graph g = import_built(b);
  EXPECT_EQ(single_node(g, OpKind::Flatten).attrs.get_int("axis"), 2);
  EXPECT_EQ(test::output_shape(g), Shape({6, 4}));
}

TEST(CanonicalOps, ReshapeResolvesZeroAndMinusOne) {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4}).initializer("s", i64({-1, 0, 2}));
  b.node("Reshape", {"x", "s"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Reshape);
  EXPECT_EQ(n.attrs.get_ints("shape"), Ints({4, 3, 2}));  // 0 copies dim 1 (3); -1 takes 24 / 6
  EXPECT_EQ(n.inputs.size(), 1u);
  EXPECT_TRUE(g.constants().empty());
}

TEST(CanonicalOps, ReshapeAllowZeroKeepsLiteralZeros) {
  OnnxBuilder b(14);
  b.input("x", {0, 3}).initializer("s", i64({3, 0}));
  attr_int(b.node("Reshape", {"x", "s"}, {"y"}), "allowzero", 1);
  b.output("y");
  EXPECT_EQ(single_node(import_built(b), OpKind::Reshape).attrs.get_ints("shape"), Ints({3, 0}));
}

TEST(CanonicalOps, SqueezeAxesAttributeBeforeOpset13) {
  OnnxBuilder b(11);
  b.input("x", {1, 3, 1});
  attr_ints(b.node("Squeeze", {"x"}, {"y"}), "axes", {-1});
  b.output("y");
  Graph g = import_built(b);
  EXPECT_EQ(single_node(g, OpKind::Squeeze).attrs.get_ints("axes"), Ints({2}));
  EXPECT_EQ(test::output_shape(g), Shape({1, 3}));
}

TEST(CanonicalOps, SqueezeAxesInputFromOpset13) {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 1}).initializer("axes", i64({0}));
  b.node("Squeeze", {"x", "axes"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  EXPECT_EQ(single_node(g, OpKind::Squeeze).attrs.get_ints("axes"), Ints({0}));
  EXPECT_EQ(test::output_shape(g), Shape({3, 1}));
}

TEST(CanonicalOps, SqueezeWithoutAxesDropsEveryUnitDimension) {
  for (std::int64_t opset : {11, 13}) {
    OnnxBuilder b(opset);
    b.input("x", {1, 3, 1});
    b.node("Squeeze", {"x"}, {"y"});
    b.output("y");
    Graph g = import_built(b);
    EXPECT_EQ(single_node(g, OpKind::Squeeze).attrs.get_ints("axes"), Ints({0, 2}));
    EXPECT_EQ(test::output_shape(g), Shape({3}));
  }
}

TEST(CanonicalOps, UnsqueezeAxesCountInTheOutput) {
  OnnxBuilder b11(11);
  b11.input("x", {3});
  attr_ints(b11.node("Unsqueeze", {"x"}, {"y"}), "axes", {-1, 0});
  b11.output("y");
  Graph g11 = import_built(b11);
  EXPECT_EQ(single_node(g11, OpKind::Unsqueeze).attrs.get_ints("axes"), Ints({0, 2}));
  EXPECT_EQ(test::output_shape(g11), Shape({1, 3, 1}));

  OnnxBuilder b13(13);
  b13.input("x", {3}).initializer("axes", i64({1}));
  b13.node("Unsqueeze", {"x", "axes"}, {"y"});
  b13.output("y");
  Graph g13 = import_built(b13);
  EXPECT_EQ(single_node(g13, OpKind::Unsqueeze).attrs.get_ints("axes"), Ints({1}));
  EXPECT_EQ(test::output_shape(g13), Shape({3, 1}));
}

TEST(CanonicalOps, TransposeDefaultPermReverses) {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  b.node("Transpose", {"x"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  EXPECT_EQ(single_node(g, OpKind::Transpose).attrs.get_ints("perm"), Ints({2, 1, 0}));
  EXPECT_EQ(test::output_shape(g), Shape({4, 3, 2}));
}

TEST(CanonicalOps, ConcatNegativeAxis) {
  OnnxBuilder b(13);
  b.input("a", {2, 3}).input("c", {2, 5});
  attr_int(b.node("Concat", {"a", "c"}, {"y"}), "axis", -1);
  b.output("y");
  Graph g = import_built(b);
  EXPECT_EQ(single_node(g, OpKind::Concat).attrs.get_int("axis"), 1);
  EXPECT_EQ(test::output_shape(g), Shape({2, 8}));
}

TEST(CanonicalOps, SliceClampsAsTheSpecificationSays) {
  OnnxBuilder b(13);
  b.input("x", {2, 5});
  const std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
  // Axes given out of order; axis 1 walks backwards from the last element in steps of 2.
  b.initializer("starts", i64({-1, -100})).initializer("ends", i64({lowest, 100}));
  b.initializer("axes", i64({1, 0})).initializer("steps", i64({-2, 1}));
  b.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Slice);
  EXPECT_EQ(n.attrs.get_ints("axes"), Ints({0, 1}));
  EXPECT_EQ(n.attrs.get_ints("starts"), Ints({0, 4}));  // -100 + 2 clamps to 0; -1 + 5 = 4
  EXPECT_EQ(n.attrs.get_ints("ends"), Ints({2, -1}));   // 100 clamps to 2; lowest clamps to -1 going backwards
  EXPECT_EQ(n.attrs.get_ints("steps"), Ints({1, -2}));
  EXPECT_EQ(test::output_shape(g), Shape({2, 3}));  // elements 4, 2, 0
}

TEST(CanonicalOps, SliceAttributesBeforeOpset10) {
  OnnxBuilder b(9);
  b.input("x", {4, 6});
  auto& slice = b.node("Slice", {"x"}, {"y"});
  attr_ints(slice, "starts", {1});
  attr_ints(slice, "ends", {std::numeric_limits<std::int64_t>::max()});
  attr_ints(slice, "axes", {1});
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Slice);
  EXPECT_EQ(n.attrs.get_ints("starts"), Ints({1}));
  EXPECT_EQ(n.attrs.get_ints("ends"), Ints({6}));
  EXPECT_EQ(n.attrs.get_ints("axes"), Ints({1}));
  EXPECT_EQ(n.attrs.get_ints("steps"), Ints({1}));
  EXPECT_EQ(test::output_shape(g), Shape({4, 5}));
}

TEST(CanonicalOps, SliceWithoutAxesCoversTheLeadingAxes) {
  OnnxBuilder b(13);
  b.input("x", {4, 6}).initializer("starts", i64({1})).initializer("ends", i64({-1}));
  b.node("Slice", {"x", "starts", "ends"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Slice);
  EXPECT_EQ(n.attrs.get_ints("axes"), Ints({0}));
  EXPECT_EQ(n.attrs.get_ints("ends"), Ints({3}));
  EXPECT_EQ(test::output_shape(g), Shape({2, 6}));
}

TEST(CanonicalOps, GatherNormalisesNegativeIndices) {
  OnnxBuilder b(13);
  b.input("x", {5, 3}).initializer("idx", i64({-1, 0}));
  b.node("Gather", {"x", "idx"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Gather);
  EXPECT_EQ(n.attrs.get_int("axis"), 0);
  ASSERT_TRUE(g.is_constant(n.inputs[1]));
  EXPECT_EQ(g.constant(n.inputs[1]).to_vector<std::int64_t>(), Ints({4, 0}));
  EXPECT_EQ(test::output_shape(g), Shape({2, 3}));
}

TEST(CanonicalOps, GatherNeedsConstantIndices) {
  OnnxBuilder b(13);
  b.input("x", {5, 3}).input("idx", {2});
  b.node("Gather", {"x", "idx"}, {"y"}, "g");
  b.output("y");
  Error e = test::import_error(test::write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(test::contains(e.what(), "node 'g' (Gather): input 1 ('idx', the indices) must be a constant"))
      << e.what();
}

TEST(CanonicalOps, ReduceSumAxesInputFromOpset13) {
  OnnxBuilder b(13);
  b.input("x", {2, 3}).initializer("axes", i64({-1}));
  attr_int(b.node("ReduceSum", {"x", "axes"}, {"y"}), "keepdims", 0);
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::ReduceSum);
  EXPECT_EQ(n.attrs.get_ints("axes"), Ints({1}));
  EXPECT_EQ(n.attrs.get_int("keepdims"), 0);
  EXPECT_EQ(test::output_shape(g), Shape({2}));
}

TEST(CanonicalOps, ReduceWithoutAxesReducesEverything) {
  OnnxBuilder b(11);
  b.input("x", {2, 3});
  b.node("ReduceMean", {"x"}, {"m"});
  attr_ints(b.node("ReduceSum", {"m"}, {"y"}), "axes", {1, 0});
  b.output("y");
  Graph g = import_built(b);
  const Node& mean = single_node(g, OpKind::ReduceMean);
  EXPECT_EQ(mean.attrs.get_ints("axes"), Ints({0, 1}));
  EXPECT_EQ(mean.attrs.get_int("keepdims"), 1);
  EXPECT_EQ(single_node(g, OpKind::ReduceSum).attrs.get_ints("axes"), Ints({0, 1}));
  EXPECT_EQ(test::output_shape(g), Shape({1, 1}));
}

TEST(CanonicalOps, ReduceSumNoopWithEmptyAxesIsIdentity) {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  attr_int(b.node("ReduceSum", {"x"}, {"y"}), "noop_with_empty_axes", 1);
  b.output("y");
  Graph g = import_built(b);
  ASSERT_EQ(g.nodes().size(), 1u);
  EXPECT_EQ(g.nodes()[0].op, OpKind::Identity);
}

TEST(CanonicalOps, DropoutAndIdentityStayUnaryNodes) {
  OnnxBuilder b(13);
  b.input("x", {4}).initializer("ratio", Tensor::scalar<float>(0.5f));
  b.initializer("train", Tensor::scalar<bool>(false));
  b.node("Dropout", {"x", "ratio", "train"}, {"d", "unused_mask"});
  b.node("Identity", {"d"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.nodes()[0].op, OpKind::Dropout);
  EXPECT_EQ(g.nodes()[0].inputs.size(), 1u);
  EXPECT_EQ(g.nodes()[1].op, OpKind::Identity);
  EXPECT_TRUE(g.constants().empty());
}

TEST(CanonicalOps, DropoutRatioAttributeBeforeOpset12) {
  OnnxBuilder b(10);
  b.input("x", {4});
  attr_float(b.node("Dropout", {"x"}, {"y"}), "ratio", 0.3f);
  b.output("y");
  EXPECT_EQ(single_node(import_built(b), OpKind::Dropout).inputs.size(), 1u);
}

TEST(CanonicalOps, CastToTheSameFloatTypeIsIdentity) {
  OnnxBuilder b(13);
  b.input("x", {4});
  attr_int(b.node("Cast", {"x"}, {"y"}, "c"), "to", onnx::TensorProto::FLOAT);
  b.output("y");
  EXPECT_EQ(single_node(import_built(b), OpKind::Identity).name, "c");

  OnnxBuilder widen(13);
  widen.input("x", {4});
  attr_int(widen.node("Cast", {"x"}, {"y"}, "c"), "to", onnx::TensorProto::DOUBLE);
  widen.output("y");
  Error e = test::import_error(test::write_model(widen));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(test::contains(e.what(), "Cast from f32 to f64 of a value computed at run time")) << e.what();
}

TEST(CanonicalOps, ArithmeticBroadcasts) {
  OnnxBuilder b(13);
  b.input("x", {2, 1, 4}).initializer("c", f32({3, 1}, {1, 2, 3}));
  b.node("Add", {"x", "c"}, {"a"});
  b.node("Sub", {"a", "c"}, {"s"});
  b.node("Mul", {"s", "c"}, {"m"});
  b.node("Div", {"m", "c"}, {"d"});
  b.node("Neg", {"d"}, {"n"});
  b.node("Sigmoid", {"n"}, {"sg"});
  b.node("Tanh", {"sg"}, {"t"});
  b.output("t");
  Graph g = import_built(b);
  std::vector<OpKind> ops;
  for (const auto& n : g.nodes()) ops.push_back(n.op);
  EXPECT_EQ(ops, (std::vector<OpKind>{OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Neg, OpKind::Sigmoid,
                                      OpKind::Tanh}));
  EXPECT_EQ(test::output_shape(g), Shape({2, 3, 4}));
}

}  // namespace
}  // namespace bf
