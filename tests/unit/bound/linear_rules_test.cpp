// CROWN's backward rules, op by op, against the op itself: for random lower
// and upper A over an op's output, the rule's A over its inputs (plus bias)
// must bound A·op(x) from the right side at random points x of the input box
// (in f64). For linear ops both sides are equalities. Also: every op has a rule
// or a reason, relaxations are sound by sampling, and rows over spatial windows
// give exactly what dense rows give.
#include "bound/linear/linear_rules.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "bound/linear/backward.h"
#include "bound/linear/linear_geometry.h"
#include "bound/linear/relaxation.h"
#include "bound/linear/s_shaped.h"
#include "ir/shape_inference.h"
#include "kernels/op_eval.h"
#include "support/test_graphs.h"

namespace bf {
namespace {

TEST(LinearRules, EveryOpHasARuleOrAReason) {
  for (int i = 0; i < kNumOpKinds; ++i) {
    const auto op = static_cast<OpKind>(i);
    const LinearRule& r = linear_rule(op);
    EXPECT_EQ(r.op, op);
    EXPECT_TRUE((r.backward != nullptr) != (r.unsupported != nullptr)) << op_name(op);
    EXPECT_EQ(r.backward != nullptr, r.dual != nullptr) << op_name(op) << ": a backward rule needs its dual";
    if (r.unsupported) {
      EXPECT_GT(std::string(r.unsupported).size(), 20u) << op_name(op);
    }
  }
  // The ops the CROWN issue lists all have rules.
  for (OpKind op : {OpKind::Gemm,       OpKind::MatMul,        OpKind::Affine,
                    OpKind::Conv,       OpKind::ConvTranspose, OpKind::Add,
                    OpKind::Sub,        OpKind::Mul,           OpKind::Div,
                    OpKind::ScaleShift, OpKind::Relu,          OpKind::LeakyRelu,
                    OpKind::Clip,       OpKind::Sigmoid,       OpKind::Tanh,
                    OpKind::MaxPool,    OpKind::AveragePool,   OpKind::GlobalAveragePool,
                    OpKind::Pad,        OpKind::Reshape,       OpKind::Flatten,
                    OpKind::Transpose,  OpKind::Concat,        OpKind::Slice,
                    OpKind::Squeeze,    OpKind::Unsqueeze,     OpKind::Gather}) {
    EXPECT_NE(linear_rule(op).backward, nullptr) << op_name(op);
  }
}

// One op over activation operands with given shapes (and constants), in f64.
struct OpCase {
  std::string name;
  Graph g;
  NodeId node = -1;
  std::vector<ValueId> activations;  // operand values that are activations
  bool exact = true;                 // linear: both sides equalities
  double lo = -1.0, hi = 1.0;        // input boxes drawn inside [lo, hi]
};

Tensor random_tensor(const Shape& s, std::mt19937& rng, double scale = 1.0) {
  std::uniform_real_distribution<double> d(-scale, scale);
  Tensor t(DType::F64, s);
  double* p = t.mutable_data<double>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = d(rng);
  return t;
}

OpCase make_case(std::string name, OpKind op, Attributes attrs, std::vector<Shape> activation_shapes,
                 std::vector<std::pair<std::size_t, Shape>> constants, std::uint32_t seed = 1) {
  OpCase c;
  c.name = std::move(name);
  std::mt19937 rng(seed);
  const std::size_t n = activation_shapes.size() + constants.size();
  std::vector<ValueId> inputs(n, kNoValue);
  std::size_t next_act = 0;
  std::vector<bool> is_const(n, false);
  for (const auto& [pos, shape] : constants) is_const[pos] = true;
  for (std::size_t i = 0; i < n; ++i) {
    if (is_const[i]) continue;
    inputs[i] = c.g.add_input("x" + std::to_string(i), {DType::F64, activation_shapes.at(next_act++)});
    c.activations.push_back(inputs[i]);
  }
  for (const auto& [pos, shape] : constants) {
    Tensor t = random_tensor(shape, rng);
    if (op == OpKind::Gather) {
      std::vector<std::int64_t> idx(static_cast<std::size_t>(numel(shape)));
      for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = static_cast<std::int64_t>((k * 3 + 1) % 4);
      t = Tensor::from_vector<std::int64_t>(shape, idx);
    }
    if (op == OpKind::Div) {
      double* p = t.mutable_data<double>();
      for (std::int64_t k = 0; k < t.numel(); ++k) p[k] = p[k] >= 0 ? p[k] + 0.5 : p[k] - 0.5;
    }
    inputs[pos] = c.g.add_constant("c" + std::to_string(pos), t);
  }
  c.g.add_inferred_node(op, "op", std::move(attrs), inputs, {"y"});
  c.node = 0;
  c.g.add_output(c.g.nodes()[0].outputs[0]);
  return c;
}

// Runs the rule on random A and checks it against the op at random points.
void check_rule(const OpCase& c, std::int64_t batch = 2, std::int64_t rows = 3, std::uint32_t seed = 7) {
  SCOPED_TRACE(c.name);
  const Graph& g = c.g;
  const Node& node = g.node(c.node);
  const Shape& ys = g.type(node.outputs[0]).shape;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  // Input boxes per activation operand and sample.
  std::map<ValueId, std::pair<Tensor, Tensor>> box;
  for (ValueId v : c.activations) {
    const std::int64_t n = batch * g.type(v).numel();
    Tensor l(DType::F64, {n}), u(DType::F64, {n});
    for (std::int64_t k = 0; k < n; ++k) {
      double a = c.lo + (c.hi - c.lo) * unit(rng), b = c.lo + (c.hi - c.lo) * unit(rng);
      l.mutable_data<double>()[k] = std::min(a, b);
      u.mutable_data<double>()[k] = std::max(a, b);
    }
    box[v] = {l, u};
  }
  // Relaxation planes of a nonlinear op.
  const std::int64_t relax_n = relaxation_elements(node, g.type(node.inputs[0]).shape, ys);
  std::vector<Tensor> relax_planes;
  void* planes[4] = {};
  if (relax_n > 0) {
    for (int k = 0; k < 4; ++k) {
      relax_planes.emplace_back(DType::F64, Shape{batch * relax_n});
      planes[k] = relax_planes.back().raw_mutable_data();
    }
    const auto& b0 = box.at(node.inputs[0]);
    compute_relaxation(node, DType::F64, batch, g.type(node.inputs[0]).shape, ys,
                       {b0.first.raw_data(), b0.second.raw_data()}, planes);
  }

  // Rows: (sample, element) pairs; A_out random on both sides.
  std::vector<std::int64_t> neurons, samples;
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t r = 0; r < rows; ++r) {
      neurons.push_back(r % numel(ys));
      samples.push_back(b);
    }
  }
  SweepChunk chunk;
  chunk.batch = batch;
  chunk.rows = batch * rows;
  chunk.row_capacity = chunk.rows;
  chunk.neurons = neurons.data();
  chunk.samples = samples.data();
  const std::int64_t e_out = numel(ys);
  Tensor a_out = random_tensor({2 * chunk.rows * e_out}, rng);
  if (c.exact) {  // the same A on both sides: both bounds must then be equalities
    std::copy(a_out.data<double>(), a_out.data<double>() + chunk.rows * e_out,
              a_out.mutable_data<double>() + chunk.rows * e_out);
  }
  LinearView out;
  out.lower = a_out.raw_mutable_data();
  out.upper = a_out.mutable_data<double>() + chunk.rows * e_out;
  out.window = whole_value_window(ys);
  out.value_shape = ys;
  out.elements = e_out;

