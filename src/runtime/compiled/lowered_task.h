// A task on its way to becoming an executable program. The lowering passes
// (lowering_passes.h) fill it in order: steps chosen, fused, aliased, kernels
// prepared, memory planned. CompiledTask is the finished, immutable form.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/plan_bundle.h"
#include "runtime/compiled/compiled_kernel.h"
#include "runtime/compiled/memory_plan_mode.h"

namespace bf {

enum class StepKind : std::uint8_t {
  IntervalAffine,  // Affine-form layer on f32: fast interval GEMV / GEMM kernel
  IntervalConv,    // 2-D convolution on f32: oneDNN, centre and radius in one grouped call
  Elementwise,     // monotone activation applied to both bound planes
  Monotone,        // any op non-decreasing in its activations: the primal op on each plane
  Alias,           // a view (Flatten, Reshape, ...): the output shares the input's storage
  Rule,            // the reference interval rule, scratch planned by the executor
  // Linear (CROWN-family) plans:
  Relax,              // linear relaxation of a nonlinear node
  Select,             // a sweep's row list
  Seed,               // a sweep's one-hot rows
  Backward,           // the reference backward rule of a node
  BackwardAffine,     // Affine backward as matrix products (f32)
  BackwardConv,       // Conv backward as a oneDNN backward-data convolution over the rows (f32)
  BackwardRelaxed,    // elementwise relaxation applied to A, both sides in one pass
  BackwardView,       // a view (Flatten, Reshape, ...) between dense rows: A passes unchanged
  Concretize,         // a sweep's bounds at the graph input
  Restore,            // alpha: a swept value's interval from the best bounds so far
  DualSeed,           // alpha: each row's input corner
  Dual,               // alpha: the reference dual rule of a node (bound/linear/dual.h)
  BackwardReluAlpha,  // alpha: Relu / LeakyRelu backward with per-row lower slopes (f32, dense rows)
  DualSeedDense,      // alpha: the input corners of dense rows (f32)
  DualRelu,           // alpha: Relu / LeakyRelu dual and gradients (f32, dense rows)
  DualAffine,         // alpha: Affine dual as one matrix product (f32)
  DualView,           // alpha: a view between dense rows
  DualConv,           // alpha: Conv dual over whole images or one dense matrix for windows (f32)
  // Sound floating point (bound/rounding/rounding_account.h):
  Account,  // a node's rounding account (and the widening of its interval)
  Charge,   // a node's rounding charged to a sweep's bias
  // beta-CROWN (bound/linear/beta_steps.h):
  Beta,          // split constraints added to A at a ReLU input
  BetaGradient,  // their gradients from the ReLU input's dual
  Score,         // BaBSR branching scores
};
const char* step_kind_name(StepKind kind);

// What a step's results serve: the bounds, the optimiser's gradients (the dual
// sweep and beta's gradients), or the branching scores. A rerun of a branch
// program's final sweep leaves out the last two where nobody reads them
// (CompiledProgram::rerun_last_task).
enum class StepPurpose : std::uint8_t { Bounds, Gradients, Scores };
StepPurpose step_purpose(StepKind kind);

struct LoweredStep {
  StepKind kind = StepKind::Rule;
  std::vector<std::int32_t> ops;     // indices into the task's ops covered by this step
  NodeId node = -1;                  // the primary node (-1 for sweep steps of no node)
  std::optional<NodeId> activation;  // a fused activation node (Relu, ...)
  // Logical buffers read and written. Interval steps: the node's activation
  // operands in operand order, and its results (a fused step writes the
  // activation's result). Linear steps: the op's reads and writes.
  std::vector<BufferId> inputs;
  std::vector<BufferId> outputs;
  std::shared_ptr<CompiledKernel> kernel;
};

// One piece of memory as far as the executor is concerned: a program buffer
// shared with other tasks (External), a range of the task's arena (Arena), or
// a block allocated on its own at run time (Dynamic).
struct MemoryUnit {
  enum class Place : std::uint8_t { External, Arena, Dynamic };
  Place place = Place::Arena;
  BufferId physical = -1;  // External: the plan's physical buffer id
  std::int64_t bytes = 0;
  std::int32_t first_step = 0;
  std::int32_t last_step = 0;
  std::int64_t offset = -1;  // Arena
  bool scratch = false;
  std::string label;  // value names, or "scratch of step N"
};

struct LoweringContext {
  std::shared_ptr<const Graph> graph;
  const PlanBundle* plan = nullptr;
  const Task* task = nullptr;
  MemoryPlanMode mode = MemoryPlanMode::Default;
  std::string memory_planner = "greedy";
  // By physical buffer id: holds a buffer another task (or the caller) reads or writes.
  const std::vector<bool>* external_physical = nullptr;
  // When set, a text dump of the lowered task is appended after every pass.
  std::vector<std::string>* dumps = nullptr;
  // Filled by lower_task: the passes run so far.
  std::vector<std::string> passes_run;
};

struct LoweredTask {
  std::vector<LoweredStep> steps;
  std::map<BufferId, BufferId> alias_of;  // buffer -> the buffer whose storage it shares
  std::set<BufferId> channels_last;       // interval buffers whose planes are NHWC (conv to conv only)
  std::vector<MemoryUnit> units;
  std::map<BufferId, std::int32_t> unit_of_buffer;
  std::vector<std::int32_t> scratch_unit;  // per step, -1 when the step needs none
  std::int64_t arena_bytes = 0;
  std::int64_t lower_bound_bytes = 0;
  std::vector<std::string> unplanned_kernels;  // kernels FORCE_STATIC_PLAN would refuse
  std::vector<PassTiming> pass_timings;
  std::map<BufferId, std::int64_t> plane_bytes;  // bytes of one plane of each buffer touched
  // The constants the task reads, held so their storage (part of the cache key)
  // cannot be freed and reused while this compiled task exists.
  std::vector<Tensor> pinned_constants;
};

}  // namespace bf
