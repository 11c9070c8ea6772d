// IBP as a method: specification -> plan -> execution -> bounds. The one place
// that strings the pipeline together for a bound computation, used by the CLI,
// the benchmarks and the tests.
#pragma once

#include <memory>
#include <optional>

#include "bound/input_region.h"
#include "planner/plan_bundle.h"
#include "runtime/compiled/compiled_program.h"
#include "runtime/reference_executor.h"

namespace bf {

struct IbpRequest {
  std::shared_ptr<const Graph> graph;  // normalised primal graph
  InputRegion region;
  std::optional<Tensor> spec;  // C: bound rows of C·y instead of y
  bool fuse_spec = false;
  PlannerConfig planner;  // domain is forced to interval, dtype and batch to the region's
};

struct IbpResult {
  std::vector<OutputBounds> outputs;
  PlanBundle plan;
  PlannedRunStats stats;
  std::int64_t prepared_param_bytes = 0;
};

// Runs IBP with the reference executor. Fails loudly (bf::Error) rather than
// returning bounds it cannot vouch for; NaN bounds are reported as an error.
IbpResult compute_ibp_reference(const IbpRequest& request);

struct CompiledIbpResult {
  std::vector<OutputBounds> outputs;
  std::unique_ptr<PlanBundle> plan;  // owned here: the program refers to it
  std::unique_ptr<CompiledProgram> program;
  CompiledRunStats stats;
};

// Runs IBP with the compiled executor (compiling through `cache`).
CompiledIbpResult compute_ibp_compiled(const IbpRequest& request, const CompileOptions& options,
                                       CompileCache& cache = CompileCache::global());

// The graph actually bounded: `graph` with the spec appended (or fused) when given.
std::shared_ptr<const Graph> graph_for_request(const IbpRequest& request);

// Planner options adjusted to the request (interval domain, region dtype and batch).
PlannerConfig planner_config_for(const IbpRequest& request);

// Throws bf::Error(Invalid) if any bound is NaN; infinite bounds are sound and allowed.
void check_bounds_not_nan(const std::vector<OutputBounds>& outputs);

}  // namespace bf
