#include "ir/shape_inference.h"

#include <gtest/gtest.h>

namespace bf {
namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

Shape infer(OpKind op, const Attributes& a, std::vector<TensorType> ins) {
  std::vector<const TensorType*> p;
  for (auto& t : ins) p.push_back(&t);
  return infer_output_types(op, a, p)[0].shape;
}

Attributes conv_attrs(std::vector<std::int64_t> k, std::vector<std::int64_t> s, std::vector<std::int64_t> pads) {
  Attributes a;
  a.set("kernel_shape", k);
  a.set("strides", s);
  a.set("pads", pads);
  a.set("dilations", std::vector<std::int64_t>(k.size(), 1));
  a.set("group", std::int64_t{1});
  return a;
}

TEST(ShapeInference, GemmWithTranspose) {
  Attributes a;
  a.set("transB", std::int64_t{1});
  EXPECT_EQ(infer(OpKind::Gemm, a, {f32({1, 784}), f32({256, 784}), f32({256})}), (Shape{1, 256}));
  EXPECT_THROW(infer(OpKind::Gemm, {}, {f32({1, 784}), f32({256, 784})}), Error);
}

TEST(ShapeInference, MatMulVectorsAndBatches) {
  EXPECT_EQ(infer(OpKind::MatMul, {}, {f32({2, 1}), f32({1})}), (Shape{2}));
  EXPECT_EQ(infer(OpKind::MatMul, {}, {f32({4}), f32({4})}), (Shape{}));
  EXPECT_EQ(infer(OpKind::MatMul, {}, {f32({3, 1, 2, 5}), f32({4, 5, 6})}), (Shape{3, 4, 2, 6}));
}

TEST(ShapeInference, ConvAndPooling) {
  Attributes a = conv_attrs({4, 4}, {2, 2}, {1, 1, 1, 1});
  EXPECT_EQ(infer(OpKind::Conv, a, {f32({1, 3, 32, 32}), f32({8, 3, 4, 4}), f32({8})}), (Shape{1, 8, 16, 16}));
  Attributes p = conv_attrs({4, 4}, {4, 4}, {0, 0, 0, 0});
  EXPECT_EQ(infer(OpKind::MaxPool, p, {f32({1, 32, 27, 27})}), (Shape{1, 32, 6, 6}));
  p.set("ceil_mode", std::int64_t{1});
  EXPECT_EQ(infer(OpKind::MaxPool, p, {f32({1, 32, 27, 27})}), (Shape{1, 32, 7, 7}));
}

TEST(ShapeInference, ConvTranspose) {
  Attributes a = conv_attrs({3, 3}, {2, 2}, {0, 0, 0, 0});
  a.set("output_padding", std::vector<std::int64_t>{1, 1});
  EXPECT_EQ(infer(OpKind::ConvTranspose, a, {f32({1, 1, 3, 3}), f32({1, 2, 3, 3})}), (Shape{1, 2, 8, 8}));
}

TEST(ShapeInference, SliceLengths) {
  EXPECT_EQ(slice_length(0, 10, 3), 4);
  EXPECT_EQ(slice_length(9, -1, -2), 5);
  EXPECT_EQ(slice_length(5, 2, 1), 0);
}

TEST(ShapeInference, ReshapeNeedsEqualCount) {
  Attributes a;
  a.set("shape", std::vector<std::int64_t>{2, 5});
  EXPECT_EQ(infer(OpKind::Reshape, a, {f32({10})}), (Shape{2, 5}));
  a.set("shape", std::vector<std::int64_t>{3, 5});
  EXPECT_THROW(infer(OpKind::Reshape, a, {f32({10})}), Error);
}

}  // namespace
}  // namespace bf
