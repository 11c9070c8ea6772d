#include "planner/planner.h"

#include "planner/bound_program.h"
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

PlanBundle make_plan(std::shared_ptr<const Graph> graph, BoundProgram program, const PlannerConfig& config) {
  check_config(config);
  BF_CHECK(graph != nullptr, ErrorKind::Internal, "make_plan without a graph");
#ifdef NDEBUG
  const bool verify = config.verify;
#else
  const bool verify = true;
#endif
  PlanBundle bundle;
  bundle.graph = std::move(graph);
  bundle.config = config;
  Stopwatch watch;
  bundle.storage.logical_buffers = std::move(program.buffers);
  for (std::size_t i = 0; i < bundle.storage.logical_buffers.size(); ++i) {
    BF_CHECK(bundle.storage.logical_buffers[i].id == static_cast<BufferId>(i), ErrorKind::Internal,
             "program buffer {} carries id {}", i, bundle.storage.logical_buffers[i].id);
  }
  bundle.storage.value_to_buffer = std::move(program.value_to_buffer);
  bundle.task_graph.tasks = std::move(program.tasks);
  for (std::size_t t = 0; t < bundle.task_graph.tasks.size(); ++t) {
    BF_CHECK(bundle.task_graph.tasks[t].id == static_cast<TaskId>(t), ErrorKind::Internal,
             "program task {} carries id {}", t, bundle.task_graph.tasks[t].id);
  }
  bundle.sweeps = std::move(program.sweeps);
  build_task_contracts(bundle);
  bundle.timings.push_back({"program", watch.elapsed_ms()});
  bundle.passes_run.push_back("program");
  if (verify) verify_plan(bundle);
  default_pass_pipeline(config).run(bundle, verify);
  return bundle;
}

}  // namespace bf
