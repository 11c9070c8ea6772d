// The planner's entry point: primal graph + options -> PlanBundle.
//   1. partition (v0 or v2) and lower to tasks with one logical buffer per value;
//   2. run the pass pipeline: LivenessPass, then BufferReusePass when
//      enable_storage_reuse is set;
//   3. run the PlanVerifier after every pass when config.verify is set (always in
//      builds without NDEBUG).
#pragma once

#include <memory>

#include "planner/passes/planner_pass.h"
#include "planner/plan_bundle.h"

namespace bf {

PlanBundle make_plan(std::shared_ptr<const Graph> graph, const PlannerConfig& config);

// A plan from a program whose tasks a bound method already laid out (see
// bound_program.h); `config` supplies the pass options (reuse, verify) and is
// recorded with the plan.
struct BoundProgram;
PlanBundle make_plan(std::shared_ptr<const Graph> graph, BoundProgram program, const PlannerConfig& config);

// The pipeline make_plan runs for `config` (exposed for dumps and tests).
PassPipeline default_pass_pipeline(const PlannerConfig& config);

}  // namespace bf
