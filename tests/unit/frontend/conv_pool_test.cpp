// Convolutions, pooling, Pad and BatchNormalization: auto_pad, output_shape and
// absent kernel shapes resolved into explicit attributes (worked out by hand from
// the ONNX specification's formulas).
#include <gtest/gtest.h>

#include <functional>

#include "import_test_util.h"

namespace bf {
namespace {

using namespace test;
using Ints = std::vector<std::int64_t>;

// x[1,1,5,5] -> Conv(W[1,1,2,2], stride 2, auto_pad) -> y
Graph strided_conv(const std::string& auto_pad) {
  OnnxBuilder b(11);
  b.input("x", {1, 1, 5, 5}).initializer("w", test::iota_f32({1, 1, 2, 2}));
  auto& conv = b.node("Conv", {"x", "w"}, {"y"});
  attr_ints(conv, "strides", {2, 2});
  attr_string(conv, "auto_pad", auto_pad);
  b.output("y");
  return import_built(b);
}

TEST(ConvPool, ConvKernelShapeInferredAndDefaultsExplicit) {
  Graph g = strided_conv("NOTSET");
  const Node& n = single_node(g, OpKind::Conv);
  EXPECT_EQ(n.attrs.get_ints("kernel_shape"), Ints({2, 2}));
  EXPECT_EQ(n.attrs.get_ints("strides"), Ints({2, 2}));
  EXPECT_EQ(n.attrs.get_ints("pads"), Ints({0, 0, 0, 0}));
  EXPECT_EQ(n.attrs.get_ints("dilations"), Ints({1, 1}));
  EXPECT_EQ(n.attrs.get_int("group"), 1);
  EXPECT_EQ(test::output_shape(g), Shape({1, 1, 2, 2}));
}

TEST(ConvPool, ConvAutoPadSame) {
  // out = ceil(5 / 2) = 3; total padding = (3 - 1) * 2 + 2 - 5 = 1.
  Graph upper = strided_conv("SAME_UPPER");
  EXPECT_EQ(single_node(upper, OpKind::Conv).attrs.get_ints("pads"), Ints({0, 0, 1, 1}));  // odd unit at the end
  EXPECT_EQ(test::output_shape(upper), Shape({1, 1, 3, 3}));
  Graph lower = strided_conv("SAME_LOWER");
  EXPECT_EQ(single_node(lower, OpKind::Conv).attrs.get_ints("pads"), Ints({1, 1, 0, 0}));  // at the beginning
  EXPECT_EQ(test::output_shape(lower), Shape({1, 1, 3, 3}));
  Graph valid = strided_conv("VALID");
  EXPECT_EQ(single_node(valid, OpKind::Conv).attrs.get_ints("pads"), Ints({0, 0, 0, 0}));
  EXPECT_EQ(test::output_shape(valid), Shape({1, 1, 2, 2}));
}

TEST(ConvPool, ConvAutoPadSameWithDilation) {
  // 1-D: in 7, kernel 3, dilation 2 (span 5), stride 1: total = 6 + 5 - 7 = 4, split 2 + 2.
  OnnxBuilder b(13);
  b.input("x", {1, 2, 7}).initializer("w", test::iota_f32({4, 1, 3})).initializer("bias", f32({4}, {1, 2, 3, 4}));
  auto& conv = b.node("Conv", {"x", "w", "bias"}, {"y"});
  attr_ints(conv, "dilations", {2});
  attr_int(conv, "group", 2);
  attr_string(conv, "auto_pad", "SAME_UPPER");
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Conv);
  EXPECT_EQ(n.attrs.get_ints("pads"), Ints({2, 2}));
  EXPECT_EQ(n.attrs.get_int("group"), 2);
  EXPECT_EQ(test::output_shape(g), Shape({1, 4, 7}));
}

TEST(ConvPool, ConvUnknownAutoPad) {
  OnnxBuilder b(11);
  b.input("x", {1, 1, 5, 5}).initializer("w", test::iota_f32({1, 1, 2, 2}));
  attr_string(b.node("Conv", {"x", "w"}, {"y"}, "conv"), "auto_pad", "SAME_MIDDLE");
  b.output("y");
  Error e = test::import_error(test::write_model(b));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(test::contains(e.what(), "node 'conv' (Conv): attribute 'auto_pad' = 'SAME_MIDDLE' is not supported"))
      << e.what();
}

// x[1,1,3,3] -> ConvTranspose(W[1,2,3,3], strides) -> y, with extra attributes set by `configure`.
Graph conv_transpose(const std::function<void(onnx::NodeProto&)>& configure) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 3, 3}).initializer("w", test::iota_f32({1, 2, 3, 3}));
  auto& node = b.node("ConvTranspose", {"x", "w"}, {"y"});
  configure(node);
  b.output("y");
  return import_built(b);
}

