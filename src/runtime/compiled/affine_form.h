// Which ops the fast interval kernels take, and in what form.
#pragma once

#include <optional>

#include "ir/graph.h"
#include "kernels/interval/epilogue.h"

namespace bf {

// y[..., n] = sum_k x[..., k] W[n, k] + b[n] for the op's activation x: the form
// IntervalAffineF32 runs. Recognised: Affine; Gemm with transA = 0, alpha = beta = 1,
// constant B and a constant C broadcast along the last axis; MatMul of an
// activation by a constant 2-D matrix, and MatMul(W, x) with 1-D x. f32 only.
struct AffineForm {
  std::int32_t activation = 0;  // operand index of x
  Tensor weight;                // [N, K]
  std::optional<Tensor> bias;   // [N]
  std::int64_t rows_per_sample = 1;
};
std::optional<AffineForm> affine_form(const Graph& graph, const Node& node);

// A 2-D f32 convolution with constant weights (and bias): what IntervalConvF32 runs.
bool is_fast_conv(const Graph& graph, const Node& node);

// The epilogue of a fusable monotone activation, nullopt for other ops.
std::optional<Epilogue> activation_epilogue(const Node& node);

}  // namespace bf
