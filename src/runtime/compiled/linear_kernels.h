// The compiled executor's kernels for linear (CROWN-family) steps. Each is
// built once from the plan (buffer geometry, constants in the plan dtype,
// prepared weights) and run once per chunk of a sweep on executor memory.
//
//   relax, select, seed, backward (any op)   the reference functions of
//       bound/linear, bound to their buffers at compile time
//   backward_affine   A_in = A_out W as one matrix product per side and sample
//   backward_conv     the rows as images through a oneDNN backward-data
//                     convolution (the transposed convolution of A), windows
//                     masked to the image
//   backward_relaxed  the relaxation applied to both sides in one pass
//   concretize        the rows' bounds over the input box, in one pass
#pragma once

#include <memory>

#include "planner/plan_bundle.h"
#include "runtime/compiled/compiled_kernel.h"
#include "runtime/compiled/lowered_task.h"

namespace bf {

// A kernel for linear step `kind` covering task op `op` of `plan`.
std::unique_ptr<CompiledKernel> make_linear_kernel(StepKind kind, const PlanBundle& plan, const TaskOp& op);

}  // namespace bf
