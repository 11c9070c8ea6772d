// The one interface both executors implement: run a planned bound computation
// (interval or linear plans) over an input region and return the bounds of the
// graph outputs, plus any intermediate values the plan exports.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "bound/input_region.h"
#include "planner/plan_bundle.h"
#include "runtime/tracking_allocator.h"
#include "tensor/tensor.h"

namespace bf {

// Bounds of one value for a batch: `batch` samples of `shape` per plane.
struct OutputBounds {
  std::string name;
  Shape shape;
  std::int64_t batch = 1;
  Tensor lower;  // flat, batch * numel(shape)
  Tensor upper;
};

struct BoundRunStats {
  AllocatorStats memory;                  // everything the executor allocated for the plan's buffers (and scratch)
  AllocatorStats scratch;                 // reference executor: temporaries of rules, allocated per op
  std::int64_t prepared_param_bytes = 0;  // reference executor: |W| prepared for the plan
  double run_ms = 0.0;
};

struct BoundRunResult {
  std::vector<OutputBounds> outputs;        // one per graph output
  std::vector<OutputBounds> intermediates;  // exported intermediate values, in value order
  BoundRunStats stats;
};

// A State buffer (planner/buffer_spec.h) bound to the caller's memory for one
// run: `data` holds the buffer's planes back to back (layout planes x
// plane_bytes), copied in before the run and back after it.
struct StateBinding {
  BufferId buffer = -1;
  void* data = nullptr;
  bool in = true;
  bool out = true;
  // The compiled executor reads and writes `data` in place for the run (no
  // copy in or out; `in` and `out` are then implied): for large parameter
  // buffers run many times (beta-CROWN's). Other executors copy.
  bool direct = false;
};

class BoundExecutor {
 public:
  virtual ~BoundExecutor() = default;
  virtual std::string name() const = 0;
  // The region's dtype and batch must match the plan's. Every State buffer of
  // the plan must be bound.
  virtual BoundRunResult run(const InputRegion& region, std::span<const StateBinding> state = {}) = 0;
};

// The State buffers of `plan` all bound exactly once, else bf::Error(Usage).
void check_state_bindings(const PlanBundle& plan, std::span<const StateBinding> state);

}  // namespace bf
