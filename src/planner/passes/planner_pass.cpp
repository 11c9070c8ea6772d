#include "planner/passes/planner_pass.h"

#include "planner/passes/plan_verifier.h"
#include "support/error.h"
#include "support/timer.h"

namespace bf {

PassPipeline& PassPipeline::add(std::unique_ptr<PlannerPass> pass) {
  passes_.push_back(std::move(pass));
  return *this;
}

void PassPipeline::run(PlanBundle& bundle, bool verify) const {
  for (const auto& pass : passes_) {
    Stopwatch watch;
    pass->run(bundle);
    bundle.timings.push_back({pass->name(), watch.elapsed_ms()});
    bundle.passes_run.push_back(pass->name());
    if (verify) {
      try {
        verify_plan(bundle);
      } catch (const Error& e) {
        fail(e.kind(), "plan verifier failed after pass {}: {}", pass->name(), e.what());
      }
    }
  }
}

std::vector<std::string> PassPipeline::pass_names() const {
  std::vector<std::string> names;
  for (const auto& p : passes_) names.push_back(p->name());
  return names;
}

}  // namespace bf
