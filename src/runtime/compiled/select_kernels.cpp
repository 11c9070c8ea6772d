// select_kernels: one step per op of the task, with the fastest kernel kind
// that is exact for it. Everything without a fast path keeps the reference
// interval rule (kind Rule), so nothing is ever approximated.
#include "runtime/compiled/affine_form.h"
#include "runtime/compiled/lowering_passes.h"

namespace bf {
namespace {

bool is_view(OpKind op) {
  switch (op) {
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Identity:
    case OpKind::Dropout:
      return true;
    default:
      return false;
  }
}

bool is_monotone(OpKind op) {
  switch (op) {
    case OpKind::Add:
    case OpKind::Transpose:
    case OpKind::Concat:
    case OpKind::Slice:
    case OpKind::Gather:
    case OpKind::Pad:
    case OpKind::MaxPool:
    case OpKind::AveragePool:
    case OpKind::GlobalAveragePool:
    case OpKind::ReduceMean:
    case OpKind::ReduceSum:
      return true;
    default:
      return is_view(op);
  }
}

StepKind classify(const Graph& g, const Node& node, DType dtype) {
  if (dtype == DType::F32 && affine_form(g, node)) return StepKind::IntervalAffine;
  if (dtype == DType::F32 && is_fast_conv(g, node)) return StepKind::IntervalConv;
  if (activation_epilogue(node)) return StepKind::Elementwise;
  if (is_monotone(node.op)) return StepKind::Monotone;
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
