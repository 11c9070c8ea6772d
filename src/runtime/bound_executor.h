// The one interface both executors implement: run a planned bound computation
// (interval or linear plans) over an input region and return the bounds of the
// graph outputs, plus any intermediate values the plan exports.
#pragma once

#include <string>
#include <vector>

#include "bound/input_region.h"
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

class BoundExecutor {
 public:
  virtual ~BoundExecutor() = default;
  virtual std::string name() const = 0;
  // The region's dtype and batch must match the plan's.
  virtual BoundRunResult run(const InputRegion& region) = 0;
};

}  // namespace bf
