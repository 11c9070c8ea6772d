// Add/Sub/Mul/Div: broadcasting, integer arithmetic for shape chains, and the
// errors integers must raise instead of wrapping.
#include <gtest/gtest.h>

#include <limits>

#include "kernel_test_util.h"

namespace bf::test {
namespace {

TEST(Binary, FloatBroadcastRowAndColumn) {
  Tensor a = f32({2, 1}, {1, 2});
  Tensor b = f32({3}, {10, 20, 30});
  EXPECT_EQ(eval1(make_node(OpKind::Add), {a, b}).to_vector<float>(), (std::vector<float>{11, 21, 31, 12, 22, 32}));
  EXPECT_EQ(eval1(make_node(OpKind::Sub), {a, b}).to_vector<float>(), (std::vector<float>{-9, -19, -29, -8, -18, -28}));
  EXPECT_EQ(eval1(make_node(OpKind::Mul), {b, a}).to_vector<float>(), (std::vector<float>{10, 20, 30, 20, 40, 60}));
  EXPECT_EQ(eval1(make_node(OpKind::Div), {b, a}).to_vector<float>(), (std::vector<float>{10, 20, 30, 5, 10, 15}));
}

TEST(Binary, DoubleScalarBroadcast) {
  Tensor y = eval1(make_node(OpKind::Div), {f64({2, 2}, {1, 2, 3, 4}), f64({}, {4})});
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{0.25, 0.5, 0.75, 1.0}));
}

TEST(Binary, FloatDivisionByZeroFollowsIeee) {
  Tensor y = eval1(make_node(OpKind::Div), {f32({2}, {1, -1}), f32({1}, {0})});
  EXPECT_EQ(y.to_vector<float>()[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(y.to_vector<float>()[1], -std::numeric_limits<float>::infinity());
}

TEST(Binary, IntegerShapeArithmetic) {
  Tensor s = i64({2}, {3, 32});
  EXPECT_EQ(eval1(make_node(OpKind::Mul), {s, i64({}, {2})}).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{6, 64}));
  EXPECT_EQ(eval1(make_node(OpKind::Sub), {s, i64({1}, {1})}).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{2, 31}));
  // Truncation toward zero, as onnxruntime divides integers.
  Tensor q = eval1(make_node(OpKind::Div), {tensor<std::int32_t>({2}, {7, -7}), tensor<std::int32_t>({}, {2})});
  EXPECT_EQ(q.to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, -3}));
}

TEST(Binary, IntegerErrorsAreReported) {
  EXPECT_THROW(eval1(make_node(OpKind::Div), {i64({1}, {1}), i64({1}, {0})}), Error);
  const auto big = std::numeric_limits<std::int64_t>::max();
  EXPECT_THROW(eval1(make_node(OpKind::Add), {i64({1}, {big}), i64({1}, {1})}), Error);
  EXPECT_THROW(eval1(make_node(OpKind::Mul), {i64({1}, {big}), i64({1}, {2})}), Error);
}

TEST(Binary, UnsupportedDtypeNamesOp) {
  try {
    eval1(make_node(OpKind::Add), {tensor<std::uint8_t>({1}, {1}), tensor<std::uint8_t>({1}, {2})});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("Add is not supported on u8 tensors"), std::string::npos) << e.what();
  }
}

TEST(Binary, F32AgreesWithF64OnRandomData) {
  Tensor a = random_tensor(DType::F64, {4, 1, 5}, 1);
  Tensor b = random_tensor(DType::F64, {3, 1}, 2, 0.5, 2.0);  // away from zero for Div
  for (OpKind op : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div}) {
    Tensor y64 = eval1(make_node(op), {a, b});
    EXPECT_EQ(y64.shape(), Shape({4, 3, 5}));
    EXPECT_TRUE(all_close(eval1(make_node(op), {a.cast(DType::F32), b.cast(DType::F32)}), y64, 1e-6, 1e-7))
        << op_name(op);
  }
}

TEST(Binary, BatchedWithSharedAndBatchedOperands) {
  // Two samples of a [2] activation plus a shared [2] constant, then two activations.
  Node add = make_node(OpKind::Add);
  Tensor x = f32({2, 2}, {1, 2, 3, 4});
  Tensor c = f32({2}, {10, 20});
  Tensor y = eval_batched(add, {x, c}, {{2}, {2}}, {true, false}, 2);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{11, 22, 13, 24}));
  Tensor z = eval_batched(add, {x, x}, {{2}, {2}}, {true, true}, 2);
  EXPECT_EQ(z.to_vector<float>(), (std::vector<float>{2, 4, 6, 8}));
  // A shared left operand broadcast against a batched right one of larger rank.
  Tensor w = eval_batched(make_node(OpKind::Sub), {c, f32({2, 1, 1}, {1, 2})}, {{2}, {1, 1}}, {false, true}, 2);
  EXPECT_EQ(w.shape(), Shape({2, 1, 2}));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{9, 19, 8, 18}));
}

}  // namespace
}  // namespace bf::test