  std::vector<LinearTarget> targets(node.inputs.size());
  std::vector<const Tensor*> constants(node.inputs.size(), nullptr);
  std::vector<const Shape*> shapes(node.inputs.size(), nullptr);
  std::map<ValueId, Tensor> a_in;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const ValueId v = node.inputs[i];
    if (v == kNoValue) continue;
    shapes[i] = &g.type(v).shape;
    if (g.is_constant(v)) {
      constants[i] = &g.constant(v);
      continue;
    }
    auto [it, fresh] = a_in.try_emplace(v, DType::F64, Shape{2 * chunk.rows * g.type(v).numel()});
    targets[i].view.lower = it->second.raw_mutable_data();
    targets[i].view.upper = it->second.mutable_data<double>() + chunk.rows * g.type(v).numel();
    targets[i].view.window = whole_value_window(g.type(v).shape);
    targets[i].view.value_shape = g.type(v).shape;
    targets[i].view.elements = g.type(v).numel();
    targets[i].active = true;
    targets[i].accumulate = !fresh;  // a second operand reading the same value adds
  }
  Tensor bias(DType::F64, {2 * chunk.rows});
  BiasView bv{bias.raw_mutable_data(), bias.mutable_data<double>() + chunk.rows};
  RelaxView relax{planes[0], planes[1], planes[2], planes[3]};
  BackwardArgs args{node, chunk, DType::F64, out, targets, constants, shapes, bv, relax};
  prepare_targets(args);
  linear_rule(node.op).backward(args);

  // Random points of each sample's box through the op.
  double worst = 0.0;
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<Tensor> xs;
    std::vector<ConstOperand> ins;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const ValueId v = node.inputs[i];
      if (v == kNoValue) {
        ins.push_back({nullptr, DType::F64, nullptr, false});
      } else if (g.is_constant(v)) {
        const Tensor& t = g.constant(v);
        ins.push_back({t.raw_data(), t.dtype(), &t.shape(), false});
      }
      if (v == kNoValue || g.is_constant(v)) continue;
      const auto& [l, u] = box.at(v);
      Tensor x(DType::F64, {l.numel()});
      for (std::int64_t k = 0; k < l.numel(); ++k) {
        const double t = trial == 0 ? 0.0 : trial == 1 ? 1.0 : unit(rng);
        x.mutable_data<double>()[k] = l.data<double>()[k] + t * (u.data<double>()[k] - l.data<double>()[k]);
      }
      xs.push_back(x);
      ins.push_back({xs.back().raw_data(), DType::F64, &g.type(v).shape, true});
    }
    // xs may have moved: refresh the data pointers.
    std::size_t xi = 0;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const ValueId v = node.inputs[i];
      if (v != kNoValue && !g.is_constant(v)) ins[i].data = xs[xi++].raw_data();
    }
    Tensor y(DType::F64, {batch * e_out});
    MutOperand o{y.raw_mutable_data(), DType::F64, &ys};
    eval_op(node, ins, std::span<const MutOperand>(&o, 1), batch);
    for (std::int64_t r = 0; r < chunk.rows; ++r) {
      const std::int64_t b = samples[static_cast<std::size_t>(r)];
      for (int side = 0; side < 2; ++side) {
        const double* ar =
            (side == 0 ? static_cast<const double*>(out.lower) : static_cast<const double*>(out.upper)) + r * e_out;
        double lhs = 0.0;
        for (std::int64_t k = 0; k < e_out; ++k) lhs += ar[k] * y.data<double>()[b * e_out + k];
        double rhs = bias.data<double>()[side * chunk.rows + r];
        xi = 0;
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
          const ValueId v = node.inputs[i];
          if (v == kNoValue || g.is_constant(v)) continue;
          const Tensor& x = xs[xi++];
          if (i > 0 && node.inputs[i - 1] == v) continue;  // the same value twice: one A
          const std::int64_t n = g.type(v).numel();
          const double* ai = a_in.at(v).data<double>() + side * chunk.rows * n + r * n;
          for (std::int64_t k = 0; k < n; ++k) rhs += ai[k] * x.data<double>()[b * n + k];
        }
        const double tol = 1e-9 * (1.0 + std::fabs(lhs));
        if (side == 0) {
          ASSERT_GE(lhs, rhs - tol) << "lower side, row " << r;
        } else {
          ASSERT_LE(lhs, rhs + tol) << "upper side, row " << r;
        }
        if (c.exact) {
          ASSERT_NEAR(lhs, rhs, tol) << "side " << side << " row " << r;
        }
        worst = std::max(worst, std::fabs(lhs - rhs));
      }
    }
  }
  if (!c.exact) {
    EXPECT_GT(worst, 0.0) << "a relaxation that is never slack: the test may not be testing anything";
  }
}

