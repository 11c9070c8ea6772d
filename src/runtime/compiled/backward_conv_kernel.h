// CROWN's backward step through a Conv (group 1) on the compiled executor:
// oneDNN backward-data convolutions, a dense T for small windows, or column
// products (rowwise_gemm) with the kernel's offsets added back; see the
// class comment in backward_conv_kernel.cpp for which takes what.
#pragma once

#include <memory>

#include "planner/plan_bundle.h"
#include "runtime/compiled/compiled_kernel.h"
#include "runtime/compiled/lowered_task.h"

namespace bf {

std::unique_ptr<CompiledKernel> make_backward_conv_kernel(const PlanBundle& plan, const TaskOp& op);

}  // namespace bf
