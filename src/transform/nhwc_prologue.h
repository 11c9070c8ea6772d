// nhwc_prologue: tf2onnx exports feed an NHWC graph input through
// Transpose(perm=[0,3,1,2]) into the convolutions, with per-channel normalisation
// (Add / Sub / Mul / Div by constants) before and/or after the Transpose. The graph
// input keeps its NHWC shape (a user's input region and VNN-LIB variables are in
// that order), so this pass keeps the Transpose and moves the elementwise-with-
// constant ops that follow it to before it, permuting their constants by the inverse
// permutation. The normalisation then sits directly on the input (where
// fold_input_normalization merges it into one ScaleShift) and the Transpose feeds the
// convolution directly.
//
// Exactly value-preserving: every moved op combines the same pairs of elements as
// before, only in another layout.
//
// A "prologue" Transpose is one whose operand is a graph input, possibly through a
// chain of such elementwise-with-constant ops; any permutation qualifies.
#pragma once

#include "transform/pass.h"

namespace bf {

class NhwcPrologue final : public Pass {
 public:
  std::string name() const override { return "nhwc_prologue"; }
  bool run(Graph& graph) override;
};

}  // namespace bf