Attributes conv_attrs(std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t group = 1, std::int64_t dil = 1) {
  Attributes a = test::conv2d_attrs(k, s, p, group);
  a.set("dilations", std::vector<std::int64_t>{dil, dil});
  return a;
}

TEST(LinearRules, LinearOpsAreExact) {
  Attributes gemm;
  gemm.set("alpha", 0.7);
  gemm.set("beta", 1.3);
  gemm.set("transA", std::int64_t{0});
  gemm.set("transB", std::int64_t{1});
  Attributes gemm_ta = gemm;
  gemm_ta.set("transA", std::int64_t{1});
  gemm_ta.set("transB", std::int64_t{0});
  Attributes ct = conv_attrs(3, 2, 1);
  ct.set("output_padding", std::vector<std::int64_t>{1, 1});
  Attributes bn;
  bn.set("epsilon", 1e-3);
  check_rule(make_case("affine", OpKind::Affine, {}, {{1, 6}}, {{1, {4, 6}}, {2, {4}}}));
  check_rule(make_case("affine_3d", OpKind::Affine, {}, {{1, 3, 6}}, {{1, {4, 6}}, {2, {4}}}));
  check_rule(make_case("gemm_a", OpKind::Gemm, gemm, {{1, 5}}, {{1, {3, 5}}, {2, {3}}}));
  check_rule(make_case("gemm_b", OpKind::Gemm, gemm_ta, {{4, 3}}, {{0, {4, 2}}, {2, {2, 3}}}));
  check_rule(make_case("matmul_left", OpKind::MatMul, {}, {{1, 2, 5}}, {{1, {5, 3}}}));
  check_rule(make_case("matmul_right", OpKind::MatMul, {}, {{5, 3}}, {{0, {2, 5}}}));
  check_rule(make_case("conv", OpKind::Conv, conv_attrs(3, 1, 1), {{1, 2, 5, 5}}, {{1, {3, 2, 3, 3}}, {2, {3}}}));
  check_rule(make_case("conv_strided", OpKind::Conv, conv_attrs(4, 2, 1), {{1, 2, 6, 6}}, {{1, {3, 2, 4, 4}}}));
  check_rule(make_case("conv_grouped_dilated", OpKind::Conv, conv_attrs(3, 1, 2, 2, 2), {{1, 4, 5, 5}},
                       {{1, {4, 2, 3, 3}}, {2, {4}}}));
  check_rule(make_case("conv_transpose", OpKind::ConvTranspose, ct, {{1, 2, 3, 3}}, {{1, {2, 3, 3, 3}}, {2, {3}}}));
  check_rule(make_case("add_const", OpKind::Add, {}, {{1, 2, 3}}, {{1, {2, 1}}}));
  check_rule(make_case("add_two", OpKind::Add, {}, {{1, 4}, {1, 4}}, {}));
  check_rule(make_case("add_broadcast", OpKind::Add, {}, {{1, 2, 3}, {1, 3}}, {}));
  check_rule(make_case("sub_const_first", OpKind::Sub, {}, {{1, 4}}, {{0, {4}}}));
  check_rule(make_case("sub_two", OpKind::Sub, {}, {{1, 4}, {1, 4}}, {}));
  check_rule(make_case("mul_const", OpKind::Mul, {}, {{1, 3, 2}}, {{1, {3, 1}}}));
  check_rule(make_case("div_const", OpKind::Div, {}, {{1, 3}}, {{1, {3}}}));
  check_rule(make_case("neg", OpKind::Neg, {}, {{1, 5}}, {}));
  check_rule(make_case("scale_shift", OpKind::ScaleShift, {}, {{1, 2, 2, 2}}, {{1, {2, 1, 1}}, {2, {2, 1, 1}}}));
  OpCase bnc =
      make_case("batch_norm", OpKind::BatchNormalization, bn, {{1, 3, 2, 2}}, {{1, {3}}, {2, {3}}, {3, {3}}, {4, {3}}});
  // Variances must be positive.
  Tensor& var = const_cast<Tensor&>(bnc.g.constant(bnc.g.node(0).inputs[4]));
  for (std::int64_t k = 0; k < var.numel(); ++k) var.mutable_data<double>()[k] = std::fabs(var.data<double>()[k]) + 0.1;
  check_rule(bnc);
}

