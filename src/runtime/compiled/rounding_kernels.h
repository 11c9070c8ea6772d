// The compiled executor's kernels for a sound program's rounding account
// (bound/rounding/rounding_account.h): one generic kernel per op kind, the
// same functions the reference executor runs, so both give the same bits.
#pragma once

#include <memory>

#include "planner/plan_bundle.h"
#include "runtime/compiled/compiled_kernel.h"
#include "runtime/compiled/lowered_task.h"

namespace bf {

std::unique_ptr<CompiledKernel> make_rounding_kernel(StepKind kind, const PlanBundle& plan, const TaskOp& op);

}  // namespace bf
