// The compiled executor: every task of a plan lowered once (through the
// compile cache) into kernels and a memory plan, then run many times without
// planning again. Same IBP semantics as the reference executor.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "runtime/compiled/compile_cache.h"
#include "runtime/compiled/compile_options.h"
#include "runtime/compiled/program_memory.h"
#include "runtime/reference_executor.h"

namespace bf {

struct TaskCompileStats {
  TaskId task = -1;
  std::string name;
  bool cache_hit = false;
  std::uint64_t key = 0;
  double compile_ms = 0.0;  // 0 on a cache hit
  std::vector<PassTiming> passes;
  MemoryStats memory;
  std::vector<std::string> kernels;
  std::vector<std::string> unplanned_kernels;
  std::int64_t prepared_bytes = 0;
};

struct CompileStats {
  MemoryPlanMode mode = MemoryPlanMode::Default;
  std::vector<std::string> lowering_passes;
  std::string memory_planner;
  std::vector<TaskCompileStats> tasks;
  MemoryStats tasks_total;           // summed over tasks
  MemoryStats program;               // the buffers tasks hand each other (static: the one arena holding everything)
  MemoryStats total;                 // everything: in static modes the one program arena, else tasks + program
  std::int64_t workspace_bytes = 0;  // the largest task arena
  std::int64_t prepared_bytes = 0;   // summed over tasks: weights, |W|, packed matrices kernels keep
  double compile_ms = 0.0;
  std::int64_t cache_hits = 0;
  std::int64_t cache_misses = 0;
};

// memory: everything the executor allocated, counted by its own allocator.
using CompiledRunStats = BoundRunStats;

class CompiledProgram final : public BoundExecutor {
 public:
  // The plan must outlive the program. Throws bf::Error on anything it cannot
  // compile (FORCE_STATIC_PLAN with an unplannable kernel, bad options, ...).
  CompiledProgram(const PlanBundle& plan, const CompileOptions& options, CompileCache& cache);
  // With `lowering_dumps`: every task is lowered afresh (no cache lookup) and a
  // text dump of it appended after each lowering pass.
  CompiledProgram(const PlanBundle& plan, const CompileOptions& options, CompileCache& cache,
                  std::vector<std::string>* lowering_dumps);
  ~CompiledProgram();
  CompiledProgram(const CompiledProgram&) = delete;
  CompiledProgram& operator=(const CompiledProgram&) = delete;

  std::string name() const override { return "compiled"; }
  BoundRunResult run(const InputRegion& region, std::span<const StateBinding> state = {}) override;
  // run() without the intermediates.
  std::vector<OutputBounds> run_bounds(const InputRegion& region, CompiledRunStats* stats = nullptr);
  // Runs the last task again (a branch program's final sweep between optimiser
  // steps) on what the previous run() left in the program's arena: every
  // buffer the task reads that no State binding supplies keeps that run's
  // values, since nothing else writes the arena in between. Static memory plans
  // only (a dynamic plan frees those buffers); throws otherwise, or when no
  // run() completed since the program was built or a run failed.
  // `parts`: which of the task's gradient and score steps run (bound steps
  // always do). Left out, their outputs keep the earlier run's values. Where a
  // bound step reads what such a step writes, every step runs.
  struct RerunParts {
    bool gradients = true;
    bool scores = true;
  };
  BoundRunResult rerun_last_task(std::span<const StateBinding> state, RerunParts parts);
  BoundRunResult rerun_last_task(std::span<const StateBinding> state) { return rerun_last_task(state, RerunParts{}); }
  bool can_rerun_last_task() const { return arena_holds_last_run_; }

  const CompileStats& compile_stats() const { return stats_; }
  // The memory a run holds: the program's storage (in static modes its one
  // arena) plus what the kernels prepared. What a memory budget is checked against.
  std::int64_t planned_bytes() const { return stats_.total.alloc_storage_total_bytes + stats_.prepared_bytes; }
  const CompileOptions& options() const { return options_; }
  // Steps, kernels and memory units of every task (for dumps).
  nlohmann::json describe() const;

 private:
  void bind_state(std::span<const StateBinding> state);
  void copy_state_out(std::span<const StateBinding> state);
  void run_task(std::size_t t);
  void run_steps(std::size_t t, const SweepChunk* chunk);
  char* unit_base(std::size_t task, const LoweredTask& lt, std::int32_t unit);

  const PlanBundle& plan_;
  CompileOptions options_;
  std::vector<std::shared_ptr<const LoweredTask>> tasks_;
  std::vector<bool> external_;  // by physical buffer: crosses a task boundary
  std::unique_ptr<ProgramMemory> program_memory_;
  bool arena_holds_last_run_ = false;  // a run() completed and nothing has written the arena since
  // The last task's bound steps read nothing its gradient or score steps write,
  // so a rerun may leave those out; and what the running rerun leaves out.
  bool last_task_parts_separable_ = false;
  RerunParts running_parts_;
  TrackingAllocator allocator_;
  std::vector<char*> dynamic_;  // DISABLE mode: live units of the running task
  CompileStats stats_;
  struct ProfileTotal {
    double ms = 0.0;
    std::int64_t calls = 0, rows = 0;  // rows: a backward sweep's chunk rows
  };
  bool profile_ = false;                                // BF_PROFILE=1
  std::map<std::string, ProfileTotal> profile_totals_;  // by kernel
};

nlohmann::json memory_stats_json(const MemoryStats& m);
// Human-readable form of describe() and the compile statistics.
std::string compiled_to_text(const CompiledProgram& program);
nlohmann::json compile_stats_json(const CompileStats& s, bool include_timings);

}  // namespace bf
