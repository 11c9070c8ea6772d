// fold_batchnorm: inference-mode BatchNormalization folded into a neighbouring
// linear layer. With s = scale / sqrt(var + eps) and t = B - mean * s (computed in
// double, stored in the layer's dtype):
//   - after a Conv / Gemm / Affine whose result only the BN reads: the layer's
//     output channel c gets W'[c,...] = W[c,...] * s[c], b' = (b - mean) * s + B;
//   - otherwise, before an Affine / Gemm (transA = 0) / Conv without padding that
//     is the BN result's only reader: the layer's input channel k gets
//     W'[..,k,..] = W[..,k,..] * s[k] and t is pushed through W into the bias.
// A BN before a Conv with nonzero pads is left alone: the zeros the Conv pads
// after the BN are not zeros before it, so no weight change reproduces them.
#pragma once

#include "transform/pass.h"

namespace bf {

class FoldBatchNorm final : public Pass {
 public:
  std::string name() const override { return "fold_batchnorm"; }
  bool run(Graph& graph) override;
};

}  // namespace bf
