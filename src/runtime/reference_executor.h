// The reference executor of a plan: runs each task op by op with the reference
// semantics (bf::eval_op for concrete values, bf::ibp_eval_op for intervals),
// with every value stored in the physical buffer the StoragePlan assigns.
// Plain on purpose: it defines what the compiled executor must reproduce.
#pragma once

#include <map>
#include <vector>

#include "bound/input_region.h"
#include "bound/interval_ops.h"
#include "planner/plan_bundle.h"
#include "runtime/task_executor.h"
#include "runtime/tracking_allocator.h"

namespace bf {

// Bounds of one graph output for a batch: `batch` samples of `shape` per plane.
struct OutputBounds {
  std::string name;
  Shape shape;
  std::int64_t batch = 1;
  Tensor lower;  // flat, batch * numel(shape)
  Tensor upper;
};

// Copies the bounds of one output out of its interval storage (lower plane at
// `base`, upper plane `plane_bytes` later).
OutputBounds output_bounds_from_planes(std::string name, Shape shape, std::int64_t batch, DType dtype, const char* base,
                                       std::int64_t plane_bytes);

struct PlannedRunStats {
  AllocatorStats memory;   // the plan's buffers, counted by the executor's allocator during the run
  AllocatorStats scratch;  // temporaries of interval rules (centre/radius planes, ...), allocated per op
  double run_ms = 0.0;
};

class ReferenceExecutor final : public TaskExecutor {
 public:
  explicit ReferenceExecutor(const PlanBundle& bundle);

  // IBP over the plan (domain interval). The region's dtype and batch must match the plan's.
  std::vector<OutputBounds> run_bounds(const InputRegion& region, PlannedRunStats* stats = nullptr);
  // Concrete forward pass over the plan (domain primal): one flat tensor per
  // graph input (batch * numel values), one per output.
  std::vector<Tensor> run_forward(const std::vector<Tensor>& inputs, PlannedRunStats* stats = nullptr);

  void run_task(const Task& task, std::int64_t first_op, BufferEnvironment& env) override;

  // Bytes of |W| prepared for this plan (once, on first use).
  std::int64_t prepared_param_bytes() const { return abs_cache_.bytes(); }

 private:
  const Tensor& constant(ValueId v);
  void run_interval_op(const TaskOp& op, BufferEnvironment& env);
  void run_primal_op(const TaskOp& op, BufferEnvironment& env);
  std::int64_t plane_bytes(BufferId logical) const;

  const PlanBundle& bundle_;
  TrackingAllocator allocator_;
  TrackingAllocator scratch_allocator_;
  AbsWeightCache abs_cache_;
  std::map<ValueId, Tensor> converted_constants_;  // graph constants in the plan dtype, when it differs
};

}  // namespace bf
