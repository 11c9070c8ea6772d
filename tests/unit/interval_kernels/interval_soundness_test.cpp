// Sampling soundness of the fast kernels: concrete inputs drawn from the input box
// (random interior points and random corners), pushed through the primal layer and
// activation in f64 (bf::eval_op), land inside the f32 bounds the kernels compute,
// up to a float rounding slack of 1e-5 (1 + |y|).
#include <gtest/gtest.h>

#include "interval_reference.h"
#include "kernels/interval/interval_affine.h"
#include "kernels/interval/interval_conv.h"

namespace bf {
namespace {

using test::Box;

// y = act(layer(x)) in f64 for one batch of concrete inputs x (f64, batch x x_shape).
std::vector<double> primal(const Node& layer, const std::optional<Node>& act, const Shape& x_shape, const Tensor& w,
                           const Tensor& b, std::int64_t batch, const std::vector<double>& x) {
  const Tensor w64 = w.cast(DType::F64), b64 = b.cast(DType::F64);
  const TensorType xt{DType::F64, x_shape}, wt{DType::F64, w.shape()}, bt{DType::F64, b.shape()};
  const Shape out_shape = infer_output_types(layer.op, layer.attrs, {&xt, &wt, &bt}).at(0).shape;
  std::vector<double> y(static_cast<std::size_t>(batch * numel(out_shape)));
  const ConstOperand ins[] = {{x.data(), DType::F64, &x_shape, true},
                              {w64.raw_data(), DType::F64, &w64.shape(), false},
                              {b64.raw_data(), DType::F64, &b64.shape(), false}};
  MutOperand out{y.data(), DType::F64, &out_shape};
  eval_op(layer, ins, std::span<const MutOperand>(&out, 1), batch);
  if (act) {
    const std::vector<double> pre = y;
    const ConstOperand a{pre.data(), DType::F64, &out_shape, true};
    eval_op(*act, std::span<const ConstOperand>(&a, 1), std::span<const MutOperand>(&out, 1), batch);
  }
  return y;
}

// Draws `points` inputs from `in` and checks every output against `bounds`.
void expect_contains(const Node& layer, const std::optional<Node>& act, const Shape& x_shape, const Tensor& w,
                     const Tensor& b, std::int64_t batch, const Box& in, const Box& bounds, int points) {
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> x(in.lower.size());
  for (int s = 0; s < points; ++s) {
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double l = in.lower[i], u = in.upper[i];
      x[i] = s % 2 ? (unit(rng) < 0.5 ? l : u) : l + (u - l) * unit(rng);
    }
    const std::vector<double> y = primal(layer, act, x_shape, w, b, batch, x);
    ASSERT_EQ(y.size(), bounds.lower.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      const double slack = 1e-5 * (1.0 + std::fabs(y[i]));
      ASSERT_LE(bounds.lower[i], y[i] + slack) << "point " << s << " element " << i;
      ASSERT_GE(bounds.upper[i], y[i] - slack) << "point " << s << " element " << i;
    }
  }
}

TEST(IntervalSoundness, AffineBoundsContainSampledOutputs) {
  const Node affine{OpKind::Affine, "affine", {}, {1, 2, 3}, {4}};
  for (std::int64_t m : {1, 3, 17}) {
    const Tensor w = test::random_weights({23, 45}, 7, 0.15);
    const Tensor b = test::random_weights({23}, 8, 0.5);
    const Box in = test::random_box(m * 45, 9, 0.2);
    for (const auto& act : test::fusable_activations()) {
      SCOPED_TRACE("M=" + std::to_string(m) + " " + test::activation_label(act));
      const IntervalAffineF32 kernel(w, &b, m, test::epilogue_of(act));
      Box out{std::vector<float>(static_cast<std::size_t>(m * 23)),
              std::vector<float>(static_cast<std::size_t>(m * 23))};
      test::AlignedBuffer scratch(kernel.scratch_bytes());
      kernel.run(in.lower.data(), in.upper.data(), out.lower.data(), out.upper.data(), scratch.data());
      expect_contains(affine, act, {45}, w, b, m, in, out, 200);
    }
  }
}

TEST(IntervalSoundness, ConvBoundsContainSampledOutputs) {
  Attributes attrs;
  attrs.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  attrs.set("strides", std::vector<std::int64_t>{2, 1});
  attrs.set("pads", std::vector<std::int64_t>{1, 0, 1, 2});
  attrs.set("dilations", std::vector<std::int64_t>{1, 2});
  attrs.set("group", std::int64_t{2});
  const Node conv{OpKind::Conv, "conv", attrs, {1, 2, 3}, {4}};
  const Shape x_shape{1, 4, 8, 7};
  const Tensor w = test::random_weights({6, 2, 3, 3}, 3, 0.25);
  const Tensor b = test::random_weights({6}, 4, 0.5);
  for (auto formats : {IntervalConvF32::Formats::ChannelsLast, IntervalConvF32::Formats::Plain,
                       IntervalConvF32::Formats::OneDnnChoice}) {
    for (std::int64_t batch : {1, 3}) {
      const Box in = test::random_box(batch * numel(x_shape), 5, 0.2);
      for (const auto& act : test::fusable_activations()) {
        SCOPED_TRACE("batch " + std::to_string(batch) + " " + test::activation_label(act));
        const IntervalConvF32 kernel(attrs, x_shape, batch, w, &b, test::epilogue_of(act), formats);
        const auto n = static_cast<std::size_t>(batch * numel(kernel.output_shape()));
        Box out{std::vector<float>(n), std::vector<float>(n)};
        test::AlignedBuffer scratch(kernel.scratch_bytes());
        kernel.run(in.lower.data(), in.upper.data(), out.lower.data(), out.upper.data(), scratch.data());
        expect_contains(conv, act, x_shape, w, b, batch, in, out, 100);
      }
    }
  }
}

}  // namespace
}  // namespace bf