TEST(ConvPool, ConvTransposeOutputShapeLargerThanNatural) {
  // strides [3,2]: natural size 3*2+3 = 9 and 2*2+3 = 7; output_shape [10,8] adds one at the end.
  Graph g = conv_transpose([](onnx::NodeProto& n) {
    attr_ints(n, "strides", {3, 2});
    attr_ints(n, "output_shape", {10, 8});
  });
  const Node& n = single_node(g, OpKind::ConvTranspose);
  EXPECT_EQ(n.attrs.get_ints("pads"), Ints({0, 0, 0, 0}));
  EXPECT_EQ(n.attrs.get_ints("output_padding"), Ints({1, 1}));
  EXPECT_EQ(n.attrs.get_ints("kernel_shape"), Ints({3, 3}));
  EXPECT_EQ(test::output_shape(g), Shape({1, 2, 10, 8}));
}

TEST(ConvPool, ConvTransposeOutputShapeSmallerThanNatural) {
  // stride 2: natural 2*2+3 = 7; output_shape 6: total padding 1, at the beginning (auto_pad NOTSET).
  Graph g = conv_transpose([](onnx::NodeProto& n) {
    attr_ints(n, "strides", {2, 2});
    attr_ints(n, "output_shape", {1, 2, 6, 6});  // the full N, C, H, W form
  });
  const Node& n = single_node(g, OpKind::ConvTranspose);
  EXPECT_EQ(n.attrs.get_ints("pads"), Ints({1, 1, 0, 0}));
  EXPECT_EQ(n.attrs.get_ints("output_padding"), Ints({0, 0}));
  EXPECT_EQ(test::output_shape(g), Shape({1, 2, 6, 6}));
}

TEST(ConvPool, ConvTransposeAutoPadSameUpper) {
  // Output = input * stride = 6; total padding 1 goes to the end for SAME_UPPER.
  Graph g = conv_transpose([](onnx::NodeProto& n) {
    attr_ints(n, "strides", {2, 2});
    attr_string(n, "auto_pad", "SAME_UPPER");
  });
  EXPECT_EQ(single_node(g, OpKind::ConvTranspose).attrs.get_ints("pads"), Ints({0, 0, 1, 1}));
  EXPECT_EQ(test::output_shape(g), Shape({1, 2, 6, 6}));
}

TEST(ConvPool, ConvTransposeExplicitPadsAndOutputPadding) {
  Graph g = conv_transpose([](onnx::NodeProto& n) {
    attr_ints(n, "strides", {3, 2});
    attr_ints(n, "pads", {1, 2, 1, 2});
    attr_ints(n, "output_padding", {1, 1});
  });
  const Node& n = single_node(g, OpKind::ConvTranspose);
  EXPECT_EQ(n.attrs.get_ints("pads"), Ints({1, 2, 1, 2}));
  EXPECT_EQ(n.attrs.get_ints("output_padding"), Ints({1, 1}));
  EXPECT_EQ(n.attrs.get_ints("dilations"), Ints({1, 1}));
  EXPECT_EQ(n.attrs.get_int("group"), 1);
  EXPECT_EQ(test::output_shape(g), Shape({1, 2, 8, 4}));  // 3*2+1+3-2 = 8, 2*2+1+3-4 = 4
}

TEST(ConvPool, MaxPoolDefaultsAndCeilMode) {
  OnnxBuilder b(12);
  b.input("x", {1, 1, 5, 5});
  auto& pool = b.node("MaxPool", {"x"}, {"y", "unused_indices"});
  attr_ints(pool, "kernel_shape", {2, 2});
  attr_ints(pool, "strides", {2, 2});
  attr_int(pool, "ceil_mode", 1);
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::MaxPool);
  EXPECT_EQ(n.attrs.get_ints("pads"), Ints({0, 0, 0, 0}));
  EXPECT_EQ(n.attrs.get_ints("dilations"), Ints({1, 1}));
  EXPECT_EQ(n.attrs.get_int("ceil_mode"), 1);
  EXPECT_EQ(test::output_shape(g), Shape({1, 1, 3, 3}));  // ceil((5 - 2) / 2) + 1
}

TEST(ConvPool, MaxPoolIndicesAndStorageOrderAreRejected) {
  OnnxBuilder used(12);
  used.input("x", {1, 1, 4, 4});
  attr_ints(used.node("MaxPool", {"x"}, {"y", "idx"}, "pool"), "kernel_shape", {2, 2});
  used.output("y").output("idx");
  Error e = test::import_error(test::write_model(used));
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_TRUE(test::contains(e.what(), "output 1 ('idx', the Indices) is used")) << e.what();

  OnnxBuilder order(12);
  order.input("x", {1, 1, 4, 4});
  auto& pool = order.node("MaxPool", {"x"}, {"y"}, "pool");
  attr_ints(pool, "kernel_shape", {2, 2});
  attr_int(pool, "storage_order", 1);
  order.output("y");
  Error e2 = test::import_error(test::write_model(order));
  EXPECT_TRUE(test::contains(e2.what(), "attribute 'storage_order' = 1 is not supported")) << e2.what();
}

