// LivenessPass: when is each logical buffer alive? An analysis: it stores a
// LivenessInfo in the bundle and changes nothing else.
//
// Lifetimes are exact at op granularity (a buffer dies at the op that reads it
// last, not at the end of that op's task) and also reported per task. Graph
// inputs and outputs are pinned: alive for the whole run. A sweep task repeats
// its ops for every chunk of rows, so what it shares with the rest of the
// program is alive over the whole task.
#pragma once

#include "planner/passes/planner_pass.h"

namespace bf {

class LivenessPass final : public PlannerPass {
 public:
  std::string name() const override { return "liveness"; }
  void run(PlanBundle& bundle) override;
};

// The analysis itself, for callers that need it without a pipeline.
LivenessInfo compute_liveness(const PlanBundle& bundle);

}  // namespace bf