TEST(LinearRules, MovementAndPoolingOpsAreExact) {
  Attributes flat;
  flat.set("axis", std::int64_t{1});
  Attributes reshape;
  reshape.set("shape", std::vector<std::int64_t>{1, 3, 4});
  Attributes transpose;
  transpose.set("perm", std::vector<std::int64_t>{0, 2, 1});
  Attributes concat;
  concat.set("axis", std::int64_t{1});
  Attributes slice;
  slice.set("starts", std::vector<std::int64_t>{1});
  slice.set("ends", std::vector<std::int64_t>{5});
  slice.set("axes", std::vector<std::int64_t>{1});
  slice.set("steps", std::vector<std::int64_t>{2});
  Attributes gather;
  gather.set("axis", std::int64_t{1});
  Attributes squeeze;
  squeeze.set("axes", std::vector<std::int64_t>{0});
  Attributes unsqueeze;
  unsqueeze.set("axes", std::vector<std::int64_t>{2});
  Attributes pad;
  pad.set("pads", std::vector<std::int64_t>{0, 0, 1, 2, 0, 0, 2, 1});
  pad.set("value", 0.5);
  Attributes avg;
  avg.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  avg.set("strides", std::vector<std::int64_t>{2, 2});
  avg.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  avg.set("count_include_pad", std::int64_t{1});
  avg.set("ceil_mode", std::int64_t{0});
  Attributes avg_excl = avg;
  avg_excl.set("count_include_pad", std::int64_t{0});
  Attributes reduce;
  reduce.set("axes", std::vector<std::int64_t>{2});
  reduce.set("keepdims", std::int64_t{0});
  check_rule(make_case("flatten", OpKind::Flatten, flat, {{1, 2, 2, 3}}, {}));
  check_rule(make_case("reshape", OpKind::Reshape, reshape, {{1, 12}}, {}));
  check_rule(make_case("transpose", OpKind::Transpose, transpose, {{1, 3, 4}}, {}));
  check_rule(make_case("concat_two", OpKind::Concat, concat, {{1, 2}, {1, 3}}, {}));
  check_rule(make_case("concat_const", OpKind::Concat, concat, {{1, 2}}, {{1, {1, 3}}}));
  check_rule(make_case("slice", OpKind::Slice, slice, {{1, 6}}, {}));
  check_rule(make_case("gather", OpKind::Gather, gather, {{1, 4}}, {{1, {3}}}));
  check_rule(make_case("squeeze", OpKind::Squeeze, squeeze, {{1, 5}}, {}));
  check_rule(make_case("unsqueeze", OpKind::Unsqueeze, unsqueeze, {{1, 5}}, {}));
  check_rule(make_case("pad", OpKind::Pad, pad, {{1, 2, 3, 3}}, {}));
  check_rule(make_case("avg_pool", OpKind::AveragePool, avg, {{1, 2, 5, 5}}, {}));
  check_rule(make_case("avg_pool_excl", OpKind::AveragePool, avg_excl, {{1, 2, 5, 5}}, {}));
  check_rule(make_case("global_avg_pool", OpKind::GlobalAveragePool, {}, {{1, 3, 2, 4}}, {}));
  check_rule(make_case("reduce_mean", OpKind::ReduceMean, reduce, {{1, 2, 3}}, {}));
  check_rule(make_case("reduce_sum", OpKind::ReduceSum, reduce, {{1, 2, 3}}, {}));
}

