// What the fast interval kernels are checked against: the reference IBP rule
// (bf::ibp_eval_op on an Affine or Conv node) followed by the reference activation
// (bf::eval_op on the activation node, applied to each bound plane), exactly what
// the reference executor computes for the unfused pair of nodes. Plus random boxes,
// aligned scratch and a tolerance comparison.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bound/interval_ops.h"
#include "ir/shape_inference.h"
#include "kernels/interval/epilogue.h"
#include "kernels/op_eval.h"

namespace bf::test {

// Bounds of `batch` samples, back to back: lower plane and upper plane.
struct Box {
  std::vector<float> lower, upper;
};

// Centres uniform in [-1, 1), radii in [0, max_radius): a box no narrower than a
// point (radius 0 happens too: exact-input samples).
inline Box random_box(std::int64_t n, std::uint32_t seed, double max_radius = 0.5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> centre(-1.0, 1.0), radius(0.0, max_radius);
  Box b{std::vector<float>(static_cast<std::size_t>(n)), std::vector<float>(static_cast<std::size_t>(n))};
  for (std::size_t i = 0; i < b.lower.size(); ++i) {
    const double c = centre(rng), r = i % 17 == 0 ? 0.0 : radius(rng);
    b.lower[i] = static_cast<float>(c - r);
    b.upper[i] = static_cast<float>(c + r);
  }
  return b;
}

// f32 tensor uniform in [-scale, scale): weights scaled like a trained layer's
// (about 1/sqrt(fan_in)) keep the outputs O(1), as in real networks.
inline Tensor random_weights(Shape shape, std::uint32_t seed, double scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-scale, scale);
  Tensor t(DType::F32, std::move(shape));
  float* p = t.mutable_data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(d(rng));
  return t;
}

// 64-byte aligned memory for a kernel's scratch.
class AlignedBuffer {
 public:
  explicit AlignedBuffer(std::int64_t bytes)
      : data_(bytes > 0 ? std::aligned_alloc(64, static_cast<std::size_t>((bytes + 63) / 64 * 64)) : nullptr) {}
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  void* data() const { return data_; }

 private:
  void* data_;
};

// The activations an interval kernel can fuse, as IR nodes with their attributes.
inline std::vector<std::optional<Node>> fusable_activations() {
  auto node = [](OpKind op, Attributes attrs = {}) {
    Node n;
    n.op = op;
    n.name = std::string(op_name(op));
    n.attrs = std::move(attrs);
    return std::optional<Node>(std::move(n));
  };
  Attributes leaky, leaky0, clip, clip_low;
  leaky.set("alpha", 0.1);
  leaky0.set("alpha", 0.0);
  clip.set("min", -0.25);
  clip.set("max", 0.5);
  clip_low.set("max", 0.0);  // min defaults to -inf
  return {std::nullopt,          node(OpKind::Relu), node(OpKind::LeakyRelu, leaky), node(OpKind::LeakyRelu, leaky0),
          node(OpKind::Sigmoid), node(OpKind::Tanh), node(OpKind::Clip, clip),       node(OpKind::Clip, clip_low)};
}

inline std::string activation_label(const std::optional<Node>& act) {
  return act ? std::string(op_name(act->op)) : std::string("none");
}

inline Epilogue epilogue_of(const std::optional<Node>& act) { return act ? epilogue_from_node(*act) : Epilogue{}; }

// The reference activation on one plane of `batch` samples of `shape`, in place.
inline void reference_activation(const Node& act, const Shape& shape, std::int64_t batch, std::vector<float>& plane) {
  const std::vector<float> in = plane;
  ConstOperand x{in.data(), DType::F32, &shape, true};
  MutOperand y{plane.data(), DType::F32, &shape};
  eval_op(act, std::span<const ConstOperand>(&x, 1), std::span<const MutOperand>(&y, 1), batch);
}

// The reference IBP rule for `node` (one activation operand x, constant weight and
// optional bias) over `batch` samples of x_shape, then the activation if any.
inline Box reference_bounds(const Node& node, const Shape& x_shape, const Tensor& weight, const Tensor* bias,
                            std::int64_t batch, const Box& in, const std::optional<Node>& act) {
  const TensorType xt{DType::F32, x_shape}, wt{DType::F32, weight.shape()};
  TensorType bt;
  if (bias) bt = {DType::F32, bias->shape()};
  const Shape out_shape = infer_output_types(node.op, node.attrs, {&xt, &wt, bias ? &bt : nullptr}).at(0).shape;
  std::vector<IbpOperand> ops(3);
  ops[0].bounds = {in.lower.data(), in.upper.data()};
  ops[0].shape = &x_shape;
  ops[1].is_constant = true;
  ops[1].constant = &weight;
  ops[1].shape = &weight.shape();
  if (bias) {
    ops[2].is_constant = true;
    ops[2].constant = bias;
    ops[2].shape = &bias->shape();
  } else {
    ops[2].present = false;
  }
  const auto n_out = static_cast<std::size_t>(batch * numel(out_shape));
  Box out{std::vector<float>(n_out), std::vector<float>(n_out)};
  IntervalOut o{out.lower.data(), out.upper.data()};
  const Shape* shapes[] = {&out_shape};
  const std::int64_t scratch_bytes = ibp_scratch_bytes(node, ops, shapes, DType::F32, batch);
  AlignedBuffer scratch_mem(scratch_bytes);
  IbpScratch scratch(scratch_mem.data(), scratch_bytes);
  AbsWeightCache cache;
  ibp_eval_op(node, ops, std::span<const IntervalOut>(&o, 1), shapes, DType::F32, batch, cache, scratch);
  if (act) {
    reference_activation(*act, out_shape, batch, out.lower);
    reference_activation(*act, out_shape, batch, out.upper);
  }
  return out;
}

// |got - want| <= atol + rtol |want| element-wise (NaN only against NaN), naming the
// first failing element.
inline ::testing::AssertionResult planes_close(const std::vector<float>& got, const std::vector<float>& want,
                                               double rtol = 1e-5, double atol = 1e-5) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "sizes differ: " << got.size() << " vs " << want.size();
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], w = want[i];
    const bool ok = (std::isnan(g) && std::isnan(w)) || g == w || std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok) return ::testing::AssertionFailure() << "element " << i << ": " << g << " vs reference " << w;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace bf::test
