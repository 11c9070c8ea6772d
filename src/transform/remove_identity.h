// remove_identity: Identity and (inference-mode) Dropout nodes are removed and
// their readers rewired to the operand. A graph output never ends up aliasing a
// graph input, a constant or another graph output: such nodes are kept.
#pragma once

#include "transform/pass.h"

namespace bf {

class RemoveIdentity final : public Pass {
 public:
  std::string name() const override { return "remove_identity"; }
  bool run(Graph& graph) override;
};

}  // namespace bf
