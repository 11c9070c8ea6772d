// The reference executor of a plan: runs each task op by op with the reference
// semantics (bf::eval_op for concrete values, bf::ibp_eval_op for intervals),
// with every value stored in the physical buffer the StoragePlan assigns.
// Plain on purpose: it defines what the compiled executor must reproduce.
#pragma once

#include <map>
#include <vector>

#include "bound/input_region.h"
#include "bound/interval_ops.h"
#include "bound/linear/linear_view.h"
#include "planner/plan_bundle.h"
#include "runtime/bound_executor.h"
#include "runtime/task_executor.h"
#include "runtime/tracking_allocator.h"

namespace bf {

// Copies the bounds of one output out of its interval storage (lower plane at
// `base`, upper plane `plane_bytes` later).
OutputBounds output_bounds_from_planes(std::string name, Shape shape, std::int64_t batch, DType dtype, const char* base,
                                       std::int64_t plane_bytes);

using PlannedRunStats = BoundRunStats;

// The bounds of every buffer a plan exports: graph outputs first (in output
// order), then the other Output-scope buffers (intermediates) in id order.
// `read` gives the storage of a logical buffer.
template <typename Read>
BoundRunResult exported_bounds(const PlanBundle& plan, Read&& read);

class ReferenceExecutor final : public TaskExecutor, public BoundExecutor {
 public:
  explicit ReferenceExecutor(const PlanBundle& bundle);

  std::string name() const override { return "reference"; }
  // Bounds over the plan (domain interval or linear). The region's dtype and batch must match the plan's.
  BoundRunResult run(const InputRegion& region, std::span<const StateBinding> state = {}) override;
  // run() without the intermediates, for callers of the IBP-era interface.
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
  // Linear plans (reference_linear.cpp).
  void run_sweep(const Task& task, std::int64_t first_op, BufferEnvironment& env);
  void run_linear_op(const TaskOp& op, const SweepChunk* chunk, BufferEnvironment& env);
  std::int64_t plane_bytes(BufferId logical) const;

  const PlanBundle& bundle_;
  TrackingAllocator allocator_;
  TrackingAllocator scratch_allocator_;
  AbsWeightCache abs_cache_;
  std::map<ValueId, Tensor> converted_constants_;  // graph constants in the plan dtype, when it differs
  std::map<std::pair<ValueId, std::int32_t>, BufferId> linear_buffer_;  // (value, sweep) -> its A buffer
  std::map<std::pair<ValueId, std::int32_t>, BufferId> dual_buffer_;    // (value, sweep) -> its D buffer
  std::map<NodeId, BufferId> relax_buffer_;                             // relaxed node -> its relaxation
};

template <typename Read>
BoundRunResult exported_bounds(const PlanBundle& plan, Read&& read) {
  BoundRunResult r;
  const Graph& g = *plan.graph;
  const StoragePlan& s = plan.storage;
  auto bounds_of = [&](BufferId b) {
    const BufferSpec& spec = s.logical_buffers[static_cast<std::size_t>(b)];
    return output_bounds_from_planes(spec.name, spec.shape, spec.batch, spec.dtype, read(b), spec.plane_bytes());
  };
  for (ValueId y : g.outputs()) r.outputs.push_back(bounds_of(s.buffer_of(y)));
  for (const auto& spec : s.logical_buffers) {
    if (spec.scope == BufferScope::Output && spec.layout == BufferLayout::Interval && !g.is_output(spec.value)) {
      r.intermediates.push_back(bounds_of(spec.id));
    }
  }
  return r;
}

}  // namespace bf