TEST(LinearRules, RelaxedOpsBoundFromTheRightSide) {
  Attributes leaky;
  leaky.set("alpha", 0.1);
  Attributes clip;
  clip.set("min", -0.3);
  clip.set("max", 0.4);
  for (auto [lo, hi] : {std::pair{-1.0, 1.0}, std::pair{-6.0, 2.0}, std::pair{0.1, 3.0}, std::pair{-3.0, -0.2}}) {
    for (auto [name, op, attrs] :
         {std::tuple{"relu", OpKind::Relu, Attributes{}}, std::tuple{"leaky_relu", OpKind::LeakyRelu, leaky},
          std::tuple{"sigmoid", OpKind::Sigmoid, Attributes{}}, std::tuple{"tanh", OpKind::Tanh, Attributes{}},
          std::tuple{"clip", OpKind::Clip, clip}}) {
      OpCase c = make_case(name, op, attrs, {{1, 16}}, {});
      c.exact = false;
      c.lo = lo;
      c.hi = hi;
      // Stable intervals leave ReLU-like ops exact: nothing slack to see.
      const bool stable = (lo >= 0 || hi <= 0) && (op == OpKind::Relu || op == OpKind::LeakyRelu);
      if (stable) c.exact = true;
      check_rule(c);
    }
  }
  Attributes mp = test::max_pool2d_attrs(2, 2);
  Attributes mp_pad = mp;
  mp_pad.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  mp_pad.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  for (const auto& [name, attrs] : {std::pair{"max_pool", mp}, std::pair{"max_pool_padded", mp_pad}}) {
    OpCase c = make_case(name, OpKind::MaxPool, attrs, {{1, 2, 4, 4}}, {});
    c.exact = false;
    check_rule(c);
  }
}

// Every op is fully covered or declared unsupported: a relaxed op has its
// relaxation laid out, computed, its alpha parameters said and its lines
// checked for soundness below (kSoundnessTested); an op with a plain rule has
// no relaxation, and asking for one is an error, never another op's lines.
const std::set<OpKind> kSoundnessTested = {OpKind::Relu, OpKind::LeakyRelu, OpKind::Sigmoid,
                                           OpKind::Tanh, OpKind::Clip,      OpKind::MaxPool};

