#include "methods/ibp_method.h"

#include <cmath>

#include "bound/linear_spec.h"
#include "planner/planner.h"
#include "support/error.h"

namespace bf {

std::shared_ptr<const Graph> graph_for_request(const IbpRequest& request) {
  BF_CHECK(request.graph != nullptr, ErrorKind::Internal, "IBP request without a graph");
  if (!request.spec) return request.graph;
  return with_linear_spec(*request.graph, *request.spec, request.fuse_spec);
}

PlannerConfig planner_config_for(const IbpRequest& request) {
  PlannerConfig config = request.planner;
  config.domain = PlanDomain::Interval;
  config.dtype = request.region.dtype;
  config.batch = request.region.batch;
  return config;
}

void check_bounds_not_nan(const std::vector<OutputBounds>& outputs) {
  for (const auto& o : outputs) {
    auto lo = o.lower.to_double_vector();
    auto hi = o.upper.to_double_vector();
    for (std::size_t i = 0; i < lo.size(); ++i) {
      BF_CHECK(!std::isnan(lo[i]) && !std::isnan(hi[i]), ErrorKind::Invalid,
               "bound {} of output '{}' is NaN: the network overflows on this input region", i, o.name);
    }
  }
}

IbpResult compute_ibp_reference(const IbpRequest& request) {
  IbpResult result;
  result.plan = make_plan(graph_for_request(request), planner_config_for(request));
  ReferenceExecutor executor(result.plan);
  result.outputs = executor.run_bounds(request.region, &result.stats);
  result.prepared_param_bytes = executor.prepared_param_bytes();
  check_bounds_not_nan(result.outputs);
  return result;
}

}  // namespace bf

namespace bf {

CompiledIbpResult compute_ibp_compiled(const IbpRequest& request, const CompileOptions& options, CompileCache& cache) {
  CompiledIbpResult result;
  result.plan = std::make_unique<PlanBundle>(make_plan(graph_for_request(request), planner_config_for(request)));
  result.program = std::make_unique<CompiledProgram>(*result.plan, options, cache);
  result.outputs = result.program->run_bounds(request.region, &result.stats);
  check_bounds_not_nan(result.outputs);
  return result;
}

}  // namespace bf
