// Memory of the buffers tasks hand to each other (and the graph's inputs and
// outputs): the StoragePlan's physical buffers that hold any task-boundary
// buffer. With a static memory plan they sit at fixed offsets of one program
// arena, planned at compile time with task-level lifetimes together with each
// task's own arena (alive only while its task runs, so task arenas overlap each
// other), and allocated once: the whole program runs in one block. Without a
// static plan each buffer is allocated when first written in a run and released
// after the last task that reads it.
#pragma once

#include <cstdint>
#include <vector>

#include "planner/plan_bundle.h"
#include "runtime/compiled/memory_plan_mode.h"
#include "runtime/tracking_allocator.h"

namespace bf {

struct MemoryStats {
  std::int64_t alloc_storage_count = 0;        // distinct storage blocks
  std::int64_t alloc_tensor_count = 0;         // tensors placed in them
  std::int64_t alloc_storage_total_bytes = 0;  // bytes of all blocks
  std::int64_t alloc_storage_max_bytes = 0;    // the largest block
  std::int64_t arena_bytes = 0;                // static arena (0 without a static plan)
  std::int64_t lower_bound_bytes = 0;          // most bytes alive at once
  MemoryStats& operator+=(const MemoryStats& o);
};

// Physical buffers that cross task boundaries, by physical id.
std::vector<bool> external_physical_buffers(const PlanBundle& plan);

class ProgramMemory {
 public:
  // task_arena_bytes: each task's arena (static modes), placed in the program arena.
  ProgramMemory(const PlanBundle& plan, std::vector<bool> external, MemoryPlanMode mode,
                const std::string& memory_planner, const std::vector<std::int64_t>& task_arena_bytes);
  // The owner calls release() with the allocator it used before destroying this.
  ~ProgramMemory();

  void begin_run(TrackingAllocator& allocator);
  // Storage of physical buffer `p` (allocated now in DISABLE mode if it is not yet).
  char* buffer(BufferId p, TrackingAllocator& allocator);
  // Until unbind_all(): physical buffer `p` (a State buffer) is the caller's memory at `data`.
  void bind(BufferId p, char* data);
  void unbind_all();
  // DISABLE mode: releases the buffers no task after `task` touches.
  void after_task(TaskId task, TrackingAllocator& allocator);
  // DISABLE mode: releases what is left (graph inputs and outputs, once read).
  void end_run(TrackingAllocator& allocator);
  void release(TrackingAllocator& allocator);

  // Static modes: where task `t`'s arena starts (valid after begin_run).
  char* task_arena(TaskId t) const;

  const std::vector<bool>& external() const { return external_; }
  // The program buffers (tensor count, and in static modes the one arena that also
  // holds the task arenas, with the lower bound of that arena).
  const MemoryStats& stats() const { return stats_; }

 private:
  std::vector<bool> external_;
  MemoryPlanMode mode_;
  std::vector<std::int64_t> bytes_;        // by physical id (0 when not external)
  std::vector<std::int64_t> offset_;       // static modes
  std::vector<TaskId> last_task_;          // last task touching each buffer (num_tasks when pinned)
  std::vector<std::int64_t> task_offset_;  // static modes, by task
  std::int64_t arena_bytes_ = 0;
  char* arena_ = nullptr;
  std::vector<char*> dynamic_;
  std::vector<char*> bound_;  // by physical id: the caller's memory, for this run
  MemoryStats stats_;
};

}  // namespace bf