TEST(Relaxation, EveryOpIsCoveredOrDeclaredUnsupported) {
  for (int i = 0; i < kNumOpKinds; ++i) {
    const auto op = static_cast<OpKind>(i);
    const LinearRule& r = linear_rule(op);
    SCOPED_TRACE(op_name(op));
    Attributes attrs;
    Shape in{1, 4}, out{1, 4};
    if (op == OpKind::MaxPool) {
      attrs = test::max_pool2d_attrs(2, 2);
      in = {1, 1, 2, 2};
      out = {1, 1, 1, 1};
    }
    const Node n{op, "n", attrs, {0}, {1}};
    if (r.unsupported != nullptr) {
      EXPECT_EQ(r.relax, RelaxKind::None);
      continue;
    }
    if (r.relax == RelaxKind::None) {
      EXPECT_EQ(alpha_params(n), 0);
      EXPECT_EQ(relaxation_elements(n, in, out), 0);
      continue;
    }
    EXPECT_TRUE(kSoundnessTested.count(op)) << "a relaxed op whose lines no soundness test checks";
    const std::int64_t elements = relaxation_elements(n, in, out);
    EXPECT_EQ(elements, r.relax == RelaxKind::MaxPool ? numel(out) : numel(in));
    EXPECT_GE(alpha_params(n), 0);
    std::vector<double> l{-1.0, 0.5, -3.0, -1.0}, u{2.0, 1.0, -1.0, 1.0}, p[4];
    void* planes[4];
    for (int q = 0; q < 4; ++q) {
      p[q].assign(static_cast<std::size_t>(elements), std::nan(""));
      planes[q] = p[q].data();
    }
    compute_relaxation(n, DType::F64, 1, in, out, {l.data(), u.data()}, planes);
    for (int q = 0; q < 4; ++q) {
      for (double v : p[q]) EXPECT_FALSE(std::isnan(v)) << "plane " << q;
    }
  }
  // An op with a plain rule never gets another op's lines.
  const Node add{OpKind::Add, "add", {}, {0}, {1}};
  std::vector<double> l{-1.0}, u{1.0}, p[4] = {{0}, {0}, {0}, {0}};
  void* planes[4] = {p[0].data(), p[1].data(), p[2].data(), p[3].data()};
  EXPECT_THROW(compute_relaxation(add, DType::F64, 1, {1}, {1}, {l.data(), u.data()}, planes), Error);
}

TEST(Relaxation, SoundOnEveryKindOfInterval) {
  // Lines that hold on the whole interval, for intervals of every kind,
  // including very wide and one-point ones.
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Attributes leaky;
  leaky.set("alpha", 0.2);
  Attributes clip;
  clip.set("min", -1.0);
  clip.set("max", 2.0);
  for (auto [op, attrs] : {std::pair{OpKind::Relu, Attributes{}}, std::pair{OpKind::LeakyRelu, leaky},
                           std::pair{OpKind::Sigmoid, Attributes{}}, std::pair{OpKind::Tanh, Attributes{}},
                           std::pair{OpKind::Clip, clip}}) {
    Node n{op, "f", attrs, {0}, {1}};
    for (double width : {0.0, 1e-6, 0.3, 4.0, 40.0, 900.0}) {
      const int count = 64;
      std::vector<double> l(count), u(count);
      for (int k = 0; k < count; ++k) {
        l[static_cast<std::size_t>(k)] = (unit(rng) - 0.5) * 2.0 * (width + 1.0) - width / 2;
        u[static_cast<std::size_t>(k)] = l[static_cast<std::size_t>(k)] + width;
      }
      std::vector<double> p[4];
      void* planes[4];
      for (int q = 0; q < 4; ++q) {
        p[q].resize(count);
        planes[q] = p[q].data();
      }
      compute_relaxation(n, DType::F64, 1, {1, count}, {1, count}, {l.data(), u.data()}, planes);
      for (int k = 0; k < count; ++k) {
        for (int s = 0; s <= 100; ++s) {
          const auto i = static_cast<std::size_t>(k);
          const double x = l[i] + (u[i] - l[i]) * s / 100.0;
          double y = 0.0;
          switch (op) {
            case OpKind::Relu:
              y = std::max(x, 0.0);
              break;
            case OpKind::LeakyRelu:
              y = x >= 0 ? x : 0.2 * x;
              break;
            case OpKind::Sigmoid:
              y = 1.0 / (1.0 + std::exp(-x));
              break;
            case OpKind::Tanh:
              y = std::tanh(x);
              break;
            default:
              y = std::min(std::max(x, -1.0), 2.0);
          }
          const double tol = 1e-9;
          ASSERT_LE(p[0][i] * x + p[1][i], y + tol) << op_name(op) << " [" << l[i] << ", " << u[i] << "] x " << x;
          ASSERT_GE(p[2][i] * x + p[3][i], y - tol) << op_name(op) << " [" << l[i] << ", " << u[i] << "] x " << x;
        }
      }
    }
  }
}

