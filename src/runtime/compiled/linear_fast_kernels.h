// Fast f32 kernels of CROWN's backward sweeps (compiled executor). Each
// computes what the reference rule in bound/linear computes, for the same
// buffers; tests compare the two on every shape they support.
//
// Window buffers keep one invariant the kernels rely on: entries of a row's
// window that fall outside the value's image are zero (they stand for padding,
// a constant 0, and must not flow further back).
#pragma once

#include <memory>

#include "bound/linear/concretize.h"
#include "planner/plan_bundle.h"
#include "runtime/compiled/compiled_kernel.h"
#include "runtime/compiled/lowered_task.h"

namespace bf {

// BackwardAffine, BackwardConv or BackwardRelaxed for task op `op`.
std::unique_ptr<CompiledKernel> make_fast_backward_kernel(StepKind kind, const PlanBundle& plan, const TaskOp& op);

// concretize_rows, vectorised over each row's contiguous runs (f32; other
// dtypes run the reference).
void concretize_fast(const SweepChunk& chunk, DType dtype, const LinearView& at_input, const BiasView& bias,
                     IntervalView input_box, const ConcretizeTarget& target);

}  // namespace bf
