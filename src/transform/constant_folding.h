// constant_folding: every node whose operands are all constants is evaluated once
// with the reference semantics (bf::eval_node) and its outputs become constants.
// Chains fold in one run (nodes are visited in topological order).
#pragma once

#include "transform/pass.h"

namespace bf {

class ConstantFolding final : public Pass {
 public:
  std::string name() const override { return "constant_folding"; }
  bool run(Graph& graph) override;
};

}  // namespace bf
