// Soundness of every interval rule by sampling: random points and all box
// corners of the operand intervals, pushed through the primal op (bf::eval_op),
// must land inside the computed bounds. Also checks exactness where the rule is
// exact (monotone ops, one affine layer at its corners).
#include "bound/interval_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>

#include "ir/shape_inference.h"

namespace bf {
namespace {

struct Operand {
  bool constant = false;
  Shape shape;
  Tensor value;  // constants
};

Operand act(Shape s) { return Operand{false, std::move(s), {}}; }
Operand cst(Tensor t) { return Operand{true, t.shape(), t}; }

Tensor random_tensor(std::mt19937& rng, Shape s, double scale = 1.0, bool positive = false) {
  Tensor t(DType::F64, std::move(s));
  std::uniform_real_distribution<double> d(positive ? 0.2 : -1.0, 1.0);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.mutable_data<double>()[i] = scale * d(rng);
  return t;
}

// Evaluates the op on concrete activation values (batch 1, f64).
Tensor primal(const Node& node, const std::vector<Operand>& ops, const std::vector<Tensor>& acts, const Shape& out) {
  std::vector<ConstOperand> ins;
  std::size_t a = 0;
  for (const auto& op : ops) {
    if (op.constant) {
      ins.push_back({op.value.raw_data(), op.value.dtype(), &op.value.shape(), false});
    } else {
      ins.push_back({acts[a].raw_data(), DType::F64, &op.shape, true});
      ++a;
    }
  }
  Tensor y(DType::F64, out);
  MutOperand o{y.raw_mutable_data(), DType::F64, &y.shape()};
  eval_op(node, ins, std::span<const MutOperand>(&o, 1), 1);
  return y;
}

struct Checked {
  Tensor lower, upper;
  std::int64_t samples = 0;
};

// Random operand intervals, IBP, then sampling (random points + corners of small boxes).
Checked check_sound(OpKind kind, Attributes attrs, std::vector<Operand> ops, std::uint32_t seed = 1,
                    int random_points = 300, double width = 0.5) {
  std::mt19937 rng(seed);
  Node node{kind, "op", std::move(attrs), {}, {0}};
  std::vector<const TensorType*> types;
  std::vector<TensorType> storage;
  storage.reserve(ops.size());
  for (const auto& op : ops) storage.push_back({op.constant ? op.value.dtype() : DType::F64, op.shape});
  for (auto& t : storage) types.push_back(&t);
  for (std::size_t i = 0; i < ops.size(); ++i) node.inputs.push_back(static_cast<ValueId>(i + 1));
  const Shape out_shape = infer_output_types(kind, node.attrs, types)[0].shape;

  std::vector<Tensor> lows, highs;
  std::vector<IbpOperand> ibp;
  for (const auto& op : ops) {
    IbpOperand o;
    o.shape = &op.shape;
    if (op.constant) {
      o.is_constant = true;
      o.constant = &op.value;
    } else {
      Tensor c = random_tensor(rng, op.shape);
      Tensor r = random_tensor(rng, op.shape, width, true);
      Tensor lo(DType::F64, op.shape), hi(DType::F64, op.shape);
      for (std::int64_t i = 0; i < c.numel(); ++i) {
        lo.mutable_data<double>()[i] = c.data<double>()[i] - r.data<double>()[i];
        hi.mutable_data<double>()[i] = c.data<double>()[i] + r.data<double>()[i];
      }
      lows.push_back(lo);
      highs.push_back(hi);
    }
    ibp.push_back(o);
  }
  std::size_t a = 0;
  for (auto& o : ibp) {
    if (!o.is_constant) {
      o.bounds = {lows[a].raw_data(), highs[a].raw_data()};
      ++a;
    }
  }
  Checked result{Tensor(DType::F64, out_shape), Tensor(DType::F64, out_shape)};
  IntervalOut out{result.lower.raw_mutable_data(), result.upper.raw_mutable_data()};
  const Shape* shapes[] = {&out_shape};
  AbsWeightCache cache;
  std::vector<std::byte> scratch_mem(static_cast<std::size_t>(ibp_scratch_bytes(node, ibp, shapes, DType::F64, 1)) +
                                     64);
  void* base = scratch_mem.data();
  std::size_t space = scratch_mem.size();
  std::align(64, 1, base, space);
  IbpScratch scratch(base, ibp_scratch_bytes(node, ibp, shapes, DType::F64, 1));
  ibp_eval_op(node, ibp, std::span<const IntervalOut>(&out, 1), shapes, DType::F64, 1, cache, scratch);
  EXPECT_EQ(scratch.used(), ibp_scratch_bytes(node, ibp, shapes, DType::F64, 1))
      << "scratch promise for " << op_name(kind);

  auto check_point = [&](const std::vector<Tensor>& acts) {
    Tensor y = primal(node, ops, acts, out_shape);
    for (std::int64_t i = 0; i < y.numel(); ++i) {
      const double v = y.data<double>()[i], l = result.lower.data<double>()[i], u = result.upper.data<double>()[i];
      const double slack = 1e-9 * (1.0 + std::fabs(v));
      ASSERT_LE(l, v + slack) << op_name(kind) << " element " << i << " lower " << l << " > value " << v;
      ASSERT_GE(u, v - slack) << op_name(kind) << " element " << i << " upper " << u << " < value " << v;
    }
    ++result.samples;
  };
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int s = 0; s < random_points; ++s) {
    std::vector<Tensor> acts;
    for (std::size_t k = 0; k < lows.size(); ++k) {
      Tensor x(DType::F64, lows[k].shape());
      for (std::int64_t i = 0; i < x.numel(); ++i) {
        const double l = lows[k].data<double>()[i], u = highs[k].data<double>()[i];
        // Half the points on a random corner of the box, half inside.
        x.mutable_data<double>()[i] = s % 2 ? (unit(rng) < 0.5 ? l : u) : l + (u - l) * unit(rng);
      }
      acts.push_back(x);
    }
    check_point(acts);
    if (::testing::Test::HasFatalFailure()) return result;
  }
  return result;
}

Attributes ints(std::initializer_list<std::pair<const char*, std::vector<std::int64_t>>> kv) {
  Attributes a;
  for (const auto& [k, v] : kv) a.set(k, v);
  return a;
}

std::mt19937 g_rng(42);

TEST(IntervalOps, AffineAndGemmAndMatMul) {
  check_sound(OpKind::Affine, {}, {act({2, 5}), cst(random_tensor(g_rng, {4, 5})), cst(random_tensor(g_rng, {4}))});
  Attributes gemm;
  gemm.set("alpha", -0.7);
  gemm.set("beta", 1.3);
  gemm.set("transB", std::int64_t{1});
  check_sound(OpKind::Gemm, gemm, {act({2, 5}), cst(random_tensor(g_rng, {3, 5})), cst(random_tensor(g_rng, {3}))});
  Attributes gemm_b;
  gemm_b.set("transA", std::int64_t{1});
  check_sound(OpKind::Gemm, gemm_b, {cst(random_tensor(g_rng, {5, 2})), act({5, 3})});
  check_sound(OpKind::MatMul, {}, {act({3, 4}), cst(random_tensor(g_rng, {4, 2}))});
  check_sound(OpKind::MatMul, {}, {cst(random_tensor(g_rng, {2, 4})), act({4})});
  check_sound(OpKind::MatMul, {}, {act({2, 3}), act({3, 2})});
}

TEST(IntervalOps, AffineIsExactAtTheCorners) {
  // One affine map attains its IBP bounds at corners of the input box:
  // x in [-1,2] x [0,1] x [3,4], y = x - 2 x' + 0.5 x'' + 0.25 ranges over [-1.25, 4.25].
  Tensor lo = Tensor::from_vector<double>({1, 3}, {-1, 0, 3});
  Tensor hi = Tensor::from_vector<double>({1, 3}, {2, 1, 4});
  Tensor w = Tensor::from_vector<double>({1, 3}, {1, -2, 0.5});
  Tensor b = Tensor::from_vector<double>({1}, {0.25});
  Shape xs{1, 3}, ys{1, 1};
  IbpOperand ins[] = {
      {false, {lo.raw_data(), hi.raw_data()}, nullptr, &xs}, {true, {}, &w, &w.shape()}, {true, {}, &b, &b.shape()}};
  Tensor ol(DType::F64, ys), oh(DType::F64, ys);
  IntervalOut out{ol.raw_mutable_data(), oh.raw_mutable_data()};
  const Shape* shapes[] = {&ys};
  AbsWeightCache cache;
  Node affine{OpKind::Affine, "fc", {}, {1, 2, 3}, {4}};
  std::vector<double> scratch_mem(64);
  IbpScratch scratch(scratch_mem.data(), 64 * 8);
  ibp_eval_op(affine, ins, std::span<const IntervalOut>(&out, 1), shapes, DType::F64, 1, cache, scratch);
  EXPECT_EQ(ol.data<double>()[0], -1.25);
  EXPECT_EQ(oh.data<double>()[0], 4.25);
}

TEST(IntervalOps, ConvolutionsAndBatchNorm) {
  Attributes conv =
      ints({{"kernel_shape", {3, 3}}, {"strides", {2, 1}}, {"pads", {1, 0, 1, 2}}, {"dilations", {1, 2}}});
  conv.set("group", std::int64_t{2});
  check_sound(OpKind::Conv, conv,
              {act({1, 4, 6, 7}), cst(random_tensor(g_rng, {6, 2, 3, 3})), cst(random_tensor(g_rng, {6}))}, 2, 60);
  Attributes deconv = ints({{"kernel_shape", {2, 2}},
                            {"strides", {2, 2}},
                            {"pads", {0, 0, 0, 0}},
                            {"dilations", {1, 1}},
                            {"output_padding", {1, 0}}});
  deconv.set("group", std::int64_t{1});
  check_sound(OpKind::ConvTranspose, deconv, {act({1, 2, 3, 3}), cst(random_tensor(g_rng, {2, 3, 2, 2}))}, 3, 60);
  Attributes bn;
  bn.set("epsilon", 1e-3);
  check_sound(OpKind::BatchNormalization, bn,
              {act({1, 3, 2, 2}), cst(random_tensor(g_rng, {3})), cst(random_tensor(g_rng, {3})),
               cst(random_tensor(g_rng, {3})), cst(random_tensor(g_rng, {3}, 1.0, true))});
  check_sound(OpKind::ScaleShift, {}, {act({2, 3}), cst(random_tensor(g_rng, {3})), cst(random_tensor(g_rng, {2, 1}))});
}

TEST(IntervalOps, Arithmetic) {
  for (OpKind k : {OpKind::Add, OpKind::Sub, OpKind::Mul}) {
    check_sound(k, {}, {act({2, 3}), act({3})});
    check_sound(k, {}, {act({2, 3}), cst(random_tensor(g_rng, {2, 1}))});
    check_sound(k, {}, {cst(random_tensor(g_rng, {3})), act({2, 3})});
  }
  check_sound(OpKind::Div, {}, {act({2, 3}), cst(random_tensor(g_rng, {3}, 1.0, true))});
  check_sound(OpKind::Div, {}, {act({4}), act({4})}, 9, 300, 0.3);
  check_sound(OpKind::Neg, {}, {act({5})});
}

TEST(IntervalOps, DivisorStraddlingZeroIsUnbounded) {
  Checked c = check_sound(OpKind::Div, {}, {act({64}), act({64})}, 11, 50, 2.0);
  int unbounded = 0;
  for (std::int64_t i = 0; i < c.lower.numel(); ++i) unbounded += std::isinf(c.lower.data<double>()[i]) ? 1 : 0;
  EXPECT_GT(unbounded, 0);
}

TEST(IntervalOps, ActivationsAreExactOnMonotoneOps) {
  for (OpKind k : {OpKind::Relu, OpKind::Sigmoid, OpKind::Tanh}) check_sound(k, {}, {act({3, 4})});
  Attributes clip;
  clip.set("min", -0.2);
  clip.set("max", 0.3);
  check_sound(OpKind::Clip, clip, {act({6})});
  Attributes leaky;
  leaky.set("alpha", 0.1);
  check_sound(OpKind::LeakyRelu, leaky, {act({6})});
  leaky.set("alpha", -0.5);
  check_sound(OpKind::LeakyRelu, leaky, {act({16})});
  Attributes softmax = ints({{"axes", {1}}});
  check_sound(OpKind::Softmax, softmax, {act({2, 4})});
  check_sound(OpKind::Softmax, ints({{"axes", {1, 2}}}), {act({2, 2, 3})});
}

TEST(IntervalOps, PoolingReductionsAndDataMovement) {
  Attributes pool =
      ints({{"kernel_shape", {2, 2}}, {"strides", {2, 2}}, {"pads", {1, 1, 0, 0}}, {"dilations", {1, 1}}});
  check_sound(OpKind::MaxPool, pool, {act({1, 2, 4, 5})});
  Attributes avg = ints({{"kernel_shape", {2, 2}}, {"strides", {2, 2}}, {"pads", {1, 1, 0, 0}}});
  avg.set("count_include_pad", std::int64_t{1});
  check_sound(OpKind::AveragePool, avg, {act({1, 2, 4, 5})});
  check_sound(OpKind::GlobalAveragePool, {}, {act({1, 3, 2, 2})});
  Attributes red = ints({{"axes", {1}}});
  red.set("keepdims", std::int64_t{0});
  check_sound(OpKind::ReduceSum, red, {act({2, 3, 2})});
  check_sound(OpKind::ReduceMean, red, {act({2, 3, 2})});
  check_sound(OpKind::Transpose, ints({{"perm", {1, 0, 2}}}), {act({2, 3, 2})});
  Attributes pad = ints({{"pads", {0, 1, 1, 0}}});
  pad.set("value", 0.5);
  check_sound(OpKind::Pad, pad, {act({2, 3})});
  Attributes concat;
  concat.set("axis", std::int64_t{0});
  check_sound(OpKind::Concat, concat, {act({1, 3}), cst(random_tensor(g_rng, {2, 3})), act({1, 3})});
  Attributes gather;
  gather.set("axis", std::int64_t{1});
  check_sound(OpKind::Gather, gather, {act({2, 4}), cst(Tensor::from_vector<std::int64_t>({3}, {3, 0, 3}))});
  check_sound(OpKind::Slice, ints({{"starts", {3}}, {"ends", {0}}, {"axes", {1}}, {"steps", {-2}}}), {act({2, 5})});
}

TEST(IntervalOps, MonotoneRuleEqualsOpOnEachBound) {
  // Relu of [l, u] is exactly [relu(l), relu(u)].
  Tensor lo = Tensor::from_vector<double>({3}, {-2.0, -1.0, 0.5});
  Tensor hi = Tensor::from_vector<double>({3}, {-1.0, 3.0, 4.0});
  Shape s{3};
  IbpOperand in{false, {lo.raw_data(), hi.raw_data()}, nullptr, &s};
  Tensor ol(DType::F64, s), oh(DType::F64, s);
  IntervalOut out{ol.raw_mutable_data(), oh.raw_mutable_data()};
  const Shape* shapes[] = {&s};
  AbsWeightCache cache;
  Node relu{OpKind::Relu, "r", {}, {1}, {2}};
  IbpScratch none(nullptr, 0);
  ibp_eval_op(relu, std::span<const IbpOperand>(&in, 1), std::span<const IntervalOut>(&out, 1), shapes, DType::F64, 1,
              cache, none);
  EXPECT_EQ(ol.to_vector<double>(), (std::vector<double>{0.0, 0.0, 0.5}));
  EXPECT_EQ(oh.to_vector<double>(), (std::vector<double>{0.0, 3.0, 4.0}));
}

TEST(IntervalOps, AbsWeightsArePreparedOnce) {
  AbsWeightCache cache;
  Tensor w = Tensor::from_vector<float>({2}, {-1.5f, 2.0f});
  const Tensor& a = cache.abs_of(w);
  const Tensor& b = cache.abs_of(w);
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1.5f, 2.0f}));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(IntervalOps, AbsWeightCacheKeysOnShapeToo) {
  AbsWeightCache cache;
  Tensor w = Tensor::from_vector<float>({2, 2}, {-1, 2, -3, 4});
  Tensor view = w.reshaped({4});  // same storage, another shape
  EXPECT_EQ(cache.abs_of(w).shape(), (Shape{2, 2}));
  EXPECT_EQ(cache.abs_of(view).shape(), (Shape{4}));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(IntervalOps, BoundsNearTheTopOfTheFloatRangeStaySound) {
  // (u + l) / 2 overflows for l = 2e38, u = 3e38; the rule must not turn that into
  // an infinite lower bound.
  Tensor lo = Tensor::from_vector<float>({1, 1}, {2e38f});
  Tensor hi = Tensor::from_vector<float>({1, 1}, {3e38f});
  Tensor w = Tensor::from_vector<float>({1, 1}, {1.0f});
  Shape xs{1, 1};
  IbpOperand ins[] = {{false, {lo.raw_data(), hi.raw_data()}, nullptr, &xs}, {true, {}, &w, &w.shape()}};
  Tensor ol(DType::F32, xs), oh(DType::F32, xs);
  IntervalOut out{ol.raw_mutable_data(), oh.raw_mutable_data()};
  const Shape* shapes[] = {&xs};
  AbsWeightCache cache;
  Node affine{OpKind::Affine, "fc", {}, {1, 2}, {3}};
  std::vector<float> scratch_mem(64);
  IbpScratch scratch(scratch_mem.data(), 256);
  ibp_eval_op(affine, ins, std::span<const IntervalOut>(&out, 1), shapes, DType::F32, 1, cache, scratch);
  // Finite, and the box recovered up to float rounding (docs/soundness.md).
  EXPECT_TRUE(std::isfinite(ol.data<float>()[0]));
  EXPECT_NEAR(ol.data<float>()[0], 2e38f, 2e38f * 1e-6f);
  EXPECT_NEAR(oh.data<float>()[0], 3e38f, 3e38f * 1e-6f);
}

TEST(IntervalOps, ConstantOnlyOpIsAPointInterval) {
  // A node computing a graph output from constants alone (constant folding keeps it).
  Tensor a = Tensor::from_vector<double>({2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector<double>({2}, {1, -1});
  Shape ys{2};
  IbpOperand ins[] = {{true, {}, &a, &a.shape()}, {true, {}, &b, &b.shape()}};
  Tensor ol(DType::F64, ys), oh(DType::F64, ys);
  IntervalOut out{ol.raw_mutable_data(), oh.raw_mutable_data()};
  const Shape* shapes[] = {&ys};
  AbsWeightCache cache;
  IbpScratch none(nullptr, 0);
  Node mm{OpKind::MatMul, "mm", {}, {1, 2}, {3}};
  ibp_eval_op(mm, ins, std::span<const IntervalOut>(&out, 1), shapes, DType::F64, 1, cache, none);
  EXPECT_EQ(ol.to_vector<double>(), (std::vector<double>{-1, -1}));
  EXPECT_EQ(oh.to_vector<double>(), (std::vector<double>{-1, -1}));
}

TEST(IntervalOps, ConvolutionWithActivationWeightsIsRejected) {
  Attributes conv =
      ints({{"kernel_shape", {1, 1}}, {"strides", {1, 1}}, {"pads", {0, 0, 0, 0}}, {"dilations", {1, 1}}});
  conv.set("group", std::int64_t{1});
  EXPECT_THROW(check_sound(OpKind::Conv, conv, {act({1, 1, 2, 2}), act({1, 1, 1, 1})}), Error);
}

}  // namespace
}  // namespace bf
