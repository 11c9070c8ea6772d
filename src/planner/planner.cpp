#include "planner/planner.h"

#include "planner/lower_to_tasks.h"
#include "planner/partition.h"
#include "planner/passes/buffer_reuse_pass.h"
#include "planner/passes/liveness_pass.h"
#include "planner/passes/plan_verifier.h"
#include "support/error.h"
#include "support/timer.h"

namespace bf {

PassPipeline default_pass_pipeline(const PlannerConfig& config) {
  PassPipeline pipeline;
  pipeline.add(std::make_unique<LivenessPass>());
  if (config.enable_storage_reuse) pipeline.add(std::make_unique<BufferReusePass>());
  return pipeline;
}

PlanBundle make_plan(std::shared_ptr<const Graph> graph, const PlannerConfig& config) {
  check_config(config);
  BF_CHECK(graph != nullptr, ErrorKind::Internal, "make_plan without a graph");
  for (ValueId v : graph->outputs()) {
    BF_CHECK(!graph->is_constant(v), ErrorKind::Unsupported,
             "graph output '{}' is a constant; bounds of a constant output are not planned", graph->value(v).name);
  }
#ifdef NDEBUG
  const bool verify = config.verify;
#else
  const bool verify = true;
#endif

  PlanBundle bundle;
  bundle.graph = std::move(graph);
  bundle.config = config;
  Stopwatch watch;
  std::vector<NodeId> starts =
      config.version == PlannerVersion::V0 ? partition_v0(*bundle.graph) : partition_v2(*bundle.graph, config);
  lower_to_tasks(bundle, starts);
  bundle.timings.push_back({std::string("partition_") + planner_version_name(config.version), watch.elapsed_ms()});
  bundle.passes_run.push_back(std::string("partition_") + planner_version_name(config.version));
  if (verify) verify_plan(bundle);

  default_pass_pipeline(config).run(bundle, verify);
  return bundle;
}

}  // namespace bf
