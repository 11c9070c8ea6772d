// The compiled executor's fast f32 kernels for alpha-CROWN's steps on dense
// rows (windows keep the reference rules):
//   backward_relu_alpha  Relu / LeakyRelu backward with each row's own lower
//                        slope, clamped (and initialised) in place
//   dual_relu            the rows' relaxed values through Relu / LeakyRelu, and
//                        the gradients by the lower slopes
//   dual_affine          D_out = D_in W^T + b (kernels/rowwise_gemm.h)
//   dual_view            a view between dense rows: D passes unchanged
//   dual_seed            each row's input corner
#pragma once

#include <memory>

#include "planner/plan_bundle.h"
#include "runtime/compiled/compiled_kernel.h"
#include "runtime/compiled/lowered_task.h"

namespace bf {

std::unique_ptr<CompiledKernel> make_alpha_kernel(StepKind kind, const PlanBundle& plan, const TaskOp& op);

}  // namespace bf
