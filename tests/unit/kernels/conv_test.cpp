// Conv and ConvTranspose: hand-computed cases, oneDNN f32 against the plain f64
// loops over groups, strides, dilations, asymmetric pads and 1 to 3 spatial
// dimensions, and batch folding against per-sample evaluation.
#include <gtest/gtest.h>

#include "kernel_test_util.h"

namespace bf::test {
namespace {

struct ConvCase {
  Shape x, w;
  Ints strides, pads, dilations;
  std::int64_t group = 1;
  Ints output_padding;  // ConvTranspose only
  bool bias = true;
};

ConvCase conv_case(Shape x, Shape w, Ints strides, Ints pads, Ints dilations, std::int64_t group = 1,
                   Ints output_padding = {}, bool bias = true) {
  return {std::move(x),         std::move(w), std::move(strides),        std::move(pads),
          std::move(dilations), group,        std::move(output_padding), bias};
}

Attributes conv_attrs(const ConvCase& c, bool transposed) {
  Ints kernel(c.w.begin() + 2, c.w.end());
  Attributes a = attrs({{"kernel_shape", kernel},
                        {"strides", c.strides},
                        {"pads", c.pads},
                        {"dilations", c.dilations},
                        {"group", c.group}});
  if (transposed) a.set("output_padding", c.output_padding.empty() ? Ints(kernel.size(), 0) : c.output_padding);
  return a;
}

std::int64_t out_channels(const ConvCase& c, bool transposed) { return transposed ? c.w[1] * c.group : c.w[0]; }

TEST(Conv, HandComputedStridedPadded) {
  // x = 1..9 on 3x3, kernel of ones 2x2, pad 1 all round, stride 2 -> 2x2 output of window sums.
  Tensor x = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  ConvCase c = conv_case({1, 1, 3, 3}, {1, 1, 2, 2}, {2, 2}, {1, 1, 1, 1}, {1, 1});
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor y = eval1(make_node(OpKind::Conv, conv_attrs(c, false)), {x.cast(dt), w.cast(dt), f64({1}, {0.5}).cast(dt)});
    EXPECT_EQ(y.shape(), Shape({1, 1, 2, 2}));
    // windows: {1}, {2,3}, {4,7}, {5,6,8,9}
    EXPECT_EQ(values(y), (std::vector<double>{1.5, 5.5, 11.5, 28.5})) << dtype_name(dt);
  }
}

TEST(Conv, HandComputedDilatedGrouped) {
  // Two groups of one channel each; dilation 2 on a length-5 signal, kernel [1, -1].
  Tensor x = f64({1, 2, 5}, {0, 1, 2, 3, 4, 10, 20, 30, 40, 50});
  Tensor w = f64({2, 1, 2}, {1, -1, 2, 0});
  ConvCase c = conv_case({1, 2, 5}, {2, 1, 2}, {1}, {0, 0}, {2}, 2);
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor y = eval1(make_node(OpKind::Conv, conv_attrs(c, false)), {x.cast(dt), w.cast(dt), Tensor()});
    EXPECT_EQ(y.shape(), Shape({1, 2, 3}));
    EXPECT_EQ(values(y), (std::vector<double>{-2, -2, -2, 20, 40, 60})) << dtype_name(dt);
  }
}

TEST(ConvTranspose, HandComputedStrideAndOutputPadding) {
  // x = [1, 2], kernel [1,1,1], stride 2: y = [1,1,1+2,2,2]; output_padding 1 appends a 0 (+ bias).
  Tensor x = f64({1, 1, 2}, {1, 2});
  Tensor w = f64({1, 1, 3}, {1, 1, 1});
  ConvCase c = conv_case({1, 1, 2}, {1, 1, 3}, {2}, {0, 0}, {1}, 1, {1});
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor y =
        eval1(make_node(OpKind::ConvTranspose, conv_attrs(c, true)), {x.cast(dt), w.cast(dt), f64({1}, {10}).cast(dt)});
    EXPECT_EQ(values(y), (std::vector<double>{11, 11, 13, 12, 12, 10})) << dtype_name(dt);
  }
  // Pads crop the full output [1,1,3,2,2] by one at each end.
  ConvCase p = conv_case({1, 1, 2}, {1, 1, 3}, {2}, {1, 1}, {1}, 1, {0});
  Tensor y = eval1(make_node(OpKind::ConvTranspose, conv_attrs(p, true)), {x, w, Tensor()});
  EXPECT_EQ(values(y), (std::vector<double>{1, 3, 2}));
}

std::vector<ConvCase> conv_cases() {
  return {
      conv_case({2, 3, 9, 8}, {4, 3, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}),
      conv_case({1, 4, 11, 10}, {6, 2, 3, 2}, {2, 3}, {0, 1, 2, 0}, {1, 2}, 2),
      conv_case({1, 6, 7, 7}, {6, 1, 3, 3}, {1, 1}, {2, 2, 2, 2}, {2, 2}, 6, {}, false),  // depthwise, dilated
      conv_case({2, 2, 13}, {3, 2, 4}, {3}, {2, 1}, {2}),
      conv_case({1, 2, 5, 6, 4}, {2, 2, 2, 3, 2}, {1, 2, 1}, {1, 0, 1, 0, 1, 1}, {1, 1, 2}),
  };
}

