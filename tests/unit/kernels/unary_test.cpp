// Elementwise activations: hand-computed values, extreme inputs, NaN
// propagation, integer Neg, f32/f64 agreement and batched evaluation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_test_util.h"

namespace bf::test {
namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(Unary, HandComputed) {
  Tensor x = f64({5}, {-2, -0.5, 0, 0.5, 2});
  EXPECT_EQ(values(eval1(make_node(OpKind::Neg), {x})), (std::vector<double>{2, 0.5, 0, -0.5, -2}));
  EXPECT_EQ(values(eval1(make_node(OpKind::Relu), {x})), (std::vector<double>{0, 0, 0, 0.5, 2}));
  EXPECT_EQ(values(eval1(make_node(OpKind::LeakyRelu, attrs({{"alpha", 0.1}})), {x})),
            (std::vector<double>{-0.2, -0.05, 0, 0.5, 2}));
  EXPECT_EQ(values(eval1(make_node(OpKind::Clip, attrs({{"min", -1.0}, {"max", 1.0}})), {x})),
            (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
  auto s = values(eval1(make_node(OpKind::Sigmoid), {x}));
  auto t = values(eval1(make_node(OpKind::Tanh), {x}));
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double v = x.data<double>()[i];
    EXPECT_DOUBLE_EQ(s[i], 1.0 / (1.0 + std::exp(-v)));
    EXPECT_DOUBLE_EQ(t[i], (std::exp(v) - std::exp(-v)) / (std::exp(v) + std::exp(-v)));
  }
}

TEST(Unary, ExtremeInputsDoNotOverflow) {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor x = f64({4}, {-1000, 1000, -kInf, kInf}).cast(dt);
    EXPECT_EQ(values(eval1(make_node(OpKind::Sigmoid), {x})), (std::vector<double>{0, 1, 0, 1})) << dtype_name(dt);
    EXPECT_EQ(values(eval1(make_node(OpKind::Tanh), {x})), (std::vector<double>{-1, 1, -1, 1})) << dtype_name(dt);
  }
}

TEST(Unary, NanPropagates) {
  for (OpKind op : {OpKind::Neg, OpKind::Relu, OpKind::Sigmoid, OpKind::Tanh}) {
    EXPECT_TRUE(std::isnan(values(eval1(make_node(op), {f32({1}, {static_cast<float>(kNaN)})}))[0])) << op_name(op);
  }
  EXPECT_TRUE(std::isnan(values(eval1(make_node(OpKind::LeakyRelu, attrs({{"alpha", 0.01}})), {f64({1}, {kNaN})}))[0]));
  EXPECT_TRUE(
      std::isnan(values(eval1(make_node(OpKind::Clip, attrs({{"min", 0.0}, {"max", 1.0}})), {f64({1}, {kNaN})}))[0]));
}

TEST(Unary, ClipDefaultsAndCrossedBounds) {
  Tensor x = f32({3}, {-5, 0, 5});
  // Absent bounds are infinite.
  EXPECT_EQ(values(eval1(make_node(OpKind::Clip, attrs({{"min", 0.0}})), {x})), (std::vector<double>{0, 0, 5}));
  EXPECT_EQ(values(eval1(make_node(OpKind::Clip, attrs({{"max", 0.0}})), {x})), (std::vector<double>{-5, 0, 0}));
  // min > max: every element becomes max (numpy's clip, the ONNX spec).
  EXPECT_EQ(values(eval1(make_node(OpKind::Clip, attrs({{"min", 2.0}, {"max", 1.0}})), {x})),
            (std::vector<double>{1, 1, 1}));
}

TEST(Unary, IntegerNeg) {
  EXPECT_EQ(eval1(make_node(OpKind::Neg), {i64({2}, {3, -4})}).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-3, 4}));
  EXPECT_THROW(eval1(make_node(OpKind::Neg), {tensor<std::int32_t>({1}, {std::numeric_limits<std::int32_t>::min()})}),
               Error);
}

TEST(Unary, F32AgreesWithF64OnRandomData) {
  Tensor x = random_tensor(DType::F64, {1000}, 50, -8.0, 8.0);
  for (Node n :
       {make_node(OpKind::Relu), make_node(OpKind::LeakyRelu, attrs({{"alpha", 0.2}})), make_node(OpKind::Sigmoid),
        make_node(OpKind::Tanh), make_node(OpKind::Clip, attrs({{"min", -0.5}, {"max", 3.0}}))}) {
    EXPECT_TRUE(all_close(eval1(n, {x.cast(DType::F32)}), eval1(n, {x}), 1e-6, 1e-7)) << op_name(n.op);
  }
}

TEST(Unary, BatchedAndSharedInputs) {
  Node relu = make_node(OpKind::Relu);
  Tensor y = eval_batched(relu, {f32({2, 2}, {-1, 2, 3, -4})}, {{2}}, {true}, 2);
  EXPECT_EQ(values(y), (std::vector<double>{0, 2, 3, 0}));
  // A shared input is replicated into every sample of the output.
  Tensor z = eval_batched(relu, {f32({2}, {-1, 2})}, {{2}}, {false}, 3);
  EXPECT_EQ(values(z), (std::vector<double>{0, 2, 0, 2, 0, 2}));
}

}  // namespace
}  // namespace bf::test