// f32 bounds near the top of the range: the width u - l overflows. The lines
// must still hold (a zero chord slope once claimed relu(x) <= 0 there), and a
// NaN bound is an error, never a relaxation.
TEST(Relaxation, SoundInF32WhenTheWidthOverflows) {
  Attributes leaky;
  leaky.set("alpha", 0.2);
  Attributes clip;
  clip.set("min", -1.0);
  clip.set("max", 2.0);
  const std::vector<std::pair<float, float>> intervals = {
      {-2.7e38f, 2.6e38f}, {-3.0e38f, 1.0f}, {-1.0f, 3.0e38f}, {-3.4e38f, 3.4e38f}};
  for (auto [op, attrs] : {std::pair{OpKind::Relu, Attributes{}}, std::pair{OpKind::LeakyRelu, leaky},
                           std::pair{OpKind::Sigmoid, Attributes{}}, std::pair{OpKind::Tanh, Attributes{}},
                           std::pair{OpKind::Clip, clip}}) {
    Node n{op, "f", attrs, {0}, {1}};
    for (auto [lo, hi] : intervals) {
      float l = lo, u = hi, p[4];
      void* planes[4] = {&p[0], &p[1], &p[2], &p[3]};
      compute_relaxation(n, DType::F32, 1, {1, 1}, {1, 1}, {&l, &u}, planes);
      for (int s = 0; s <= 100; ++s) {
        const double x = static_cast<double>(l) + (static_cast<double>(u) - l) * s / 100.0;
        double y = 0.0;
        switch (op) {
          case OpKind::Relu:
            y = std::max(x, 0.0);
            break;
          case OpKind::LeakyRelu:
            y = x >= 0 ? x : 0.2 * x;
            break;
          case OpKind::Sigmoid:
            y = 1.0 / (1.0 + std::exp(-x));
            break;
          case OpKind::Tanh:
            y = std::tanh(x);
            break;
          default:
            y = std::min(std::max(x, -1.0), 2.0);
        }
        // f32 rounding of the lines' own terms (|slope x| up to 3e38) is the only slack.
        const double lo = static_cast<double>(p[0]) * x + p[1], up = static_cast<double>(p[2]) * x + p[3];
        const double tol_lo = 1e-6 * (1.0 + std::fabs(y) + std::fabs(p[0] * x) + std::fabs(p[1]));
        const double tol_up = 1e-6 * (1.0 + std::fabs(y) + std::fabs(p[2] * x) + std::fabs(p[3]));
        ASSERT_LE(lo, y + tol_lo) << op_name(op) << " [" << l << ", " << u << "] x " << x;
        ASSERT_GE(up, y - tol_up) << op_name(op) << " [" << l << ", " << u << "] x " << x;
      }
    }
    float l = std::numeric_limits<float>::quiet_NaN(), u = 1.0f, p[4];
    void* planes[4] = {&p[0], &p[1], &p[2], &p[3]};
    EXPECT_THROW(compute_relaxation(n, DType::F32, 1, {1, 1}, {1, 1}, {&l, &u}, planes), Error) << op_name(op);
  }
}

TEST(Relaxation, TangentTableMatchesBisectionAtTheGrid) {
  // The table's tangent for upper bound u is valid for every u' <= its grid point.
  for (SShape f : {SShape::Sigmoid, SShape::Tanh}) {
    for (double u : {0.0, 0.004, 0.5, 3.21, 17.0, 499.0, 800.0}) {
      const double d = s_lower_tangent_point<double>(f, u);
      EXPECT_LE(d, 0.0);
      const double line = s_slope(f, d) * (u - d) + s_value(f, d);
      EXPECT_LE(line, s_value(f, u) + 1e-12) << "u " << u;
      const double e = s_upper_tangent_point<double>(f, -u);
      EXPECT_GE(e, 0.0);
      EXPECT_GE(s_slope(f, e) * (-u - e) + s_value(f, e), s_value(f, -u) - 1e-12) << "l " << -u;
    }
  }
}

