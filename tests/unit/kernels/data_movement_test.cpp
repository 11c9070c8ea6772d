// Data-movement ops against hand-computed results, on several dtypes.
#include <gtest/gtest.h>

#include "kernel_test_util.h"

namespace bf::test {
namespace {

std::vector<std::int64_t> iota(std::int64_t n, std::int64_t start = 0) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = start + i;
  return v;
}

TEST(DataMovement, ReshapeFlattenSqueezeUnsqueezeKeepOrder) {
  Tensor x = i64({2, 1, 3}, iota(6));
  Tensor r = eval1(make_node(OpKind::Reshape, attrs({{"shape", Ints{3, 2}}})), {x});
  EXPECT_EQ(r.shape(), Shape({3, 2}));
  EXPECT_EQ(r.to_vector<std::int64_t>(), iota(6));
  EXPECT_EQ(eval1(make_node(OpKind::Flatten, attrs({{"axis", std::int64_t{2}}})), {x}).shape(), Shape({2, 3}));
  EXPECT_EQ(eval1(make_node(OpKind::Flatten, attrs({{"axis", std::int64_t{0}}})), {x}).shape(), Shape({1, 6}));
  Tensor s = eval1(make_node(OpKind::Squeeze, attrs({{"axes", Ints{1}}})), {x});
  EXPECT_EQ(s.shape(), Shape({2, 3}));
  EXPECT_EQ(s.to_vector<std::int64_t>(), iota(6));
  Tensor u = eval1(make_node(OpKind::Unsqueeze, attrs({{"axes", Ints{0, 4}}})), {x});
  EXPECT_EQ(u.shape(), Shape({1, 2, 1, 3, 1}));
  EXPECT_EQ(u.to_vector<std::int64_t>(), iota(6));
}

TEST(DataMovement, IdentityAndDropoutCopyAnyDtype) {
  Tensor b = tensor<bool>({3}, {true, false, true});
  EXPECT_TRUE(eval1(make_node(OpKind::Identity), {b}).bitwise_equal(b));
  Tensor u = tensor<std::uint8_t>({2}, {7, 250});
  EXPECT_TRUE(eval1(make_node(OpKind::Dropout), {u}).bitwise_equal(u));
}

TEST(DataMovement, Transpose2D) {
  // [[0,1,2],[3,4,5]]^T = [[0,3],[1,4],[2,5]]
  Tensor t = eval1(make_node(OpKind::Transpose, attrs({{"perm", Ints{1, 0}}})), {f32({2, 3}, {0, 1, 2, 3, 4, 5})});
  EXPECT_EQ(t.shape(), Shape({3, 2}));
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(DataMovement, Transpose3DMatchesIndexFormula) {
  // out[i,j,k] = x[j,k,i] for perm [2,0,1]; x[a,b,c] = 100a + 10b + c.
  std::vector<std::int32_t> xs;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) xs.push_back(100 * a + 10 * b + c);
  Tensor t =
      eval1(make_node(OpKind::Transpose, attrs({{"perm", Ints{2, 0, 1}}})), {tensor<std::int32_t>({2, 3, 4}, xs)});
  ASSERT_EQ(t.shape(), Shape({4, 2, 3}));
  const auto* p = t.data<std::int32_t>();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k) EXPECT_EQ(p[(i * 2 + j) * 3 + k], 100 * j + 10 * k + i);
}

TEST(DataMovement, ConcatAlongInnerAxis) {
  Tensor a = i64({2, 1}, {1, 2});
  Tensor b = i64({2, 2}, {10, 11, 20, 21});
  Tensor c = eval1(make_node(OpKind::Concat, attrs({{"axis", std::int64_t{1}}})), {a, b});
  EXPECT_EQ(c.shape(), Shape({2, 3}));
  EXPECT_EQ(c.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 10, 11, 2, 20, 21}));
}

TEST(DataMovement, ConcatAlongOuterAxisOfScalarsChain) {
  // A typical shape chain: concatenating 1-element i64 vectors.
  Tensor c = eval1(make_node(OpKind::Concat, attrs({{"axis", std::int64_t{0}}})), {i64({1}, {1}), i64({2}, {-1, 7})});
  EXPECT_EQ(c.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, -1, 7}));
}

TEST(DataMovement, SliceWithPositiveAndNegativeSteps) {
  Tensor x = i64({10}, iota(10));
  auto slice = [&](std::int64_t s, std::int64_t e, std::int64_t step) {
    return eval1(make_node(OpKind::Slice,
                           attrs({{"starts", Ints{s}}, {"ends", Ints{e}}, {"axes", Ints{0}}, {"steps", Ints{step}}})),
                 {x})
        .to_vector<std::int64_t>();
  };
  EXPECT_EQ(slice(1, 8, 3), (std::vector<std::int64_t>{1, 4, 7}));
  EXPECT_EQ(slice(8, 1, -3), (std::vector<std::int64_t>{8, 5, 2}));
  EXPECT_EQ(slice(9, -1, -4), (std::vector<std::int64_t>{9, 5, 1}));  // canonical end -1: run to index 0
  EXPECT_TRUE(slice(10, 10, 1).empty());
}

