#include "tensor/tensor.h"

#include <gtest/gtest.h>

namespace bf {

TEST(Tensor, ZeroInitialisedAndAligned) {
  Tensor t(DType::F32, {2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw_data()) % 64, 0u);
  for (float v : t.to_vector<float>()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, CopiesShareCloneDoesNot) {
  Tensor a = Tensor::from_vector<float>({2}, {1.0f, 2.0f});
  Tensor shared = a;
  Tensor copy = a.clone();
  a.mutable_data<float>()[0] = 5.0f;
  EXPECT_EQ(shared.data<float>()[0], 5.0f);
  EXPECT_EQ(copy.data<float>()[0], 1.0f);
}

TEST(Tensor, WrongTypeAccessThrows) {
  Tensor t(DType::F64, {1});
  EXPECT_THROW(t.data<float>(), Error);
}

TEST(Tensor, CastAndIntegerView) {
  Tensor t = Tensor::from_vector<double>({3}, {1.0, -2.0, 3.0});
  EXPECT_EQ(t.cast(DType::I64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, -2, 3}));
  EXPECT_EQ(t.to_int64_vector(), (std::vector<std::int64_t>{1, -2, 3}));
  EXPECT_THROW(Tensor::from_vector<double>({1}, {0.5}).to_int64_vector(), Error);
}

TEST(Shape, Broadcasting) {
  EXPECT_EQ(broadcast_shapes({2, 1, 4}, {3, 1}), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({}, {5}), (Shape{5}));
  EXPECT_THROW(broadcast_shapes({2, 3}, {4}), Error);
  EXPECT_EQ(broadcast_strides({3, 1}, {2, 3, 4}), (std::vector<std::int64_t>{0, 1, 0}));
}

TEST(Shape, NormalizeAxis) {
  EXPECT_EQ(normalize_axis(-1, 4), 3);
  EXPECT_EQ(normalize_axis(2, 4), 2);
  EXPECT_THROW(normalize_axis(4, 4), Error);
}

}  // namespace bf
