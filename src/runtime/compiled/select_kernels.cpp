// select_kernels: one step per op of the task, with the fastest kernel kind
// that is exact for it. Everything without a fast path keeps the reference
// interval rule (kind Rule), so nothing is ever approximated.
#include "runtime/compiled/affine_form.h"
#include "runtime/compiled/lowering_passes.h"

namespace bf {
namespace {

StepKind classify(const Graph& g, const Node& node, DType dtype) {
  if (dtype == DType::F32 && affine_form(g, node)) return StepKind::IntervalAffine;
  if (dtype == DType::F32 && is_fast_conv(g, node)) return StepKind::IntervalConv;
  if (activation_epilogue(node)) return StepKind::Elementwise;
  if (ibp_rule_is_monotone(node)) return StepKind::Monotone;
  return StepKind::Rule;
}

}  // namespace

void select_kernels(const LoweringContext& ctx, LoweredTask& t) {
  const Graph& g = *ctx.graph;
  t.steps.clear();
  for (std::size_t i = 0; i < ctx.task->ops.size(); ++i) {
    const TaskOp& op = ctx.task->ops[i];
    const Node& node = g.node(op.node);
    LoweredStep step;
    step.kind = classify(g, node, ctx.plan->config.dtype);
    step.ops = {static_cast<std::int32_t>(i)};
    step.node = op.node;
    for (ValueId v : op.inputs) {
      if (v != kNoValue && !g.is_constant(v)) step.inputs.push_back(v);
    }
    step.outputs = op.outputs;
    t.steps.push_back(std::move(step));
  }
}

}  // namespace bf
