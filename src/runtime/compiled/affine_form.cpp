#include "runtime/compiled/affine_form.h"

namespace bf {
namespace {

bool f32_constant(const Graph& g, ValueId v) {
  return v != kNoValue && g.is_constant(v) && g.constant(v).dtype() == DType::F32;
}

bool activation(const Graph& g, ValueId v) { return v != kNoValue && !g.is_constant(v); }

Tensor transpose2d(const Tensor& t) {
  const std::int64_t r = t.shape()[0], c = t.shape()[1];
  Tensor out(DType::F32, {c, r});
  const float* src = t.data<float>();
  float* dst = out.mutable_data<float>();
  for (std::int64_t i = 0; i < r; ++i) {
    for (std::int64_t j = 0; j < c; ++j) dst[j * r + i] = src[i * c + j];
  }
  return out;
}

std::int64_t leading(const Shape& s) { return s.empty() ? 1 : numel(Shape(s.begin(), s.end() - 1)); }

}  // namespace

std::optional<AffineForm> affine_form(const Graph& g, const Node& node) {
  const auto& in = node.inputs;
  if (node.op == OpKind::Affine) {
    if (!activation(g, in[0]) || !f32_constant(g, in[1]) || g.type(in[0]).dtype != DType::F32) return std::nullopt;
    if (in.size() > 2 && in[2] != kNoValue && !f32_constant(g, in[2])) return std::nullopt;
    AffineForm f;
    f.weight = g.constant(in[1]);
    if (in.size() > 2 && in[2] != kNoValue) f.bias = g.constant(in[2]);
    f.rows_per_sample = leading(g.type(in[0]).shape);
    return f;
  }
  if (node.op == OpKind::Gemm) {
    // Exactly the reference's arithmetic only when nothing is scaled.
    if (node.attrs.get_int("transA", 0) != 0 || node.attrs.get_float("alpha", 1.0) != 1.0) return std::nullopt;
    if (!activation(g, in[0]) || !f32_constant(g, in[1])) return std::nullopt;
    const Tensor& b = g.constant(in[1]);
    AffineForm f;
    f.weight = node.attrs.get_int("transB", 0) != 0 ? b : transpose2d(b);
    const std::int64_t n = f.weight.shape()[0];
    if (in.size() > 2 && in[2] != kNoValue) {
      if (!f32_constant(g, in[2]) || node.attrs.get_float("beta", 1.0) != 1.0) return std::nullopt;
      const Tensor& c = g.constant(in[2]);
      const Shape& cs = c.shape();
      const bool along_last = (cs.size() == 1 && cs[0] == n) || (cs.size() == 2 && cs[0] == 1 && cs[1] == n);
      if (!along_last) return std::nullopt;
      f.bias = c.reshaped({n});
    }
    f.rows_per_sample = g.type(in[0]).shape[0];
    return f;
  }
  if (node.op == OpKind::MatMul) {
    if (activation(g, in[0]) && f32_constant(g, in[1]) && g.constant(in[1]).rank() == 2) {
      AffineForm f;
      f.weight = transpose2d(g.constant(in[1]));
      f.rows_per_sample = leading(g.type(in[0]).shape);
      return f;
    }
    if (f32_constant(g, in[0]) && g.constant(in[0]).rank() == 2 && activation(g, in[1]) &&
        g.type(in[1]).shape.size() == 1) {
      AffineForm f;
      f.activation = 1;
      f.weight = g.constant(in[0]);
      f.rows_per_sample = 1;
      return f;
    }
  }
  return std::nullopt;
}

bool is_fast_conv(const Graph& g, const Node& node) {
  if (node.op != OpKind::Conv) return false;
  const auto& in = node.inputs;
  if (!activation(g, in[0]) || g.type(in[0]).dtype != DType::F32 || g.type(in[0]).shape.size() != 4) return false;
  if (!f32_constant(g, in[1])) return false;
  return in.size() < 3 || in[2] == kNoValue || f32_constant(g, in[2]);
}

std::optional<Epilogue> activation_epilogue(const Node& node) {
  if (!is_fusable_activation(node)) return std::nullopt;
  return epilogue_from_node(node);
}

}  // namespace bf
