// fuse_matmul_add: linear layers in one form, Affine(x, W [N, K], b [N]) over x's
// last axis.
//   MatMul(x, W) with constant 2-D W [K, N]          -> Affine(x, W^T)
//   MatMul(W, x) with constant W [N, K] and 1-D x    -> Affine(x, W)
//   either one followed by Add(y, c) / Add(c, y) / Sub(y, c), y read by nothing
//   else and c a constant broadcastable as [N]      -> Affine(x, W', +-c)
//   Gemm(A, B, C) with transA = 0, constant B and constant C broadcastable along
//   the last axis                                    -> Affine(A, alpha * B', beta * C)
// Other MatMuls (non-constant weights, batched constant weights) stay.
#pragma once

#include "transform/pass.h"

namespace bf {

class FuseMatMulAdd final : public Pass {
 public:
  std::string name() const override { return "fuse_matmul_add"; }
  bool run(Graph& graph) override;
};

}  // namespace bf
