// Pattern analysis shared by fuse_matmul_add and fold_input_normalization: which
// MatMuls become Affine, and which Add/Sub after them is that Affine's bias. Kept
// in one place so the two passes agree on what a "bias add" is (the normalisation
// pass leaves exactly those adds for the fusion pass).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "transform/rewrite_utils.h"

namespace bf {

// MatMul(x, W) with constant 2-D W [K, N], or MatMul(W, x) with constant W [N, K] and
// 1-D x: both are Affine(x, W' [N, K]) over x's last axis.
struct MatMulAsAffine {
  ValueId activation = kNoValue;
  ValueId weight = kNoValue;
  bool weight_is_right = true;  // MatMul(x, W): W' = W^T; MatMul(W, x): W' = W
  std::int64_t out_features = 0;
};

// nullopt (with `*why` set when `why` is given) for a MatMul that stays a MatMul.
std::optional<MatMulAsAffine> match_matmul_as_affine(const Graph& graph, const Node& matmul, std::string* why);

// The bias (length out_features, in double) when `add` is Add(y, c), Add(c, y) or
// Sub(y, c) with `y` the MatMul's result read by nothing else, and constant c
// broadcastable as [out_features] without changing y's shape. Sub gives -c.
std::optional<std::vector<double>> match_bias_add(const Graph& graph, const UseInfo& uses, const Node& add, ValueId y,
                                                  std::int64_t out_features);

// The bias add that follows `matmul` (a node id) when it turns into Affine: the Add/Sub node id
// and its bias. nullopt when the MatMul does not become Affine or has no such add.
struct BiasAdd {
  NodeId add;
  std::vector<double> bias;
};
std::optional<BiasAdd> find_bias_add(const Graph& graph, const UseInfo& uses, NodeId matmul);

}  // namespace bf
