// BufferReusePass: map logical buffers whose lifetimes do not overlap onto
// shared physical buffers. A rewrite of the storage plan only: every op reads
// and writes the same values as before, so results stay bit-identical.
//
// Buffers are placed in order of their producing op. A physical buffer becomes
// free once the last op reading its current occupant has run (strictly before
// the new buffer's producer: an op never writes over its own operand). Graph
// inputs and outputs are pinned: they get their own physical buffer and are
// never handed to anyone else.
//   exact: reuse a free buffer with an identical storage key (scope, dtype,
//          shape, batch, device, layout, strides, alignment), as the seed did.
//   size:  best fit by bytes among free buffers of the same dtype, device and
//          alignment; when none is large enough the largest free one grows.
// Requires LivenessInfo (runs LivenessPass's analysis itself when absent).
#pragma once

#include "planner/passes/planner_pass.h"

namespace bf {

class BufferReusePass final : public PlannerPass {
 public:
  std::string name() const override { return "buffer_reuse"; }
  void run(PlanBundle& bundle) override;
};

}  // namespace bf
