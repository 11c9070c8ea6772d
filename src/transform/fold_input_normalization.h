// fold_input_normalization: a chain of elementwise affine steps on one activation
// (Add / Sub / Mul / Div with one constant operand whose broadcast leaves the
// activation's shape unchanged, and existing ScaleShifts) becomes one
// ScaleShift(x, scale, shift), composed in double and stored in the activation's
// dtype. Typical: Sub mean, Div std on the graph input (ERAN, MATLAB exports), but
// the pass works anywhere in the graph.
//   x + c, c + x -> (1, c)       x - c -> (1, -c)       c - x -> (-1, c)
//   x * c, c * x -> (c, 0)       x / c -> (1/c, 0) only when no element of c is 0
//   c / x is not affine and stays.
// An Add/Sub that is the bias of a MatMul turning into Affine (see linear_patterns.h)
// is left for fuse_matmul_add.
#pragma once

#include "transform/pass.h"

namespace bf {

class FoldInputNormalization final : public Pass {
 public:
  std::string name() const override { return "fold_input_normalization"; }
  bool run(Graph& graph) override;
};

}  // namespace bf
