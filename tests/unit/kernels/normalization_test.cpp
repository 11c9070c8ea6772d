// BatchNormalization (inference) and ScaleShift.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"

namespace bf::test {
namespace {

TEST(BatchNormalization, HandComputed) {
  // Two channels of two elements; channel 1 has var 3 and eps 1 -> sqrt(4) = 2.
  Tensor x = f64({1, 2, 2}, {1, 2, 3, 5});
  Node n = make_node(OpKind::BatchNormalization, attrs({{"epsilon", 1.0}}));
  Tensor y = eval1(n, {x, f64({2}, {1, 2}), f64({2}, {0, 10}), f64({2}, {0, 1}), f64({2}, {0, 3})});
  EXPECT_EQ(values(y), (std::vector<double>{1, 2, 12, 14}));
}

TEST(BatchNormalization, F32AgreesWithF64AndBatched) {
  Node n = make_node(OpKind::BatchNormalization, attrs({{"epsilon", 1e-5}}));
  Tensor x = random_tensor(DType::F64, {2, 3, 4, 4}, 1);
  std::vector<Tensor> params = {random_tensor(DType::F64, {3}, 2), random_tensor(DType::F64, {3}, 3),
                                random_tensor(DType::F64, {3}, 4), random_tensor(DType::F64, {3}, 5, 0.5, 2.0)};
  std::vector<Tensor> in64 = {x}, in32 = {x.cast(DType::F32)};
  for (auto& p : params) {
    in64.push_back(p);
    in32.push_back(p.cast(DType::F32));
  }
  Tensor y64 = eval1(n, in64);
  EXPECT_TRUE(all_close(eval1(n, in32), y64, 1e-5, 1e-6));
  // The [2,3,4,4] tensor read as two samples of [1,3,4,4].
  std::vector<Tensor> batched_in = in64;
  Tensor y = eval_batched(n, batched_in, {{1, 3, 4, 4}, {3}, {3}, {3}, {3}}, {true, false, false, false, false}, 2);
  EXPECT_TRUE(all_close(y.reshaped(x.shape()), y64, 0, 0));
}

TEST(ScaleShift, F32AgreesWithF64) {
  Tensor x = random_tensor(DType::F64, {2, 3, 4}, 6);
  Tensor scale = random_tensor(DType::F64, {3, 1}, 7);
  Tensor shift = random_tensor(DType::F64, {4}, 8);
  Node n = make_node(OpKind::ScaleShift);
  EXPECT_TRUE(all_close(eval1(n, {x.cast(DType::F32), scale.cast(DType::F32), shift.cast(DType::F32)}),
                        eval1(n, {x, scale, shift}), 1e-6, 1e-7));
}

TEST(ScaleShift, BroadcastParameters) {
  // x [2,3]; per-column scale, scalar shift.
  Tensor y =
      eval1(make_node(OpKind::ScaleShift), {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, {1, 0, -1}), f32({}, {0.5})});
  EXPECT_EQ(values(y), (std::vector<double>{1.5, 0.5, -2.5, 4.5, 0.5, -5.5}));
  // Batched activation, shared per-row parameters of shape [2,1].
  Tensor z =
      eval_batched(make_node(OpKind::ScaleShift), {f32({2, 2}, {1, 2, 3, 4}), f32({2, 1}, {2, 3}), f32({2, 1}, {0, 1})},
                   {{2, 1}, {2, 1}, {2, 1}}, {true, false, false}, 2);
  EXPECT_EQ(values(z), (std::vector<double>{2, 7, 6, 13}));
}

}  // namespace
}  // namespace bf::test
