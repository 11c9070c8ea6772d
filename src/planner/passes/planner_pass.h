// Planner passes transform or annotate a PlanBundle. Analyses (LivenessPass)
// only add information; rewrites (BufferReusePass) change the storage plan and
// must leave every result bit-identical. A PassPipeline runs them in order,
// times each one and runs the PlanVerifier between passes when asked to.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "planner/plan_bundle.h"

namespace bf {

class PlannerPass {
 public:
  virtual ~PlannerPass() = default;
  virtual std::string name() const = 0;
  virtual void run(PlanBundle& bundle) = 0;
};

class PassPipeline {
 public:
  PassPipeline& add(std::unique_ptr<PlannerPass> pass);
  // Runs every pass; appends to bundle.timings and bundle.passes_run. With
  // `verify`, runs the PlanVerifier after each pass and reports the pass that
  // broke the plan.
  void run(PlanBundle& bundle, bool verify) const;
  std::vector<std::string> pass_names() const;

 private:
  std::vector<std::unique_ptr<PlannerPass>> passes_;
};

}  // namespace bf