TEST(DataMovement, SliceTwoAxes) {
  // x[a,b] = 10a + b on [3,4]; rows 1..3, columns 3,1 (step -2).
  std::vector<float> xs;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 4; ++b) xs.push_back(static_cast<float>(10 * a + b));
  Tensor y = eval1(
      make_node(OpKind::Slice,
                attrs({{"starts", Ints{1, 3}}, {"ends", Ints{3, 0}}, {"axes", Ints{0, 1}}, {"steps", Ints{1, -2}}})),
      {f32({3, 4}, xs)});
  EXPECT_EQ(y.shape(), Shape({2, 2}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{13, 11, 23, 21}));
}

TEST(DataMovement, GatherOnEachAxisWithBothIndexTypes) {
  Tensor x = i64({2, 3}, {0, 1, 2, 10, 11, 12});
  Tensor g0 = eval1(make_node(OpKind::Gather, attrs({{"axis", std::int64_t{0}}})), {x, i64({3}, {1, 0, 1})});
  EXPECT_EQ(g0.shape(), Shape({3, 3}));
  EXPECT_EQ(g0.to_vector<std::int64_t>(), (std::vector<std::int64_t>{10, 11, 12, 0, 1, 2, 10, 11, 12}));
  Tensor g1 =
      eval1(make_node(OpKind::Gather, attrs({{"axis", std::int64_t{1}}})), {x, tensor<std::int32_t>({2, 1}, {2, 0})});
  EXPECT_EQ(g1.shape(), Shape({2, 2, 1}));
  EXPECT_EQ(g1.to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 0, 12, 10}));
  // A scalar index drops the axis (Shape -> Gather(0) chains).
  Tensor g2 =
      eval1(make_node(OpKind::Gather, attrs({{"axis", std::int64_t{0}}})), {i64({4}, {1, 3, 32, 32}), i64({}, {1})});
  EXPECT_EQ(g2.shape(), Shape({}));
  EXPECT_EQ(g2.to_vector<std::int64_t>(), (std::vector<std::int64_t>{3}));
}

TEST(DataMovement, GatherRejectsOutOfRangeIndex) {
  Node n = make_node(OpKind::Gather, attrs({{"axis", std::int64_t{0}}}));
  try {
    eval1(n, {i64({2}, {5, 6}), i64({1}, {2})});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Invalid);
    EXPECT_NE(std::string(e.what()).find("Gather index 2 out of range [0, 2)"), std::string::npos) << e.what();
    EXPECT_EQ(e.node(), "Gather_test");
  }
  EXPECT_THROW(eval1(n, {i64({2}, {5, 6}), i64({1}, {-1})}), Error);
}

TEST(DataMovement, PadGrowsAndCrops) {
  // [[1,2],[3,4]] padded by one row above (value 9) and cropped by one column at the end.
  Tensor y =
      eval1(make_node(OpKind::Pad, attrs({{"pads", Ints{1, 0, 0, -1}}, {"value", 9.0}})), {f32({2, 2}, {1, 2, 3, 4})});
  EXPECT_EQ(y.shape(), Shape({3, 1}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{9, 1, 3}));
  Tensor z = eval1(make_node(OpKind::Pad, attrs({{"pads", Ints{0, 1, 1, 2}}, {"value", 0.0}})), {i64({1, 2}, {5, 6})});
  EXPECT_EQ(z.shape(), Shape({2, 5}));
  EXPECT_EQ(z.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 5, 6, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(DataMovement, PadCroppingEverythingLeavesOnlyFill) {
  Tensor y = eval1(make_node(OpKind::Pad, attrs({{"pads", Ints{-2, 3}}, {"value", -1.0}})), {f32({2}, {1, 2})});
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{-1, -1, -1}));
}

TEST(DataMovement, PadRejectsUnrepresentableIntegerFill) {
  EXPECT_THROW(eval1(make_node(OpKind::Pad, attrs({{"pads", Ints{1, 0}}, {"value", 0.5}})), {i64({1}, {1})}), Error);
}

TEST(DataMovement, MismatchedOperandTypesAreRejected) {
  // eval_op checks the buffers against shape inference before touching memory.
  Node n = make_node(OpKind::Reshape, attrs({{"shape", Ints{4}}}));
  Tensor x = f32({2, 2}, {1, 2, 3, 4});
  Tensor out(DType::F32, {5});
  ConstOperand in{x.raw_data(), DType::F32, &x.shape(), false};
  MutOperand o{out.raw_mutable_data(), DType::F32, &out.shape()};
  EXPECT_THROW(eval_op(n, std::span<const ConstOperand>(&in, 1), std::span<const MutOperand>(&o, 1), 1), Error);
}

}  // namespace
}  // namespace bf::test
