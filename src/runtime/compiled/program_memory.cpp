#include "runtime/compiled/program_memory.h"

#include <algorithm>

#include "planner/passes/liveness_pass.h"
#include "runtime/compiled/memory_planner.h"
#include "support/error.h"

namespace bf {

MemoryStats& MemoryStats::operator+=(const MemoryStats& o) {
  alloc_storage_count += o.alloc_storage_count;
  alloc_tensor_count += o.alloc_tensor_count;
  alloc_storage_total_bytes += o.alloc_storage_total_bytes;
  alloc_storage_max_bytes = std::max(alloc_storage_max_bytes, o.alloc_storage_max_bytes);
  arena_bytes += o.arena_bytes;
  lower_bound_bytes += o.lower_bound_bytes;
  return *this;
}

std::vector<bool> external_physical_buffers(const PlanBundle& plan) {
  const StoragePlan& s = plan.storage;
  std::vector<bool> ext(static_cast<std::size_t>(s.num_physical_buffers()), false);
  auto mark = [&](BufferId logical) { ext[static_cast<std::size_t>(s.to_physical(logical))] = true; };
  for (const auto& task : plan.task_graph.tasks) {
    for (BufferId b : task.io.inputs) mark(b);
    for (BufferId b : task.io.outputs) mark(b);
  }
  for (const auto& spec : s.logical_buffers) {
    if (spec.scope == BufferScope::Input || spec.scope == BufferScope::Output || spec.scope == BufferScope::State) {
      mark(spec.id);
    }
  }
  return ext;
}

ProgramMemory::ProgramMemory(const PlanBundle& plan, std::vector<bool> external, MemoryPlanMode mode,
                             const std::string& memory_planner, const std::vector<std::int64_t>& task_arena_bytes)
    : external_(std::move(external)), mode_(mode) {
  const StoragePlan& s = plan.storage;
  const std::size_t np = external_.size();
  const auto num_tasks = static_cast<TaskId>(plan.task_graph.tasks.size());
  const LivenessInfo live = plan.liveness ? *plan.liveness : compute_liveness(plan);
  bytes_.assign(np, 0);
  offset_.assign(np, -1);
  last_task_.assign(np, -1);
  dynamic_.assign(np, nullptr);
  bound_.assign(np, nullptr);
  std::vector<TaskId> first_task(np, num_tasks + 1);
  for (const auto& life : live.lifetimes) {
    const auto p = static_cast<std::size_t>(s.to_physical(life.buffer));
    if (!external_[p]) continue;
    bytes_[p] = std::max(bytes_[p], s.logical_buffers[static_cast<std::size_t>(life.buffer)].bytes);
    first_task[p] = std::min(first_task[p], life.pinned ? TaskId{-1} : life.producer_task);
    last_task_[p] = std::max(last_task_[p], life.pinned ? num_tasks : life.last_use_task);
  }
  // The plan at task granularity (shifted so the graph inputs' "before task 0" is step 0).
  auto planner = make_memory_planner(memory_planner);
  std::vector<std::size_t> ids;
  for (std::size_t p = 0; p < np; ++p) {
    if (!external_[p]) continue;
    planner->add_buffer(bytes_[p], first_task[p] + 1, last_task_[p] + 1);
    ids.push_back(p);
  }
  stats_.alloc_tensor_count = static_cast<std::int64_t>(ids.size());
  if (is_static(mode_)) {
    // Each task's arena lives while its task runs (step t + 1 in this numbering).
    BF_ASSERT(task_arena_bytes.size() == static_cast<std::size_t>(num_tasks));
    std::vector<std::int32_t> task_ids;
    for (TaskId t = 0; t < num_tasks; ++t) {
      task_ids.push_back(planner->add_buffer(task_arena_bytes[static_cast<std::size_t>(t)], t + 1, t + 1));
    }
    stats_.lower_bound_bytes = planner->lower_bound_bytes();
    planner->plan();
    planner->check_no_overlap();
    for (std::size_t k = 0; k < ids.size(); ++k) offset_[ids[k]] = planner->offset(static_cast<std::int32_t>(k));
    for (std::int32_t id : task_ids) task_offset_.push_back(planner->offset(id));
    arena_bytes_ = planner->arena_bytes();
    stats_.alloc_storage_count = arena_bytes_ > 0 ? 1 : 0;
    stats_.alloc_storage_total_bytes = stats_.alloc_storage_max_bytes = stats_.arena_bytes = arena_bytes_;
  } else {
    stats_.lower_bound_bytes = planner->lower_bound_bytes();
    stats_.alloc_storage_count = stats_.alloc_tensor_count;
    for (std::size_t p : ids) {
      stats_.alloc_storage_total_bytes += bytes_[p];
      stats_.alloc_storage_max_bytes = std::max(stats_.alloc_storage_max_bytes, bytes_[p]);
    }
  }
}

ProgramMemory::~ProgramMemory() = default;

void ProgramMemory::begin_run(TrackingAllocator& allocator) {
  if (is_static(mode_) && arena_ == nullptr && arena_bytes_ > 0) {
    arena_ = static_cast<char*>(allocator.allocate(arena_bytes_));
  }
}

char* ProgramMemory::buffer(BufferId p, TrackingAllocator& allocator) {
  const auto i = static_cast<std::size_t>(p);
  BF_ASSERT(i < external_.size() && external_[i]);
  if (bound_[i] != nullptr) return bound_[i];
  if (is_static(mode_)) return arena_ + offset_[i];
  if (!dynamic_[i]) dynamic_[i] = static_cast<char*>(allocator.allocate(bytes_[i]));
  return dynamic_[i];
}

void ProgramMemory::bind(BufferId p, char* data) {
  const auto i = static_cast<std::size_t>(p);
  BF_ASSERT(i < external_.size() && external_[i] && data != nullptr);
  bound_[i] = data;
}

void ProgramMemory::unbind_all() { std::fill(bound_.begin(), bound_.end(), nullptr); }

char* ProgramMemory::task_arena(TaskId t) const {
  BF_ASSERT(is_static(mode_) && t >= 0 && static_cast<std::size_t>(t) < task_offset_.size());
  return arena_ + task_offset_[static_cast<std::size_t>(t)];
}

void ProgramMemory::after_task(TaskId task, TrackingAllocator& allocator) {
  if (is_static(mode_)) return;
  for (std::size_t p = 0; p < dynamic_.size(); ++p) {
    if (dynamic_[p] && last_task_[p] == task) {
      allocator.release(dynamic_[p], bytes_[p]);
      dynamic_[p] = nullptr;
    }
  }
}

void ProgramMemory::end_run(TrackingAllocator& allocator) {
  if (is_static(mode_)) return;
  for (std::size_t p = 0; p < dynamic_.size(); ++p) {
    if (dynamic_[p]) {
      allocator.release(dynamic_[p], bytes_[p]);
      dynamic_[p] = nullptr;
    }
  }
}

void ProgramMemory::release(TrackingAllocator& allocator) {
  end_run(allocator);
  if (arena_) {
    allocator.release(arena_, arena_bytes_);
    arena_ = nullptr;
  }
}

}  // namespace bf