std::vector<ConvCase> conv_transpose_cases() {
  return {
      conv_case({2, 3, 5, 4}, {3, 2, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1, {1, 0}),
      conv_case({1, 4, 4, 5}, {4, 3, 2, 3}, {3, 1}, {0, 1, 2, 0}, {1, 2}, 2, {2, 0}),
      conv_case({1, 2, 6}, {2, 2, 3}, {2}, {2, 0}, {2}, 1, {1}),
      conv_case({1, 2, 3, 3, 3}, {2, 1, 2, 2, 2}, {2, 2, 2}, {0, 0, 0, 1, 1, 1}, {1, 1, 1}, 2, {0, 1, 0}),
  };
}

void expect_dnnl_matches_loops(const ConvCase& c, bool transposed, std::uint32_t seed) {
  Node n = make_node(transposed ? OpKind::ConvTranspose : OpKind::Conv, conv_attrs(c, transposed));
  Tensor x = random_tensor(DType::F64, c.x, seed);
  Tensor w = random_tensor(DType::F64, c.w, seed + 1);
  Tensor b = c.bias ? random_tensor(DType::F64, {out_channels(c, transposed)}, seed + 2) : Tensor();
  Tensor y64 = eval1(n, {x, w, b});
  Tensor y32 = eval1(n, {x.cast(DType::F32), w.cast(DType::F32), b.defined() ? b.cast(DType::F32) : Tensor()});
  EXPECT_TRUE(all_close(y32, y64, 1e-5, 1e-5)) << "x " << shape_str(c.x) << " w " << shape_str(c.w);
}

TEST(Conv, OneDnnF32AgreesWithF64Loops) {
  std::uint32_t seed = 100;
  for (const auto& c : conv_cases()) expect_dnnl_matches_loops(c, false, seed += 10);
}

TEST(ConvTranspose, OneDnnF32AgreesWithF64Loops) {
  std::uint32_t seed = 200;
  for (const auto& c : conv_transpose_cases()) expect_dnnl_matches_loops(c, true, seed += 10);
}

// ConvTranspose is the adjoint of Conv: <Conv(x), y> = <x, ConvTranspose(y)> for
// the same weights, strides, pads and dilations (no bias). This checks the
// loops against an identity that does not rely on either implementation.
TEST(ConvTranspose, IsTheAdjointOfConv) {
  ConvCase c = conv_case({1, 4, 9, 7}, {6, 2, 3, 2}, {2, 1}, {1, 0, 0, 1}, {1, 2}, 2, {}, false);
  Tensor x = random_tensor(DType::F64, c.x, 300);
  Tensor w = random_tensor(DType::F64, c.w, 301);
  Tensor cx = eval1(make_node(OpKind::Conv, conv_attrs(c, false)), {x, w, Tensor()});
  Tensor y = random_tensor(DType::F64, cx.shape(), 302);
  // ConvTranspose with W [cin=6, cout/group=2, ...] maps y back to x's shape when the
  // output_padding restores the rows a strided Conv leaves out.
  ConvCase t = c;
  t.x = cx.shape();
  t.output_padding = {(c.x[2] + 1 + 0 - ((3 - 1) * 1 + 1)) % 2, 0};
  Tensor ty = eval1(make_node(OpKind::ConvTranspose, conv_attrs(t, true)), {y, w, Tensor()});
  ASSERT_EQ(ty.shape(), x.shape());
  double lhs = 0, rhs = 0;
  auto cxv = values(cx), yv = values(y), xv = values(x), tyv = values(ty);
  for (std::size_t i = 0; i < cxv.size(); ++i) lhs += cxv[i] * yv[i];
  for (std::size_t i = 0; i < xv.size(); ++i) rhs += xv[i] * tyv[i];
  EXPECT_NEAR(lhs, rhs, 1e-9 * (1 + std::abs(lhs)));
}

TEST(Conv, ZeroInputChannelsGiveTheBias) {
  ConvCase c = conv_case({1, 0, 4, 4}, {2, 0, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1});
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor y = eval1(make_node(OpKind::Conv, conv_attrs(c, false)),
                     {Tensor(dt, c.x), Tensor(dt, c.w), f64({2}, {1.5, -2}).cast(dt)});
    ASSERT_EQ(y.shape(), Shape({1, 2, 4, 4}));
    auto v = values(y);
    for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], i < 16 ? 1.5 : -2) << dtype_name(dt);
  }
}

TEST(ConvFamily, BatchedEqualsPerSample) {
  const std::int64_t batch = 3;
  for (bool transposed : {false, true}) {
    const ConvCase c = transposed ? conv_transpose_cases()[1] : conv_cases()[1];
    Node n = make_node(transposed ? OpKind::ConvTranspose : OpKind::Conv, conv_attrs(c, transposed));
    for (DType dt : {DType::F32, DType::F64}) {
      Tensor w = random_tensor(dt, c.w, 400);
      Tensor b = random_tensor(dt, {out_channels(c, transposed)}, 401);
      std::vector<Tensor> samples, outs;
      for (std::int64_t s = 0; s < batch; ++s) {
        samples.push_back(random_tensor(dt, c.x, 410 + static_cast<std::uint32_t>(s)));
        outs.push_back(eval1(n, {samples.back(), w, b}));
      }
      Tensor y = eval_batched(n, {stack(samples), w, b}, {c.x, c.w, b.shape()}, {true, false, false}, batch);
      EXPECT_TRUE(all_close(y, stack(outs), 1e-6, 1e-6)) << op_name(n.op) << " " << dtype_name(dt);
    }
  }
}

}  // namespace
}  // namespace bf::test
