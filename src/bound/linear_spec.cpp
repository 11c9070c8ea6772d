#include "bound/linear_spec.h"

#include "ir/shape_inference.h"
#include "support/error.h"

namespace bf {
namespace {

// C·W and C·b in double, for fusing the spec into the last Affine.
Tensor matmul_double(const Tensor& c, const Tensor& w, DType out) {
  const std::int64_t rows = c.shape()[0], inner = c.shape()[1], cols = w.shape()[1];
  auto cd = c.to_double_vector();
  auto wd = w.to_double_vector();
  std::vector<double> r(static_cast<std::size_t>(rows * cols), 0.0);
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t k = 0; k < inner; ++k) {
      const double a = cd[static_cast<std::size_t>(i * inner + k)];
      for (std::int64_t j = 0; j < cols; ++j)
        r[static_cast<std::size_t>(i * cols + j)] += a * wd[static_cast<std::size_t>(k * cols + j)];
    }
  }
  return Tensor::from_vector<double>({rows, cols}, r).cast(out);
}

}  // namespace

std::shared_ptr<Graph> with_linear_spec(const Graph& graph, const Tensor& c, bool fuse) {
  BF_CHECK(graph.outputs().size() == 1, ErrorKind::Unsupported, "a linear spec needs a single-output graph, got {}",
           graph.outputs().size());
  auto g = std::make_shared<Graph>(graph);
  const ValueId y = g->outputs()[0];
  const TensorType yt = g->type(y);
  BF_CHECK(is_floating(yt.dtype), ErrorKind::Unsupported, "linear spec on a {} output", dtype_name(yt.dtype));
  const std::int64_t m = yt.numel();
  BF_CHECK(c.rank() == 2 && c.shape()[1] == m, ErrorKind::Shape,
           "spec matrix {} does not fit the output {} ({} values)", shape_str(c.shape()), yt.str(), m);
  const Tensor spec = c.dtype() == yt.dtype ? c : c.cast(yt.dtype);

  if (fuse) {
    const auto producers = g->producers();
    const auto uses = g->use_counts();
    auto p = producers[static_cast<std::size_t>(y)];
    if (p) {
      Node& last = g->nodes()[static_cast<std::size_t>(*p)];
      if (last.op == OpKind::Affine && uses[static_cast<std::size_t>(y)] == 1 && yt.shape.size() >= 1 &&
          numel(Shape(yt.shape.begin(), yt.shape.end() - 1)) == 1) {
        const Tensor& w = g->constant(last.inputs[1]);
        Tensor w_fused = matmul_double(spec, w, yt.dtype);  // [rows, K]
        ValueId wv = g->add_constant(g->unique_value_name("spec_fused_weight"), w_fused);
        ValueId bv = kNoValue;
        if (last.inputs.size() > 2 && last.inputs[2] != kNoValue) {
          const Tensor& b = g->constant(last.inputs[2]);
          Tensor b_fused = matmul_double(spec, b.reshaped({b.numel(), 1}), yt.dtype);
          bv = g->add_constant(g->unique_value_name("spec_fused_bias"), b_fused.reshaped({b_fused.numel()}));
        }
        last.inputs = {last.inputs[0], wv};
        if (bv != kNoValue) last.inputs.push_back(bv);
        Shape out_shape = yt.shape;
        out_shape.back() = spec.shape()[0];
        g->value(y).type.shape = out_shape;
        g->compact();
        validate(*g);
        return g;
      }
    }
  }

  ValueId flat = y;
  if (yt.shape.empty() || yt.shape.back() != m) {
    Attributes a;
    a.set("shape", std::vector<std::int64_t>{m});
    flat = g->add_inferred_node(OpKind::Reshape, "spec_flatten", a, {y}, {g->unique_value_name("spec_flat")})[0];
  }
  ValueId cv = g->add_constant(g->unique_value_name("spec_matrix"), spec);
  ValueId out = g->add_inferred_node(OpKind::Affine, "spec", {}, {flat, cv}, {g->unique_value_name("spec_out")})[0];
  g->outputs() = {out};
  validate(*g);
  return g;
}

}  // namespace bf
