// MaxPool, AveragePool, GlobalAveragePool: hand-computed windows, padding as
// -inf for max, count_include_pad both ways, ceil_mode windows clipped at the
// padded border, dtype agreement and batched evaluation.
#include <gtest/gtest.h>

#include "kernel_test_util.h"

namespace bf::test {
namespace {

Node max_pool(Ints kernel, Ints strides, Ints pads, Ints dilations, bool ceil_mode) {
  return make_node(OpKind::MaxPool, attrs({{"kernel_shape", kernel},
                                           {"strides", strides},
                                           {"pads", pads},
                                           {"dilations", dilations},
                                           {"ceil_mode", std::int64_t{ceil_mode}}}));
}

Node avg_pool(Ints kernel, Ints strides, Ints pads, bool include_pad, bool ceil_mode) {
  return make_node(OpKind::AveragePool, attrs({{"kernel_shape", kernel},
                                               {"strides", strides},
                                               {"pads", pads},
                                               {"count_include_pad", std::int64_t{include_pad}},
                                               {"ceil_mode", std::int64_t{ceil_mode}}}));
}

TEST(MaxPool, HandComputed2D) {
  Tensor x = f32({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  Tensor y = eval1(max_pool({2, 2}, {2, 2}, {0, 0, 0, 0}, {1, 1}, false), {x});
  EXPECT_EQ(values(y), (std::vector<double>{6, 8, 14, 16}));
}

TEST(MaxPool, PaddingActsAsMinusInfinity) {
  // All inputs negative: a zero-valued padding would win every border window.
  Tensor x = f64({1, 1, 3}, {-3, -2, -1});
  Tensor y = eval1(max_pool({2}, {1}, {1, 1}, {1}, false), {x});
  EXPECT_EQ(values(y), (std::vector<double>{-3, -2, -1, -1}));
}

TEST(MaxPool, Dilations) {
  Tensor x = f32({1, 1, 5}, {5, 1, 4, 2, 3});
  // Windows {x0,x2}, {x1,x3}, {x2,x4}.
  EXPECT_EQ(values(eval1(max_pool({2}, {1}, {0, 0}, {2}, false), {x})), (std::vector<double>{5, 2, 4}));
}

TEST(MaxPool, CeilModeAddsAPartialWindow) {
  Tensor x = f32({1, 1, 5}, {1, 5, 2, 4, 3});
  EXPECT_EQ(values(eval1(max_pool({2}, {2}, {0, 0}, {1}, false), {x})), (std::vector<double>{5, 4}));
  EXPECT_EQ(values(eval1(max_pool({2}, {2}, {0, 0}, {1}, true), {x})), (std::vector<double>{5, 4, 3}));
}

TEST(AveragePool, CountIncludePadBothWays) {
  // Length 5, kernel 3, stride 2, pads 1/1, ceil_mode: windows start at -1, 1, 3.
  Tensor x = f64({1, 1, 5}, {1, 2, 3, 4, 5});
  EXPECT_EQ(values(eval1(avg_pool({3}, {2}, {1, 1}, true, true), {x})),
            (std::vector<double>{(0 + 1 + 2) / 3.0, (2 + 3 + 4) / 3.0, (4 + 5 + 0) / 3.0}));
  EXPECT_EQ(values(eval1(avg_pool({3}, {2}, {1, 1}, false, true), {x})),
            (std::vector<double>{(1 + 2) / 2.0, (2 + 3 + 4) / 3.0, (4 + 5) / 2.0}));
}

TEST(AveragePool, CeilModeWindowIsClippedAtThePaddedBorder) {
  // Length 6, kernel 3, stride 2, pads 1/1, ceil_mode: the last window starts at 5
  // and covers {x5, end pad, beyond}; only x5 and the pad lie in the padded input.
  Tensor x = f64({1, 1, 6}, {1, 2, 3, 4, 5, 6});
  auto incl = values(eval1(avg_pool({3}, {2}, {1, 1}, true, true), {x}));
  auto excl = values(eval1(avg_pool({3}, {2}, {1, 1}, false, true), {x}));
  ASSERT_EQ(incl.size(), 4u);
  EXPECT_DOUBLE_EQ(incl[3], 6.0 / 2.0);
  EXPECT_DOUBLE_EQ(excl[3], 6.0);
  EXPECT_DOUBLE_EQ(incl[0], (1 + 2) / 3.0);
  EXPECT_DOUBLE_EQ(excl[0], (1 + 2) / 2.0);
  // Without padding, count_include_pad has nothing to count and the ceil window is x5 alone.
  auto nopad = values(eval1(avg_pool({2}, {2}, {0, 0}, true, true), {f64({1, 1, 5}, {1, 2, 3, 4, 5})}));
  EXPECT_EQ(nopad, (std::vector<double>{1.5, 3.5, 5}));
}

TEST(AveragePool, HandComputed2DWithPadding) {
  Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  // 2x2 kernel, stride 1, pad 1 all round: 3x3 windows; the corner windows hold one element.
  auto incl = values(eval1(avg_pool({2, 2}, {1, 1}, {1, 1, 1, 1}, true, false), {x}));
  auto excl = values(eval1(avg_pool({2, 2}, {1, 1}, {1, 1, 1, 1}, false, false), {x}));
  EXPECT_EQ(incl, (std::vector<double>{0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1}));
  EXPECT_EQ(excl, (std::vector<double>{1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}));
}

TEST(GlobalAveragePool, HandComputed) {
  Tensor x = f64({1, 2, 2, 2}, {1, 2, 3, 4, -1, -1, -1, 3});
  Tensor y = eval1(make_node(OpKind::GlobalAveragePool), {x});
  EXPECT_EQ(y.shape(), Shape({1, 2, 1, 1}));
  EXPECT_EQ(values(y), (std::vector<double>{2.5, 0}));
}

TEST(Pooling, F32AgreesWithF64AndBatchedEqualsPerSample) {
  const Shape xs{2, 3, 7, 6};
  std::vector<Node> nodes = {
      max_pool({3, 2}, {2, 1}, {1, 0, 1, 1}, {1, 2}, true), avg_pool({3, 3}, {2, 2}, {1, 1, 1, 1}, true, true),
      avg_pool({2, 3}, {1, 2}, {0, 1, 1, 0}, false, false), make_node(OpKind::GlobalAveragePool)};
  for (const Node& n : nodes) {
    Tensor x = random_tensor(DType::F64, xs, 60);
    EXPECT_TRUE(all_close(eval1(n, {x.cast(DType::F32)}), eval1(n, {x}), 1e-6, 1e-7)) << op_name(n.op);
    std::vector<Tensor> samples, outs;
    for (std::uint32_t s = 0; s < 3; ++s) {
      samples.push_back(random_tensor(DType::F32, xs, 70 + s));
      outs.push_back(eval1(n, {samples.back()}));
    }
    EXPECT_TRUE(all_close(eval_batched(n, {stack(samples)}, {xs}, {true}, 3), stack(outs), 0, 0)) << op_name(n.op);
  }
}

}  // namespace
}  // namespace bf::test