TEST(ConvPool, AveragePoolSameLowerAndCountIncludePad) {
  OnnxBuilder b(11);
  b.input("x", {1, 1, 4, 4});
  auto& pool = b.node("AveragePool", {"x"}, {"y"});
  attr_ints(pool, "kernel_shape", {3, 3});
  attr_string(pool, "auto_pad", "SAME_LOWER");
  attr_int(pool, "count_include_pad", 1);
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::AveragePool);
  EXPECT_EQ(n.attrs.get_ints("pads"), Ints({1, 1, 1, 1}));  // total 2 per axis
  EXPECT_EQ(n.attrs.get_ints("strides"), Ints({1, 1}));
  EXPECT_EQ(n.attrs.get_int("count_include_pad"), 1);
  EXPECT_EQ(n.attrs.get_int("ceil_mode"), 0);
  EXPECT_FALSE(n.attrs.has("dilations"));
  EXPECT_EQ(test::output_shape(g), Shape({1, 1, 4, 4}));
}

TEST(ConvPool, GlobalAveragePool) {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 4, 4});
  b.node("GlobalAveragePool", {"x"}, {"y"});
  b.output("y");
  EXPECT_EQ(test::output_shape(import_built(b)), Shape({1, 3, 1, 1}));
}

TEST(ConvPool, PadAttributesBeforeOpset11) {
  OnnxBuilder b(8);
  b.input("x", {1, 1, 2, 2});
  auto& pad = b.node("Pad", {"x"}, {"y"});
  attr_ints(pad, "pads", {0, 0, 1, 2, 0, 0, 1, 0});
  attr_float(pad, "value", 0.5f);
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Pad);
  EXPECT_EQ(n.attrs.get_ints("pads"), Ints({0, 0, 1, 2, 0, 0, 1, 0}));
  EXPECT_EQ(n.attrs.get_float("value"), 0.5);
  EXPECT_EQ(test::output_shape(g), Shape({1, 1, 4, 4}));
}

TEST(ConvPool, PadInputsFromOpset11) {
  OnnxBuilder b(13);
  b.input("x", {1, 1, 2, 2}).initializer("pads", i64({0, 0, 1, 1, 0, 0, 1, 1}));
  b.initializer("v", Tensor::scalar<float>(-3.0f));
  b.node("Pad", {"x", "pads", "v"}, {"y"});
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::Pad);
  EXPECT_EQ(n.attrs.get_ints("pads"), Ints({0, 0, 1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(n.attrs.get_float("value"), -3.0);
  EXPECT_EQ(n.inputs.size(), 1u);
  EXPECT_EQ(test::output_shape(g), Shape({1, 1, 4, 4}));
  EXPECT_TRUE(g.constants().empty());
}

OnnxBuilder batch_norm_model(std::int64_t opset) {
  OnnxBuilder b(opset);
  b.input("x", {1, 2, 3, 3});
  b.initializer("s", f32({2}, {1, 2})).initializer("bias", f32({2}, {0, 1}));
  b.initializer("mean", f32({2}, {0.5f, 0})).initializer("var", f32({2}, {1, 4}));
  return b;
}

TEST(ConvPool, BatchNormalizationInference) {
  OnnxBuilder b = batch_norm_model(9);
  auto& bn = b.node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y"});
  attr_float(bn, "epsilon", 1e-3f);
  attr_float(bn, "momentum", 0.9f);
  b.output("y");
  Graph g = import_built(b);
  const Node& n = single_node(g, OpKind::BatchNormalization);
  EXPECT_EQ(n.attrs.get_float("epsilon"), static_cast<double>(1e-3f));
  EXPECT_FALSE(n.attrs.has("momentum"));
  EXPECT_EQ(test::output_shape(g), Shape({1, 2, 3, 3}));
}

TEST(ConvPool, BatchNormalizationTrainingFormsAreRejected) {
  OnnxBuilder spatial = batch_norm_model(8);
  attr_int(spatial.node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y"}), "spatial", 0);
  spatial.output("y");
  Error e = test::import_error(test::write_model(spatial));
  EXPECT_TRUE(test::contains(e.what(), "attribute 'spatial' = 0 is not supported")) << e.what();

  OnnxBuilder training = batch_norm_model(15);
  attr_int(training.node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y"}), "training_mode", 1);
  training.output("y");
  Error e2 = test::import_error(test::write_model(training));
  EXPECT_TRUE(test::contains(e2.what(), "attribute 'training_mode' = 1 is not supported")) << e2.what();

  OnnxBuilder stats = batch_norm_model(9);
  stats.node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y", "running_mean"});
  stats.output("y").output("running_mean");
  Error e3 = test::import_error(test::write_model(stats));
  EXPECT_TRUE(test::contains(e3.what(), "output 1 ('running_mean', the running mean) is used")) << e3.what();
}

}  // namespace
}  // namespace bf