// A convolution's backward rule over windows (rows starting at single pixels of
// its output) gives what dense rows give, and nothing outside the window.
TEST(LinearRules, ConvolutionWindowsEqualDenseRows) {
  for (auto [k, s, p] : {std::tuple{3, 1, 1}, std::tuple{4, 2, 1}, std::tuple{3, 2, 0}}) {
    SCOPED_TRACE(std::to_string(k) + " " + std::to_string(s) + " " + std::to_string(p));
    OpCase c = make_case("conv", OpKind::Conv, conv_attrs(k, s, p), {{1, 2, 7, 7}}, {{1, {3, 2, k, k}}, {2, {3}}});
    const Node& node = c.g.node(0);
    const Shape& xs = c.g.type(node.inputs[0]).shape;
    const Shape& ys = c.g.type(node.outputs[0]).shape;
    const std::int64_t n_out = numel(ys);
    std::vector<std::int64_t> neurons, samples;
    for (std::int64_t j = 0; j < n_out; ++j) {
      neurons.push_back(j);
      samples.push_back(0);
    }
    SweepChunk chunk;
    chunk.rows = chunk.row_capacity = n_out;
    chunk.neurons = neurons.data();
    chunk.samples = samples.data();
    chunk.start = start_dims(ys);
    chunk.upper = false;
    auto run = [&](const LinearWindow& out_w, const LinearWindow& in_w, std::int64_t out_e, std::int64_t in_e,
                   bool one_hot_window) {
      Tensor a(DType::F64, {2 * n_out * out_e});
      for (std::int64_t r = 0; r < n_out; ++r) {
        const std::int64_t e = one_hot_window ? neurons[static_cast<std::size_t>(r)] / (ys[2] * ys[3]) : r;
        a.mutable_data<double>()[r * out_e + e] = 1.0;
      }
      Tensor target(DType::F64, {2 * n_out * in_e});
      Tensor bias(DType::F64, {2 * n_out});
      LinearView out{a.raw_mutable_data(), nullptr, out_w, ys, out_e};
      std::vector<LinearTarget> targets(3);
      targets[0].view = LinearView{target.raw_mutable_data(), nullptr, in_w, xs, in_e};
      targets[0].active = true;
      std::vector<const Tensor*> consts = {nullptr, &c.g.constant(node.inputs[1]), &c.g.constant(node.inputs[2])};
      std::vector<const Shape*> shapes = {&xs, &c.g.constant(node.inputs[1]).shape(),
                                          &c.g.constant(node.inputs[2]).shape()};
      BiasView bv{bias.raw_mutable_data(), nullptr};
      BackwardArgs args{node, chunk, DType::F64, out, targets, consts, shapes, bv, {}};
      prepare_targets(args);
      backward_conv(args);
      return std::pair{target, bias};
    };
    const LinearWindow seed = seed_window(ys);
    const LinearWindow natural = window_through_sliding(seed, SlidingWindow{k, k, s, s, p, p, 1, 1}, xs);
    const auto [win, win_bias] = run(seed, natural, ys[1], row_elements(natural, xs), true);
    const auto [dense, dense_bias] = run(whole_value_window(ys), whole_value_window(xs), n_out, numel(xs), false);
    const std::int64_t ne = row_elements(natural, xs);
    for (std::int64_t r = 0; r < n_out; ++r) {
      const RowOrigin o = row_origin(natural, chunk.start, r);
      double inside = 0.0;
      for (std::int64_t e = 0; e < ne; ++e) {
        const std::int64_t ch = e / (natural.win_h * natural.win_w), i = (e / natural.win_w) % natural.win_h,
                           j = e % natural.win_w;
        const std::int64_t h = o.h + i, w = o.w + j;
        const double v = win.data<double>()[r * ne + e];
        if (h < 0 || h >= xs[2] || w < 0 || w >= xs[3]) {
          EXPECT_EQ(v, 0.0);
          continue;
        }
        EXPECT_EQ(v, dense.data<double>()[r * numel(xs) + (ch * xs[2] + h) * xs[3] + w]) << "row " << r << " e " << e;
        inside += std::fabs(v);
      }
      double total = 0.0;
      for (std::int64_t q = 0; q < numel(xs); ++q) total += std::fabs(dense.data<double>()[r * numel(xs) + q]);
      EXPECT_DOUBLE_EQ(inside, total) << "row " << r << ": the dense row reaches outside the window";
      EXPECT_DOUBLE_EQ(win_bias.data<double>()[r], dense_bias.data<double>()[r]);
    }
  }
}

TEST(LinearGeometry, WindowsGrowShiftAndUnite) {
  const Shape s = {1, 4, 16, 16};
  const LinearWindow seed = seed_window({1, 8, 8, 8});
  EXPECT_EQ(row_elements(seed, {1, 8, 8, 8}), 8);
  const LinearWindow w = window_through_sliding(seed, SlidingWindow{4, 4, 2, 2, 1, 1, 1, 1}, s);
  EXPECT_EQ(w.win_h, 4);
  EXPECT_EQ(w.scale_h, 2);
  EXPECT_EQ(w.shift_h, -1);
  EXPECT_EQ(row_elements(w, s), 4 * 4 * 4);
  EXPECT_EQ(row_origin(w, start_dims({1, 8, 8, 8}), 8 * 3 + 5).h, 3 * 2 - 1);
  // A window as large as the image becomes the image.
  const LinearWindow big = window_through_sliding(w, SlidingWindow{13, 13, 1, 1, 6, 6, 1, 1}, s);
  EXPECT_TRUE(big.full());
  // Union of a pixel and a 3x3 window around it (a residual join).
  LinearWindow a = seed_window(s), b = window_through_sliding(seed_window(s), SlidingWindow{3, 3, 1, 1, 1, 1, 1, 1}, s);
  const LinearWindow u = window_union(a, b, s);
  EXPECT_EQ(u.win_h, 3);
  EXPECT_EQ(u.shift_h, -1);
  EXPECT_TRUE(window_contains(u, a));
  EXPECT_TRUE(window_contains(u, b));
  EXPECT_TRUE(window_union(a, whole_value_window(s), s).full());
}

}  // namespace
}  // namespace bf
