// Bound methods behind one small interface: a request (network, input region,
// optional output spec, planner and executor options) goes in, bounds come out.
// Each method builds a plan (the planner places every buffer, including the A
// matrices of backward sweeps), runs it on the chosen executor and checks the
// result. Later verification code (attacks, branch and bound) asks for bounds
// only through here.
//
//   ibp         interval bound propagation
//   crown       backward linear bounds; intermediate bounds as auto_LiRPA's CROWN
//               (or every element with dense_intermediates)
//   crown-ibp   IBP for intermediate bounds, CROWN for the output
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bound/input_region.h"
#include "methods/alpha_options.h"
#include "methods/memory_budget.h"
#include "planner/plan_bundle.h"
#include "runtime/bound_executor.h"
#include "runtime/compiled/compile_cache.h"
#include "runtime/compiled/compile_options.h"
#include "runtime/compiled/compiled_program.h"

namespace bf {

enum class ExecutorKind : std::uint8_t { Compiled, Reference };
const char* executor_kind_name(ExecutorKind k);

struct BoundRequest {
  std::shared_ptr<const Graph> graph;  // normalised primal graph
  InputRegion region;
  std::optional<Tensor> spec;  // C: bound the rows of C·y instead of y
  bool fuse_spec = false;      // fold C into the last affine layer
  PlannerConfig planner;       // domain, dtype and batch are set by the method
  ExecutorKind executor = ExecutorKind::Compiled;
  CompileOptions compile;
  CompileCache* cache = nullptr;  // null: the process-wide cache
  bool export_intermediates = false;
  // Linear methods: compute every intermediate bound by a sweep over all its
  // elements (auto_LiRPA's CROWN-dense); and which sides of the output to bound.
  bool dense_intermediates = false;
  bool lower = true;
  bool upper = true;
  // Bytes the computation may hold (the compiled program's arena and prepared
  // weights; the reference executor's planned buffers). 0: the default budget
  // (a share of the available memory). The work is chunked to fit.
  std::int64_t max_memory = 0;
  // crown, crown-ibp: also return each output row's linear bounds in x (the
  // final sweep's A at the graph input; at a point region, the gradients).
  bool export_input_coefficients = false;
  // Rows of a sweep computed at once, at most (fewer when the budget says so).
  // The bounds do not depend on it, bit for bit.
  std::int64_t max_rows_per_chunk = kMaxRowsPerChunk;
  // Nor more rows than keep a chunk's buffers within this many bytes (0: no
  // such cap): a speed setting (memory_budget.h), the bounds do not change.
  std::int64_t chunk_cache_bytes = kChunkCacheBytes;
  // alpha-crown: the optimiser, and parameters to start from (a previous
  // result's: rows they do not cover start from CROWN's choice).
  AlphaOptions alpha;
  std::shared_ptr<const AlphaValues> alpha_init;
  // Sound floating point (crown, crown-ibp, alpha-crown): the program carries a
  // rounding account, so every bound holds in exact real arithmetic for the
  // graph's own constants and the region (docs/soundness.md).
  bool sound_fp = false;
};

struct BoundResult {
  std::vector<OutputBounds> outputs;
  std::vector<OutputBounds> intermediates;  // with export_intermediates: the intermediate values bounded
  std::shared_ptr<const PlanBundle> plan;
  BoundRunStats stats;
  std::string executor;
  // The compiled program (compiled executor, the last sub-batch's), kept for its statistics.
  std::shared_ptr<const CompiledProgram> program;
  Chunking chunking;               // how the work was cut to fit the budget
  std::int64_t budget_bytes = 0;   // the budget it was fitted to
  std::int64_t planned_bytes = 0;  // compiled: the largest program's planned memory
  // With export_input_coefficients: [batch x output rows, input elements] per
  // side, sample-major (the rows of C, or the output's elements).
  Tensor coeff_lower, coeff_upper;
  // alpha-crown: the optimised parameters (for a warm start) and how the optimisation went.
  std::shared_ptr<const AlphaValues> alpha;
  AlphaReport alpha_report;
};

// A method made ready for a request's network, batch size, dtype and budget:
// the work chunked to fit, plans made and programs compiled once. run() bounds
// any region of that batch size and dtype (repeated calls only run).
class PreparedBounds {
 public:
  virtual ~PreparedBounds() = default;
  virtual BoundResult run(const InputRegion& region) = 0;
  // The plan (and compiled program, or null) of a full sub-batch.
  virtual const PlanBundle& plan() const = 0;
  virtual const CompiledProgram* program() const = 0;
};

class BoundMethod {
 public:
  virtual ~BoundMethod() = default;
  virtual std::string name() const = 0;
  virtual std::unique_ptr<PreparedBounds> prepare(const BoundRequest& request) const = 0;
  // prepare(request)->run(request.region).
  BoundResult compute(const BoundRequest& request) const;
};

// Helpers the methods share.
PlannerConfig config_for(const BoundRequest& r, PlanDomain domain, std::int64_t batch);
// Samples [first, first + count) of a region.
InputRegion slice_region(const InputRegion& r, std::int64_t first, std::int64_t count);
// Appends `part`'s samples to `all` (same values, in sample order).
void append_samples(std::vector<OutputBounds>& all, std::vector<OutputBounds> part);

// "ibp", "crown", "crown-ibp" or "alpha-crown"; throws bf::Error(Usage) otherwise.
std::unique_ptr<BoundMethod> make_bound_method(const std::string& name);
const std::vector<std::string>& bound_method_names();

// The graph actually bounded: the request's graph with the spec appended (or fused).
std::shared_ptr<const Graph> bounded_graph(const BoundRequest& request);

// Throws bf::Error(Invalid) if any bound is NaN; infinite bounds are sound and allowed.
void check_no_nan(const std::vector<OutputBounds>& bounds);

}  // namespace bf
