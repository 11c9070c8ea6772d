// Softmax over runs of axes (including inputs that would overflow a naive
// exp) and ReduceSum/ReduceMean with and without kept dimensions.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"

namespace bf::test {
namespace {

Node softmax(Ints axes) { return make_node(OpKind::Softmax, attrs({{"axes", axes}})); }

TEST(Softmax, HandComputed) {
  Tensor y = eval1(softmax({0}), {f64({2}, {0, std::log(3.0)})});
  EXPECT_NEAR(values(y)[0], 0.25, 1e-15);
  EXPECT_NEAR(values(y)[1], 0.75, 1e-15);
}

TEST(Softmax, LargeInputsDoNotOverflow) {
  for (DType dt : {DType::F32, DType::F64}) {
    auto y = values(eval1(softmax({1}), {f64({2, 2}, {1000, 1000, -1000, 0}).cast(dt)}));
    EXPECT_EQ(y, (std::vector<double>{0.5, 0.5, 0, 1})) << dtype_name(dt);
  }
}

TEST(Softmax, RunOfAxesIsNormalisedJointly) {
  // [2,2,2] over axes {1,2}: each group of four sums to one; over {1}: pairs with stride 2.
  Tensor x = random_tensor(DType::F64, {2, 2, 2}, 80, -3, 3);
  auto xv = values(x);
  auto joint = values(eval1(softmax({1, 2}), {x}));
  for (int g = 0; g < 2; ++g) {
    double z = 0;
    for (int i = 0; i < 4; ++i) z += std::exp(xv[static_cast<std::size_t>(g * 4 + i)]);
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(joint[static_cast<std::size_t>(g * 4 + i)], std::exp(xv[static_cast<std::size_t>(g * 4 + i)]) / z,
                  1e-14);
    }
  }
  auto middle = values(eval1(softmax({1}), {x}));
  for (int g = 0; g < 2; ++g) {
    for (int k = 0; k < 2; ++k) {
      const auto a = static_cast<std::size_t>(g * 4 + k), b = a + 2;
      const double z = std::exp(xv[a]) + std::exp(xv[b]);
      EXPECT_NEAR(middle[a], std::exp(xv[a]) / z, 1e-14);
      EXPECT_NEAR(middle[b], std::exp(xv[b]) / z, 1e-14);
    }
  }
}

TEST(Softmax, F32AgreesWithF64AndBatched) {
  Tensor x = random_tensor(DType::F64, {3, 4, 5}, 81, -20, 20);
  Node n = softmax({1, 2});
  EXPECT_TRUE(all_close(eval1(n, {x.cast(DType::F32)}), eval1(n, {x}), 1e-5, 1e-7));
  // Three samples of [4,5] normalised over their axes {0,1} = the [3,4,5] tensor over {1,2}.
  Tensor batched = eval_batched(softmax({0, 1}), {x.cast(DType::F32)}, {{4, 5}}, {true}, 3);
  EXPECT_TRUE(all_close(batched.reshaped({3, 4, 5}), eval1(n, {x.cast(DType::F32)}), 0, 0));
}

Node reduce(OpKind op, Ints axes, bool keep) {
  return make_node(op, attrs({{"axes", axes}, {"keepdims", std::int64_t{keep}}}));
}

TEST(Reduce, SumAndMeanOverAxes) {
  // x[a,b,c] = 100a + 10b + c on [2,3,2].
  std::vector<double> xs;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 2; ++c) xs.push_back(100 * a + 10 * b + c);
  Tensor x = f64({2, 3, 2}, xs);
  Tensor s = eval1(reduce(OpKind::ReduceSum, {0, 2}, false), {x});
  EXPECT_EQ(s.shape(), Shape({3}));
  // sum over a, c of 100a + 10b + c = 200 + 40b + 2
  EXPECT_EQ(values(s), (std::vector<double>{202, 242, 282}));
  Tensor k = eval1(reduce(OpKind::ReduceSum, {0, 2}, true), {x});
  EXPECT_EQ(k.shape(), Shape({1, 3, 1}));
  EXPECT_EQ(values(k), values(s));
  Tensor m = eval1(reduce(OpKind::ReduceMean, {1}, true), {x});
  EXPECT_EQ(m.shape(), Shape({2, 1, 2}));
  EXPECT_EQ(values(m), (std::vector<double>{10, 11, 110, 111}));
  Tensor all = eval1(reduce(OpKind::ReduceMean, {0, 1, 2}, false), {x.cast(DType::F32)});
  EXPECT_EQ(all.shape(), Shape({}));
  EXPECT_EQ(values(all), (std::vector<double>{60.5}));
}

TEST(Reduce, BatchedEqualsPerSample) {
  Node n = reduce(OpKind::ReduceMean, {1}, false);
  std::vector<Tensor> samples, outs;
  for (std::uint32_t s = 0; s < 3; ++s) {
    samples.push_back(random_tensor(DType::F32, {2, 5, 3}, 90 + s));
    outs.push_back(eval1(n, {samples.back()}));
  }
  EXPECT_TRUE(all_close(eval_batched(n, {stack(samples)}, {{2, 5, 3}}, {true}, 3), stack(outs), 0, 0));
}

}  // namespace
}  // namespace bf::test
