// Helpers shared by the kernel unit tests: building a node, evaluating it on
// constant tensors, batched evaluation through eval_op, random data.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "ir/shape_inference.h"
#include "kernels/op_eval.h"

namespace bf::test {

inline Node make_node(OpKind op, Attributes attrs = {}) {
  Node n;
  n.op = op;
  n.name = std::string(op_name(op)) + "_test";
  n.attrs = std::move(attrs);
  return n;
}

// Evaluates a single-output node on constant operands (undefined = absent).
inline Tensor eval1(const Node& node, const std::vector<Tensor>& inputs) { return eval_node(node, inputs).at(0); }

template <typename T>
Tensor tensor(Shape shape, std::vector<T> values) {
  return Tensor::from_vector<T>(std::move(shape), values);
}

inline Tensor f32(Shape shape, std::vector<float> values) { return tensor<float>(std::move(shape), std::move(values)); }
inline Tensor f64(Shape shape, std::vector<double> values) {
  return tensor<double>(std::move(shape), std::move(values));
}
inline Tensor i64(Shape shape, std::vector<std::int64_t> values) {
  return tensor<std::int64_t>(std::move(shape), std::move(values));
}

// Uniform random values in [lo, hi), deterministic per seed.
inline Tensor random_tensor(DType dtype, Shape shape, std::uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Tensor t(DType::F64, std::move(shape));
  double* p = t.mutable_data<double>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(gen);
  return dtype == DType::F64 ? t : t.cast(dtype);
}

// Element-wise |a - b| <= atol + rtol * |b|, reporting the first failure.
inline ::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) {
    return ::testing::AssertionFailure() << "shapes differ: " << shape_str(a.shape()) << " vs " << shape_str(b.shape());
  }
  auto x = a.to_double_vector(), y = b.to_double_vector();
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool both_nan = std::isnan(x[i]) && std::isnan(y[i]);
    if (!both_nan && !(std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]))) {
      return ::testing::AssertionFailure() << "element " << i << ": " << x[i] << " vs " << y[i];
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::vector<double> values(const Tensor& t) { return t.to_double_vector(); }

// Evaluates `node` for `batch` samples with eval_op: input i is batched when
// batched[i] (then its tensor holds batch samples back to back in shapes[i]
// layout), else shared. Returns the batched output tensor [batch] + out shape.
inline Tensor eval_batched(const Node& node, const std::vector<Tensor>& inputs, const std::vector<Shape>& shapes,
                           const std::vector<bool>& batched, std::int64_t batch) {
  std::vector<ConstOperand> ops(inputs.size());
  std::vector<TensorType> types(inputs.size());
  std::vector<const TensorType*> ptrs(inputs.size(), nullptr);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    ops[i] = {inputs[i].raw_data(), inputs[i].dtype(), &shapes[i], batched[i]};
    types[i] = {inputs[i].dtype(), shapes[i]};
    ptrs[i] = &types[i];
  }
  TensorType out_type = infer_output_types(node.op, node.attrs, ptrs).at(0);
  Shape batched_shape{batch};
  batched_shape.insert(batched_shape.end(), out_type.shape.begin(), out_type.shape.end());
  Tensor out(out_type.dtype, batched_shape);
  MutOperand o{out.raw_mutable_data(), out.dtype(), &out_type.shape};
  eval_op(node, ops, std::span<const MutOperand>(&o, 1), batch);
  return out;
}

// Stacks per-sample tensors into one [n] + shape tensor.
inline Tensor stack(const std::vector<Tensor>& samples) {
  Shape s{static_cast<std::int64_t>(samples.size())};
  s.insert(s.end(), samples.at(0).shape().begin(), samples.at(0).shape().end());
  Tensor out(samples[0].dtype(), s);
  auto* dst = static_cast<std::byte*>(out.raw_mutable_data());
  for (const auto& t : samples) {
    std::memcpy(dst, t.raw_data(), t.nbytes());
    dst += t.nbytes();
  }
  return out;
}

inline Attributes attrs(std::initializer_list<std::pair<const std::string, AttrValue>> list) {
  Attributes a;
  for (const auto& [k, v] : list) a.set(k, v);
  return a;
}

using Ints = std::vector<std::int64_t>;

}  // namespace bf::test
